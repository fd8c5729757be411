/** Shared fixtures for the simulator's tests: singers at hand-picked places on the equator. */
import { toUnitVec, EARTH_RADIUS_KM } from "@choirmesh/signaling/latency";
import type { Singer } from "@choirmesh/sim/model/population";
import type { CloudRegion } from "@choirmesh/sim/model/cloud-regions";

/** Longitude (degrees) on the equator that lies `km` east of 0/0 along the great circle. */
export function lonForKm(km: number): number {
  return ((km / EARTH_RADIUS_KM) * 180) / Math.PI;
}

export function singer(idx: number, lon: number, accessMs: number, opts: Partial<Singer> = {}): Singer {
  return {
    idx,
    id: `s${idx}`,
    lat: 0,
    lon,
    pos: toUnitVec({ lat: 0, lon }),
    city: `lon${lon.toFixed(2)}`,
    country: "",
    rawAccessMs: accessMs,
    jitterMs: 0,
    accessMs,
    uploadKbps: 100_000,
    section: "alto",
    ...opts,
  };
}

export function region(id: string, lon: number): CloudRegion {
  return { id, city: id, lat: 0, lon };
}
