import { describe, expect, it } from "vitest";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import { runChoir, type EmuPlan } from "@choirmesh/sim/emulate/choir";
import { measurePair } from "@choirmesh/sim/emulate/analyze";
import { EventQueue, type SimEvent } from "@choirmesh/sim/emulate/scheduler";
import { linkParams, transitMs, homeEnd } from "@choirmesh/sim/emulate/network";
import { runEmulation, type EmulateResult } from "@choirmesh/sim/emulate/run";
import { parseEmulateArgs } from "@choirmesh/sim/emulate-cli";
import { makeRng } from "@choirmesh/sim/ports";
import { toUnitVec } from "@choirmesh/signaling/latency";

const backend = loadCodecBackend();
const fixed = (baseMs: number) => ({ baseMs, jitterSdMs: 0, loss: 0 });

describe("event queue", () => {
  it("takes events by time, ties in the order they were scheduled, and refuses the past", () => {
    const q = new EventQueue<SimEvent & { name: string }>();
    for (const [t, name] of [[5, "a"], [1, "b"], [5, "c"], [3, "d"], [1, "e"]] as const) q.push({ t, order: 0, name });
    const got: string[] = [];
    for (let e = q.pop(); e; e = q.pop()) got.push(e.name);
    expect(got).toEqual(["b", "e", "d", "a", "c"]);
    expect(q.now).toBe(5);
    expect(() => q.push({ t: 4, order: 0, name: "late" })).toThrow(RangeError);
  });
});

describe("virtual network", () => {
  it("never delivers before the base delay; loses about the stated share; adds jitter with the stated spread", () => {
    const a = homeEnd(toUnitVec({ lat: 48.86, lon: 2.35 }), 4, 1, 1);
    const b = homeEnd(toUnitVec({ lat: 51.51, lon: -0.13 }), 3, 1, 1);
    const p = linkParams(a, b);
    // Paris-London ~344 km x 2.1 / 200 = 3.6 ms of fibre, plus both access delays.
    expect(p.baseMs).toBeGreaterThan(10.5);
    expect(p.baseMs).toBeLessThan(10.7);
    expect(p.loss).toBeCloseTo(1 - 0.99 * 0.99, 12);
    const rng = makeRng(7);
    let lost = 0;
    let sum = 0;
    let sum2 = 0;
    let min = Infinity;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const t = transitMs(p, rng);
      if (t < 0) {
        lost++;
        continue;
      }
      const x = t - p.baseMs;
      min = Math.min(min, x);
      sum += x;
      sum2 += x * x;
    }
    const m = n - lost;
    const sd = Math.sqrt(sum2 / m - (sum / m) ** 2);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(lost / n).toBeGreaterThan(0.015);
    expect(lost / n).toBeLessThan(0.025);
    expect(sd).toBeGreaterThan(Math.SQRT2 * 0.95);
    expect(sd).toBeLessThan(Math.SQRT2 * 1.05);
  });
});

describe("a hand-checkable choir: dedicated hub H, singers A and B, fixed links", () => {
  // Links A-H 7 ms, H-B 13 ms, no jitter, no loss; processing 1 ms per tick; 10 ms frames.
  // Ticks: A at 0, 10, ...; H at 1, 11, ...; B at 5.5, 15.5, ...
  // A jitter buffer starts playing once the delay D from a frame's arrival to its play-out
  // reaches its initial target (one frame, 10 ms), and later drops a frame only while D stays at
  // or above target + 1.25 frames (the settled target with no jitter: 1.25 + 1 = 2.25 ms, so 14.75).
  // A -> B: A sends at 1, H has it at 8, plays it at 21 (D 13), sends at 22, B has it at 35 and
  //   plays it at 45.5 (D 10.5); plus A's and H's Opus look-ahead (2.5 ms each):
  //   2.5 + 1 + 7 + 13 + 2.5 + 1 + 13 + 10.5 = 50.5 ms.
  // B -> A: B sends at 6.5, H has it at 19.5, plays at 31 (D 11.5), sends at 32, A has it at 39,
  //   plays at 50 (D 11): 2.5 + 1 + 13 + 11.5 + 2.5 + 1 + 7 + 11 = 49.5 ms.
  const plan: EmuPlan = {
    nodes: [
      { id: "H", parent: -1, hasVoice: false, voice: null, listen: false, phaseSamples: 48, up: null },
      { id: "A", parent: 0, hasVoice: true, voice: 0, listen: true, phaseSamples: 0, up: fixed(7) },
      { id: "B", parent: 0, hasVoice: true, voice: 1, listen: true, phaseSamples: 264, up: fixed(13) },
    ],
  };
  const r = runChoir(plan, { backend, frameMs: 10, rng: makeRng(1), processingMs: 1 });

  it("hears each singer after the link delays plus the hub's play-out, look-ahead and processing", () => {
    const ab = measurePair(plan, r.recordings.get(2)!, 1, 2, { lookaheadMs: 2.5, senderMs: 1 });
    const ba = measurePair(plan, r.recordings.get(1)!, 2, 1, { lookaheadMs: 2.5, senderMs: 1 });
    expect(ab.heard && ba.heard).toBe(true);
    expect(Math.abs(ab.heardMs - 50.5)).toBeLessThan(1);
    expect(Math.abs(ba.heardMs - 49.5)).toBeLessThan(1);
    // The receivers' own play-out, as their jitter buffers report it, is the hand-computed D.
    expect(ab.receiverPlayoutMs).toBe(10.5);
    expect(ba.receiverPlayoutMs).toBe(11);
    // What is left is the path the model prices: both links and one hop through H.
    expect(Math.abs(ab.pathMs - (7 + 13 + 13 + 2.5 + 1))).toBeLessThan(1);
    expect(Math.abs(ba.pathMs - (13 + 7 + 11.5 + 2.5 + 1))).toBeLessThan(1);
    expect(r.packetsLost).toBe(0);
    expect(r.jitterBuffer.underruns).toBe(0);
  });
});

function stripWallClock(r: EmulateResult): unknown {
  return JSON.parse(JSON.stringify(r, (k, v) => (k === "wallMs" || k === "tickUs" || k === "elapsedMs" ? undefined : v)));
}

describe.each(["forward", "mix"] as const)("emulated runs against the model (%s down path)", (downPath) => {
  const opts = { singers: 24, region: "europe", seed: 3, voices: 8, warmupS: 1.5, recordS: 1.5, downPath };
  const r = runEmulation(opts);

  it("hears every voiced singer at every voiced listener, in both topologies", () => {
    for (const t of [r.topologies.tree!, r.topologies.star!]) {
      expect(t.pairs).toBe(8 * 7);
      expect(t.heardPairs).toBe(t.pairs);
    }
    expect(r.pairsMeasured).toBe(2 * 56);
    expect(r.topologies.star!.hubsP50).toBe(1);
  });

  it("agrees with the model's delay within 10 % (median pair delay): the live hop plus each home connection's jitter beyond what it holds", () => {
    for (const t of [r.topologies.tree!, r.topologies.star!]) {
      expect(Math.abs(t.error.p50Relative)).toBeLessThan(0.1);
      expect(Math.abs(t.error.medianRelative)).toBeLessThan(0.1);
    }
  });

  it("gives the same output for the same seed", () => {
    const again = runEmulation(opts);
    expect(stripWallClock(again)).toEqual(stripWallClock(r));
  });
});

describe("emulate CLI arguments", () => {
  it("parses options and refuses bad ones", () => {
    const a = parseEmulateArgs(["--singers", "200", "--region", "europe", "--json", "--topology", "tree", "--frame-ms", "20"]);
    expect(a.run).toMatchObject({ singers: 200, region: "europe", topologies: ["tree"], frameMs: 20 });
    expect(a.json).toBe(true);
    expect(() => parseEmulateArgs(["--frame-ms", "7"])).toThrow(/frame-ms/);
    expect(() => parseEmulateArgs(["--topology", "mesh"])).toThrow(/topology/);
    expect(() => parseEmulateArgs(["--bogus"])).toThrow(/Unknown option/);
  });
});
