/**
 * The delay model every topology prices its paths with. Links: one-way access at each end plus
 * fibre in between; hubs: the engine's per-hop delay. Until the planner exports its own link
 * estimate this is the same formula (great-circle x 2.1 / 200 km per ms + access delays).
 */
import { fibreMs, type Located } from "./geo-delay.js";

export interface Endpoint extends Located {
  /** One-way access delay this endpoint's connection adds to every stream in or out (ms). */
  accessMs: number;
}

export interface DelayModel {
  /** One-way delay of a direct link between two endpoints, both access delays included. */
  linkMs(a: Endpoint, b: Endpoint): number;
  /** A hub's own delay per hop: frame + jitter buffer + lookahead + processing. */
  hubMs: number;
}

export function makeDelayModel(hubMs: number): DelayModel {
  return {
    hubMs,
    linkMs: (a, b) => a.accessMs + fibreMs(a, b) + b.accessMs,
  };
}
