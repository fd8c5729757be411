/**
 * A process stall and the jitter buffer: 300 ms in which one end runs nothing, then its clock
 * catches up (TickClock: at most catchUpMs of overdue ticks, the rest skipped). Either end:
 * the receiver's own stall (its packets wait in the socket and are read with the kernel's
 * arrival time), or the sender's (its last overdue frames come late; the skipped ones are
 * numbered as lost).
 * Within 3 s the buffer is back within one frame of the depth it had before.
 */
import { describe, expect, it } from "vitest";
import { JitterBuffer } from "@choirmesh/mixer-node/jitter-buffer";
import { mulberry32 } from "../fixtures/signals.js";
import { NODE_DEFAULTS } from "@choirmesh/mixer-node/runtime/defaults";

const F = 10;
const FS = 48 * F;
const PHASE = 0.3;
const STALL_AT = 5000;
const STALL_MS = 300;
const CATCH_UP = Math.ceil(NODE_DEFAULTS.catchUpMs / F);

interface Pkt { seq: number; ts: number; arrival: number; payload: Uint8Array }

/** 10 s of a stream with 0-4 ms of random jitter; `senderStall`: the sender's own stall. */
function packets(senderStall: boolean, seed = 3): Pkt[] {
  const rng = mulberry32(seed);
  const out: Pkt[] = [];
  let seq = 100;
  for (let k = 0; k < 1000; k++) {
    const sendAt = k * F;
    let at = sendAt;
    if (senderStall && sendAt >= STALL_AT && sendAt < STALL_AT + STALL_MS) {
      // Ticks due in the stall: the last CATCH_UP run back to back at its end, the rest never;
      // their sequence numbers and samples are used up (PeerLink.skipFrames), as lost frames.
      if (sendAt < STALL_AT + STALL_MS - CATCH_UP * F) {
        seq++;
        continue;
      }
      at = STALL_AT + STALL_MS;
    }
    const payload = new Uint8Array(20);
    payload[0] = k & 0xff;
    out.push({ seq: seq++ & 0xffff, ts: (7000 + k * FS) >>> 0, arrival: at + 5 + rng() * 4, payload });
  }
  return out.sort((a, b) => a.arrival - b.arrival);
}

/** Plays the stream; `receiverStall`: the receiver's own stall. Depth and target at each tick. */
function run(senderStall: boolean, receiverStall: boolean) {
  const jb = new JitterBuffer({ frameMs: F });
  const pk = packets(senderStall);
  let next = 0;
  const depth = new Map<number, number>();
  const target = new Map<number, number>();
  const stallEnd = STALL_AT + STALL_MS;
  for (let n = 0; n < 1000; n++) {
    const t = PHASE + n * F;
    if (receiverStall && t >= STALL_AT && t < stallEnd) {
      if (t < stallEnd - CATCH_UP * F) continue; // skipped ticks
    }
    // What the tick reads: everything that arrived by then (by the end of the stall for the
    // catch-up ticks), each with its kernel arrival time.
    const readAt = receiverStall && t >= STALL_AT && t < stallEnd ? stallEnd : t;
    while (next < pk.length && pk[next].arrival <= readAt) {
      const p = pk[next++];
      jb.push(p.seq, p.ts, p.payload, p.arrival);
    }
    jb.pop(t);
    depth.set(n, jb.depth);
    target.set(n, jb.toJSON().targetDepth);
  }
  const mean = (m: Map<number, number>, from: number, to: number) => {
    let s = 0;
    for (let n = from; n < to; n++) s += m.get(n) ?? 0;
    return s / (to - from);
  };
  const before = { depth: mean(depth, 300, 500), target: mean(target, 300, 500) };
  const backBy = (stallEnd + 3000) / F;
  const after = { depth: mean(depth, backBy, backBy + 100), target: mean(target, backBy, backBy + 100) };
  return { before, after, stats: jb.toJSON() };
}

describe("jitter buffer after a 300 ms process stall", () => {
  for (const [name, sender, receiver] of [
    ["the receiver's", false, true],
    ["the sender's", true, false],
  ] as const) {
    it(`is back within one frame of its depth 3 s after ${name} stall`, () => {
      const r = run(sender, receiver);
      console.log(`${name} stall: depth ${r.before.depth.toFixed(2)} -> ${r.after.depth.toFixed(2)}, target ${r.before.target.toFixed(2)} -> ${r.after.target.toFixed(2)}`);
      expect(Math.abs(r.after.depth - r.before.depth)).toBeLessThanOrEqual(1);
      expect(Math.abs(r.after.target - r.before.target)).toBeLessThanOrEqual(1);
    });
  }
});
