/**
 * Link latency estimates for the planner and the simulator: network coordinates when both
 * ends have enough RTT samples, the geographic model otherwise, a default when neither
 * end's place is known.
 */
import { type UnitVec, unitVecKm, kmToOneWayMs } from "./geo.js";
import { type VivaldiCoord, VivaldiSpace } from "./vivaldi.js";

export * from "./geo.js";
export * from "./vivaldi.js";

export interface LinkEnd {
  id: string;
  /** Unit vector of the node's place, when known. */
  pos: UnitVec | null;
  /** One-way access delay of the node's own connection (ms). */
  accessMs: number;
  /** The node's live Vivaldi coordinate, when the caller keeps one (saves a lookup per estimate). */
  viv?: VivaldiCoord;
}

export type LinkEstimateSource = "vivaldi" | "geo" | "default";

/**
 * One-way link latency in ms. Vivaldi predicts round trips that already include both access
 * links, so its estimate is RTT / 2; the geographic estimate adds both ends' access delays
 * to the propagation delay.
 */
export function estimateOneWayMs(
  a: LinkEnd,
  b: LinkEnd,
  vivaldi: VivaldiSpace | null,
  defaultLinkMs: number,
): number {
  if (a.viv !== undefined && b.viv !== undefined) {
    if (a.viv.trusted && b.viv.trusted) {
      return (Math.hypot(a.viv.x - b.viv.x, a.viv.y - b.viv.y) + a.viv.h + b.viv.h) / 2;
    }
  } else if (vivaldi !== null && vivaldi.trusted(a.id) && vivaldi.trusted(b.id)) {
    return vivaldi.predictRttMs(a.id, b.id) / 2;
  }
  if (a.pos !== null && b.pos !== null) return kmToOneWayMs(unitVecKm(a.pos, b.pos)) + a.accessMs + b.accessMs;
  return defaultLinkMs;
}

export function estimateSource(a: LinkEnd, b: LinkEnd, vivaldi: VivaldiSpace | null): LinkEstimateSource {
  if (vivaldi !== null && vivaldi.trusted(a.id) && vivaldi.trusted(b.id)) return "vivaldi";
  if (a.pos !== null && b.pos !== null) return "geo";
  return "default";
}
