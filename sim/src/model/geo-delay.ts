/**
 * Great-circle distance and the fibre delay it implies. Kept only for what the planner's delay
 * model does not cover (nearest-neighbour search, placing a central server); every pair delay
 * of a topology goes through ./delay.ts.
 */
import { NETWORK_DEFAULTS } from "./defaults.js";

export interface Located {
  lat: number;
  lon: number;
}

const R_KM = 6371;
const RAD = Math.PI / 180;

export function greatCircleKm(a: Located, b: Located): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * R_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** One-way fibre delay between two places: distance x route factor / speed in fibre. */
export function fibreMs(a: Located, b: Located): number {
  return (greatCircleKm(a, b) * NETWORK_DEFAULTS.routeFactor) / NETWORK_DEFAULTS.kmPerMs;
}

/** Unit vector on the sphere, for fast nearest searches by dot product. */
export function unitVector(p: Located): [number, number, number] {
  const la = p.lat * RAD;
  const lo = p.lon * RAD;
  return [Math.cos(la) * Math.cos(lo), Math.cos(la) * Math.sin(lo), Math.sin(la)];
}
