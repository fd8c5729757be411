/**
 * The delay model every topology prices its paths with: the planner's own (signaling/src/latency
 * for links, signaling/src/planner/delay.ts for paths through a tree). Links cost both ends'
 * access delay plus fibre (great-circle x 2.1 / 200 km per ms); each hub passed costs the
 * engine's per-hop delay.
 */
import { estimateOneWayMs, toUnitVec, type LinkEnd } from "@choirmesh/signaling/latency";
import { DEFAULT_PLANNER_OPTIONS } from "@choirmesh/signaling/planner/defaults";

export type { LinkEnd };

export interface DelayModel {
  /** One-way delay of a direct link between two endpoints, both access delays included. */
  linkMs(a: LinkEnd, b: LinkEnd): number;
  /** A hub's own delay per hop: frame + jitter buffer + lookahead + processing. */
  hubMs: number;
}

export function makeDelayModel(hubMs: number): DelayModel {
  return {
    hubMs,
    // No RTT probes in a model run: the planner's estimate falls back to geography.
    linkMs: (a, b) => estimateOneWayMs(a, b, null, DEFAULT_PLANNER_OPTIONS.defaultLinkMs),
  };
}

export function linkEnd(id: string, lat: number, lon: number, accessMs: number): LinkEnd {
  return { id, pos: toUnitVec({ lat, lon }), accessMs };
}
