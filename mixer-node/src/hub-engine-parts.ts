/**
 * Pieces of a HubEngine's work that need none of its state: what a packet does to a jitter
 * buffer, the crossfade of a parent swap, the forwarded path's copy and slack, and the stats.
 * Allocation-free where they run per packet or per tick.
 */
import { quantileSorted } from "@choirmesh/common/quantiles";
import { readRedundancy, type RedundantBlock } from "./codec/redundancy.js";
import { HUB_ENGINE_DEFAULTS } from "./defaults.js";
import { clearDownTiming, phaseDelta, readUpPhase, UP_HEADER_BYTES } from "./down-header.js";
import type { HubLink } from "./hub-link.js";
import type { JitterBuffer } from "./jitter-buffer.js";
import type { ChildInputStats } from "./stats.js";

/**
 * The up packet of a child on the forwarded path: its header's phase, when it changed, moves the
 * jitter buffer's ideal arrivals with it (ArrivalClock.shift); returns the Opus part. A packet
 * without a header is taken as plain Opus.
 */
export function takeUpHeader(link: HubLink, payload: Uint8Array): Uint8Array {
  const phase = readUpPhase(payload);
  if (phase < 0) return payload;
  if (link.upPhase >= 0 && phase !== link.upPhase) link.jb.senderMoved(phaseDelta(phase, link.upPhase) / 48);
  link.upPhase = phase;
  return payload.subarray(UP_HEADER_BYTES);
}

/** A packet into its jitter buffer; the earlier frames its padding carries fill the holes they find. */
export function pushWithRedundancy(jb: JitterBuffer, seq: number, ts: number, payload: Uint8Array, arrivalMs: number, trusted: boolean, blocks: RedundantBlock[]): void {
  jb.push(seq, ts, payload, arrivalMs, trusted);
  const n = readRedundancy(payload, blocks);
  if (n === 0) return;
  jb.noteRedundancy(arrivalMs, blocks[n - 1].delta);
  for (let i = 0; i < n; i++) {
    // A view only when it fills a hole (a lost packet): none per packet otherwise.
    const b = blocks[i];
    if (jb.wantsEarlier(b.delta)) jb.fillEarlier(b.delta, payload.subarray(b.offset, b.offset + b.length));
  }
}

/** One frame of the old parent's concealment fading out under the new parent's stream fading in. */
export function crossfade(from: HubLink, to: HubLink, into: Float32Array, scratch: Float32Array, nowMs: number): void {
  const kind = to.decodeNext(scratch, nowMs);
  to.last = kind;
  to.pops[kind]++;
  from.concealInto(into);
  const n = into.length;
  for (let i = 0; i < n; i++) {
    const r = (i + 0.5) / n;
    into[i] = into[i] * (1 - r) + scratch[i] * r;
  }
}

/** A packet from above copied for the children, its timing fields cleared; false when it does not fit. */
export function copyForForwarding(payload: Uint8Array, out: Uint8Array): boolean {
  const n = payload.length;
  if (n > out.length) return false;
  for (let i = 0; i < n; i++) out[i] = payload[i];
  clearDownTiming(out);
  return true;
}

/**
 * How long a child's frames wait in its jitter buffer beyond the target, less what this node's
 * own early wake-ups may take off (down-header.ts); NaN before the buffer plays.
 */
export function slackOf(link: HubLink): number {
  const jb = link.jb;
  return jb.counters.played > 0 ? jb.delayMs - jb.targetDelayMs - HUB_ENGINE_DEFAULTS.alignGuardMs : Number.NaN;
}

export function tickTimes(tickUs: Float64Array, n: number): { p50: number; p99: number; max: number } {
  const sorted = tickUs.slice(0, n).sort();
  const pct = (p: number) => (n === 0 ? 0 : quantileSorted(sorted, p));
  return { p50: pct(0.5), p99: pct(0.99), max: n === 0 ? 0 : sorted[n - 1] };
}

export function childStats(children: readonly (HubLink | null)[]): ChildInputStats[] {
  const out: ChildInputStats[] = [];
  for (let s = 0; s < children.length; s++) {
    const c = children[s];
    if (c) out.push({ ...c.toJSON(), slot: s });
  }
  return out;
}
