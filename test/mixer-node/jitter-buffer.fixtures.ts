import { expect } from "vitest";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { JitterBuffer, type PopKind } from "@choirmesh/mixer-node/jitter-buffer";
import { mulberry32 } from "../fixtures/signals.js";
// A virtual network and clock: every arrival is computed up front from a seeded PRNG, then
// replayed against ticks at phase + n * frameMs. Arrivals at or before a tick are pushed before it.


export interface Pkt { k: number; seq: number; ts: number; arrival: number; payload: Uint8Array }

export interface StreamSpec {
  frameMs: FrameMs;
  frames: number;
  seed?: number;
  startSeq?: number;
  startTs?: number;
  /** Written into every payload, so that the output tells which stream a frame came from. */
  streamId?: number;
  startMs?: number;
  baseDelayMs?: number;
  /** Sender clock rate against the receiver's (1.01: the sender runs 1 % fast). */
  senderRate?: number;
  /** Extra one-way delay of frame k (ms). */
  jitter?: (k: number, rng: () => number) => number;
  lose?: (k: number) => boolean;
}

export function stream(s: StreamSpec): Pkt[] {
  const rng = mulberry32(s.seed ?? 1);
  const fs = 48 * s.frameMs;
  const out: Pkt[] = [];
  for (let k = 0; k < s.frames; k++) {
    const j = s.jitter ? s.jitter(k, rng) : 0;
    if (s.lose?.(k)) continue;
    const payload = new Uint8Array(5);
    new DataView(payload.buffer).setUint32(0, k);
    payload[4] = s.streamId ?? 1;
    out.push({
      k,
      seq: ((s.startSeq ?? 1000) + k) & 0xffff,
      ts: ((s.startTs ?? 5000) + k * fs) >>> 0,
      arrival: (s.startMs ?? 0) + (k * s.frameMs) / (s.senderRate ?? 1) + (s.baseDelayMs ?? 5) + j,
      payload,
    });
  }
  return out;
}

export interface Run { kinds: PopKind[]; frames: number[]; streams: number[]; depths: number[] }

export function replay(
  jb: JitterBuffer,
  pkts: Pkt[],
  frameMs: number,
  endMs: number,
  phaseMs = 0.3,
  onTick?: (tMs: number, n: number) => void,
): Run {
  const order = pkts.map((p, i) => ({ p, i }));
  order.sort((a, b) => a.p.arrival - b.p.arrival || a.i - b.i);
  const r: Run = { kinds: [], frames: [], streams: [], depths: [] };
  let next = 0;
  for (let n = 0; ; n++) {
    const t = phaseMs + n * frameMs;
    if (t > endMs) break;
    while (next < order.length && order[next].p.arrival <= t) {
      const p = order[next++].p;
      jb.push(p.seq, p.ts, p.payload, p.arrival);
    }
    const kind = jb.pop(t);
    const pl = jb.payload;
    r.kinds.push(kind);
    r.frames.push(pl ? new DataView(pl.buffer, pl.byteOffset).getUint32(0) : -1);
    r.streams.push(pl ? pl[4] : 0);
    r.depths.push(jb.depth);
    onTick?.(t, n);
  }
  return r;
}

export function count(kinds: PopKind[], kind: PopKind): number {
  return kinds.filter((k) => k === kind).length;
}

/** The frames played as "packet", in output order. */
export function playedFrames(r: Run): number[] {
  return r.frames.filter((_, i) => r.kinds[i] === "packet");
}

/** Kinds from the first "packet" to the last one (the span where the stream is live). */
export function liveKinds(r: Run): PopKind[] {
  return r.kinds.slice(r.kinds.indexOf("packet"), r.kinds.lastIndexOf("packet") + 1);
}

export const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/** Time by which every packet has arrived and had time to play. */
export function drained(pkts: Pkt[], frameMs: number): number {
  return Math.max(...pkts.map((p) => p.arrival)) + 4 * frameMs;
}

/**
 * `played` is `expected` in order, less at most `maxDropped` frames, all before `beforeFrame`:
 * an adaptive buffer that starts at the initial depth drops one frame when its target settles lower.
 */
export function expectInOrderWithSettlingDrops(played: number[], expected: number[], maxDropped: number, beforeFrame: number): void {
  const gone = expected.filter((k) => !played.includes(k));
  expect(played).toEqual(expected.filter((k) => !gone.includes(k)));
  expect(gone.length).toBeLessThanOrEqual(maxDropped);
  for (const k of gone) expect(k - expected[0]).toBeLessThan(beforeFrame);
}
