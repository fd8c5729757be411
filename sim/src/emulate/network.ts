/**
 * The virtual network: one link per tree edge, both directions alike. A link's one-way delay is
 * the model's (great-circle x 2.1 / 200 km per ms, plus both ends' access delay), with the drawn
 * access delays as they are: the jitter the model folds into access delay is drawn here packet
 * by packet instead, and the engine's jitter buffers deal with it.
 */
import { kmToOneWayMs, unitVecKm, type UnitVec } from "@choirmesh/signaling/latency";
import { NETWORK_DEFAULTS } from "../model/defaults.js";
import type { Rng } from "../ports.js";

/** One end of a link: a singer's home connection or a data centre's. */
export interface NetEnd {
  pos: UnitVec;
  /** One-way access delay, jitter not included (ms). */
  accessMs: number;
  /** One-way jitter, standard deviation (ms). */
  jitterMs: number;
  /** Packet loss per crossing of this connection (0..1). */
  loss: number;
}

export interface LinkParams {
  /** The fastest a packet crosses (ms): propagation plus both access delays. */
  baseMs: number;
  /** Standard deviation of the extra delay (ms): both connections' jitter, independent. */
  jitterSdMs: number;
  /** Probability a packet is lost (either connection). */
  loss: number;
}

export function homeEnd(pos: UnitVec, accessMs: number, jitterMs: number, lossPct: number = NETWORK_DEFAULTS.homeLossPct): NetEnd {
  return { pos, accessMs, jitterMs, loss: lossPct / 100 };
}

export function dataCentreEnd(pos: UnitVec): NetEnd {
  return { pos, accessMs: NETWORK_DEFAULTS.dataCentreAccessMs, jitterMs: 0, loss: 0 };
}

export function linkParams(a: NetEnd, b: NetEnd): LinkParams {
  return {
    baseMs: kmToOneWayMs(unitVecKm(a.pos, b.pos)) + a.accessMs + b.accessMs,
    jitterSdMs: Math.hypot(a.jitterMs, b.jitterMs),
    loss: 1 - (1 - a.loss) * (1 - b.loss),
  };
}

/**
 * One packet's transit time (ms), or -1 when it is lost. Queueing only ever adds delay, so the
 * extra is one-sided: exponential, whose standard deviation equals its mean (the model's
 * "jitter" is a standard deviation). Independent per packet, so packets may overtake each other.
 */
export function transitMs(p: LinkParams, rng: Rng): number {
  if (p.loss > 0 && rng.next() < p.loss) return -1;
  return p.jitterSdMs > 0 ? p.baseMs + rng.exponential(p.jitterSdMs) : p.baseMs;
}
