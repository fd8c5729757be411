/**
 * Geographic latency estimate: the fallback when a node has too few RTT samples for its
 * network coordinates. Light in fibre covers about 200 km per ms, and real routes run
 * about 2.1x the great-circle distance (see docs/design.md, "Timing").
 */

export interface LatLon {
  lat: number;
  lon: number;
}

export const EARTH_RADIUS_KM = 6371.0088;
export const FIBRE_KM_PER_MS = 200;
export const ROUTE_FACTOR = 2.1;

const RAD = Math.PI / 180;

/** Great-circle distance in km (haversine, numerically stable for short distances). */
export function greatCircleKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const s =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** One-way propagation delay in ms between two places: distance x 2.1 / 200 km per ms. */
export function geoPropagationMs(a: LatLon, b: LatLon): number {
  return kmToOneWayMs(greatCircleKm(a, b));
}

export function kmToOneWayMs(km: number): number {
  return (km * ROUTE_FACTOR) / FIBRE_KM_PER_MS;
}

/**
 * A point on the unit sphere. Hot loops compare places through these: the chord length
 * between two unit vectors gives the great-circle angle without trigonometry per pair
 * beyond one asin.
 */
export interface UnitVec {
  x: number;
  y: number;
  z: number;
}

export function toUnitVec(p: LatLon): UnitVec {
  const la = p.lat * RAD;
  const lo = p.lon * RAD;
  const c = Math.cos(la);
  return { x: c * Math.cos(lo), y: c * Math.sin(lo), z: Math.sin(la) };
}

/** Same distance as greatCircleKm, from unit vectors (chord -> angle). */
export function unitVecKm(a: UnitVec, b: UnitVec): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  const dz = a.z - b.z;
  const chord = Math.sqrt(dx * dx + dy * dy + dz * dz);
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, chord / 2));
}
