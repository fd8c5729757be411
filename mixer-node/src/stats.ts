/**
 * What the engine and the node runtime report about themselves (`toJSON()`), typed end to end, so
 * that metrics, benchmarks, harnesses and the simulator read the same shapes without casts.
 * Stats are read at scrape or report time, never on the audio path.
 */
import type { JitterBufferStats } from "./jitter-buffer.js";
import type { LimiterStats } from "./limiter.js";
import type { DownStreamsStats } from "./down-streams.js";

/** How each frame played out of an input's jitter buffer was produced. */
export interface PopCounts {
  packet: number;
  fec: number;
  conceal: number;
  silence: number;
}

/** One input of the engine (the parent's down stream, or one child's up stream) and its output. */
export interface HubInputStats {
  jitter: JitterBufferStats;
  pops: PopCounts;
  /** Redundant copies of earlier frames carried on this link's outgoing stream (0, 1 or 2). */
  redundancy: number;
  decodeErrors: number;
  encodeErrors: number;
  sinkErrors: number;
  /** Packets and bytes sent on this link's outgoing stream. */
  sent: number;
  bytesSent: number;
  /** A parent link on a forwarded down path: the streams it carries (down-streams.ts). */
  downStreams?: DownStreamsStats;
  /** A child that takes forwarded streams: packets and bytes forwarded to it from above. */
  forwarded?: number;
  bytesForwarded?: number;
}

/** A child's input, by the engine slot it is mixed on. */
export interface ChildInputStats extends HubInputStats {
  slot: number;
}

export interface MixerStats {
  frameSamples: number;
  maxChildren: number;
  children: number;
  hasParent: boolean;
  hasVoice: boolean;
  mixes: number;
  /** By output: "up", "hear", "child<slot>". */
  limiters: Record<string, LimiterStats>;
}

export interface HubEngineStats {
  backend: string;
  frameMs: number;
  /** The down path: "forward" (streams from above forwarded) or "mix" (re-encoded at every level). */
  downPath: "forward" | "mix";
  ticks: number;
  tickUs: { p50: number; p99: number; max: number } | null;
  unroutable: number;
  untimed: number;
  parent: HubInputStats | null;
  /** Attached children, in slot order. */
  children: ChildInputStats[];
  mixer: MixerStats;
}

/** An input as an operator sees it: which link, and which peer is on it now. */
export interface NodeInputStats extends HubInputStats {
  input: "parent" | "child";
  /** The engine slot of a child; null for the parent. */
  slot: number | null;
  peer: string;
}

/**
 * Names each input of the engine after the peer on it. A child's peer comes from the link layer's
 * slot table (`peerAtSlot`), never from the order children were added in: slots are reused, so
 * after a child leaves and another joins, the n-th child added need not be on slot n.
 */
export function nodeInputs(engine: HubEngineStats | null, parentPeer: string | null, peerAtSlot: (slot: number) => string | null): NodeInputStats[] {
  if (!engine) return [];
  const out: NodeInputStats[] = [];
  if (engine.parent) out.push({ ...engine.parent, input: "parent", slot: null, peer: parentPeer ?? "" });
  for (const c of engine.children) out.push({ ...c, input: "child", slot: c.slot, peer: peerAtSlot(c.slot) ?? "" });
  return out;
}
