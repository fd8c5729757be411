import { describe, expect, it } from "vitest";
import { JitterBuffer, type PopKind } from "@choirmesh/mixer-node/jitter-buffer";
import { mulberry32 } from "../fixtures/signals.js";
import { Pkt, stream, replay, count, playedFrames, liveKinds, range, drained, expectInOrderWithSettlingDrops } from "./jitter-buffer.fixtures.js";

describe("JitterBuffer: clean link", () => {
  for (const F of [2.5, 5, 10, 20] as const) {
    for (const phase of [0, 0.03, 0.5, 0.77]) {
      it(`plays every frame in order as a packet at depth 1-2 (${F} ms, tick phase ${phase} frame)`, () => {
        const N = 2000;
        const jb = new JitterBuffer({ frameMs: F });
        const oneSecond = Math.ceil(1000 / F);
        const pk = stream({ frameMs: F, frames: N });
        const r = replay(jb, pk, F, drained(pk, F), phase * F);
        const s = jb.toJSON();
        expect(new Set(liveKinds(r))).toEqual(new Set(["packet"]));
        // At most one frame is dropped, once, when the target settles from the initial 2 frames
        // (after the first drift fit at 1 s and 50 more lateness samples).
        expectInOrderWithSettlingDrops(playedFrames(r), range(0, N), 1, Math.ceil(1000 / F) + 60);
        expect(s.played + s.dropped).toBe(N);
        expect(s.fecRecovered + s.late + s.skipped + s.inserted).toBe(0);
        expect([1, 2]).toContain(s.targetDepth);
        expect(Math.max(...r.depths.slice(oneSecond))).toBeLessThanOrEqual(2);
      });
    }
  }
});

describe("JitterBuffer: reordering, duplicates, late packets", () => {
  const F = 10 as const;
  const N = 1000;

  it("absorbs adjacent swaps at a fixed depth that covers them", () => {
    const jb = new JitterBuffer({ frameMs: F, adaptive: false, initialDepthFrames: 3 });
    const pk = stream({ frameMs: F, frames: N, jitter: (k) => (k % 2 === 0 ? 1.2 * F : 0) });
    const r = replay(jb, pk, F, N * F + 40);
    expect(playedFrames(r)).toEqual(range(0, N));
    expect(new Set(liveKinds(r))).toEqual(new Set(["packet"]));
    expect(jb.toJSON().reordered).toBe(N / 2);
  });

  it("learns the depth that covers adjacent swaps (adaptive) and then loses nothing", () => {
    const jb = new JitterBuffer({ frameMs: F });
    const pk = stream({ frameMs: F, frames: N, jitter: (k) => (k % 2 === 0 ? 1.2 * F : 0) });
    const r = replay(jb, pk, F, N * F + 40);
    // Lateness 12 ms -> histogram bin edge 12.5 + 1 ms margin = 13.5 ms -> 1 + ceil(1.35) = 3 frames.
    expect(jb.toJSON().targetDepth).toBe(3);
    const afterTwoSeconds = r.kinds.slice(200, r.kinds.lastIndexOf("packet") + 1);
    expect(new Set(afterTwoSeconds)).toEqual(new Set(["packet"]));
    const played = playedFrames(r);
    expect(played.every((k, i) => i === 0 || k > played[i - 1])).toBe(true);
  });

  it("absorbs a seeded shuffle within blocks of 3 frames", () => {
    const rng = mulberry32(42);
    const slotOf = new Map<number, number>();
    for (let b = 0; b < N; b += 3) {
      const slots = [0, 1, 2];
      for (let i = 2; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [slots[i], slots[j]] = [slots[j], slots[i]];
      }
      for (let i = 0; i < 3; i++) slotOf.set(b + i, slots[i]);
    }
    // Each block of 3 is held until its last packet is in, then let out in a shuffled order:
    // frame k arrives in its block's slot slotOf(k), so lateness spans 0..4 frames: depth 5 covers it.
    // The first block comes in order at the fastest path's delay: play-out is measured from the
    // earliest packet seen, and a stream that starts with its late packets costs a frame or two.
    const pk = stream({ frameMs: F, frames: N, jitter: (k) => (k < 3 ? 0 : (slotOf.get(k)! - (k % 3) + 2) * F) });
    const jb = new JitterBuffer({ frameMs: F, adaptive: false, initialDepthFrames: 5 });
    const r = replay(jb, pk, F, drained(pk, F));
    expect(playedFrames(r)).toEqual(range(0, N));
    expect(new Set(liveKinds(r))).toEqual(new Set(["packet"]));
    const byArrival = [...pk].sort((a, b) => a.arrival - b.arrival || a.k - b.k);
    let maxSoFar = -1;
    let expectedReordered = 0;
    for (const p of byArrival) {
      if (p.k < maxSoFar) expectedReordered++;
      maxSoFar = Math.max(maxSoFar, p.k);
    }
    expect(expectedReordered).toBeGreaterThan(200);
    expect(jb.toJSON().reordered).toBe(expectedReordered);
  });

  it("drops and counts duplicates without changing the output", () => {
    const base = stream({ frameMs: F, frames: N, seed: 5, jitter: (_, rng) => rng() * 4 });
    const dups: Pkt[] = [];
    for (const p of base) {
      if (p.k % 3 === 0) dups.push({ ...p }); // same moment
      if (p.k % 7 === 0) dups.push({ ...p, arrival: p.arrival + 4 * F }); // after it was played
    }
    const clean = new JitterBuffer({ frameMs: F });
    const dupd = new JitterBuffer({ frameMs: F });
    const a = replay(clean, base, F, N * F + 40);
    const b = replay(dupd, [...base, ...dups], F, N * F + 40);
    expect(b.kinds).toEqual(a.kinds);
    expect(b.frames).toEqual(a.frames);
    expect(dupd.toJSON().duplicates).toBe(dups.length);
    expect(dupd.toJSON().late).toBe(0);
    expect(dupd.toJSON().received).toBe(base.length + dups.length);
  });

  it("counts late packets, drops them, and never plays out of order", () => {
    const lateFrames = new Set([100, 200, 300]);
    const jb = new JitterBuffer({ frameMs: F, adaptive: false });
    const pk = stream({ frameMs: F, frames: N, jitter: (k) => (lateFrames.has(k) ? 5 * F : 0) });
    const r = replay(jb, pk, F, drained(pk, F));
    for (const k of lateFrames) {
      const i = r.frames.indexOf(k - 1);
      expect(r.kinds.slice(i, i + 3)).toEqual(["packet", "fec", "packet"]);
      expect(r.frames.slice(i, i + 3)).toEqual([k - 1, k + 1, k + 1]);
    }
    expect(playedFrames(r)).toEqual(range(0, N).filter((k) => !lateFrames.has(k)));
    const s = jb.toJSON();
    expect([s.late, s.fecRecovered, count(liveKinds(r), "conceal")]).toEqual([3, 3, 0]);
  });
});

describe("JitterBuffer: losses", () => {
  const F = 10 as const;
  const N = 1000;

  it("asks for FEC on single losses, conceals a double loss, then plays the next packet normally", () => {
    const lost = new Set([50, 120, 333, 334]);
    const jb = new JitterBuffer({ frameMs: F, adaptive: false });
    const r = replay(jb, stream({ frameMs: F, frames: N, lose: (k) => lost.has(k) }), F, N * F + 40);
    for (const k of [50, 120]) {
      const i = r.frames.indexOf(k - 1);
      expect(r.kinds.slice(i, i + 3)).toEqual(["packet", "fec", "packet"]);
      expect(r.frames.slice(i, i + 3)).toEqual([k - 1, k + 1, k + 1]);
    }
    const i = r.frames.indexOf(332);
    expect(r.kinds.slice(i, i + 4)).toEqual(["packet", "conceal", "fec", "packet"]);
    expect(r.frames.slice(i + 2, i + 4)).toEqual([335, 335]);
    expect(jb.toJSON().fecRecovered).toBe(3);
  });

  it("conceals a burst up to the limit, then reports silence, then recovers", () => {
    const jb = new JitterBuffer({ frameMs: F, adaptive: false });
    const pk = stream({ frameMs: F, frames: N, lose: (k) => k >= 500 && k < 515 });
    const r = replay(jb, pk, F, drained(pk, F));
    const i = r.frames.indexOf(499);
    // 15 ticks without packets: 10 concealed (the limit), 4 silent; on the 15th tick frame 515 is
    // here, so frame 514 comes from its FEC and 515 plays normally.
    expect(r.kinds.slice(i + 1, i + 17)).toEqual([
      ...Array<PopKind>(10).fill("conceal"),
      ...Array<PopKind>(4).fill("silence"),
      "fec",
      "packet",
    ]);
    expect(r.frames[i + 16]).toBe(515);
    expect(playedFrames(r)).toEqual(range(0, N).filter((k) => k < 500 || k >= 515));
    const s = jb.toJSON();
    const live = liveKinds(r);
    expect([count(live, "conceal"), count(live, "silence"), s.skipped, s.fecRecovered]).toEqual([10, 4, 14, 1]);
  });

  it("honours silenceAfterLostFrames", () => {
    const jb = new JitterBuffer({ frameMs: F, adaptive: false, silenceAfterLostFrames: 3 });
    const r = replay(jb, stream({ frameMs: F, frames: N, lose: (k) => k >= 500 && k < 508 }), F, N * F);
    const i = r.frames.indexOf(499);
    expect(r.kinds.slice(i + 1, i + 10)).toEqual(["conceal", "conceal", "conceal", "silence", "silence", "silence", "silence", "fec", "packet"]);
  });

  it("resynchronises after an outage longer than the ring, keeping the stream", () => {
    const jb = new JitterBuffer({ frameMs: F });
    const pk = stream({ frameMs: F, frames: N, lose: (k) => k >= 300 && k < 450 });
    const r = replay(jb, pk, F, drained(pk, F));
    expect(jb.toJSON().resets).toBe(1);
    expectInOrderWithSettlingDrops(playedFrames(r), range(0, N).filter((k) => k < 300 || k >= 450), 1, 300);
  });
});

describe("JitterBuffer: adaptive depth under jitter", () => {
  it("grows to cover uniform 0-30 ms jitter, underruns stay rare, then shrinks on a clean link", () => {
    const F = 10 as const;
    const N = 11_000; // 10 s clean, 40 s jitter, 60 s clean
    const jb = new JitterBuffer({ frameMs: F });
    const pk = stream({ frameMs: F, frames: N, seed: 7, jitter: (k, rng) => (k >= 1000 && k < 5000 ? rng() * 30 : 0) });
    const at = new Map<number, ReturnType<JitterBuffer["toJSON"]>>();
    let delaySum = 0;
    let delayN = 0;
    replay(jb, pk, F, N * F, 0.3, (t, n) => {
      if (n % 500 === 0) at.set(n / 100, jb.toJSON());
      if (t >= 15_000 && t < 50_000) {
        delaySum += jb.toJSON().delayMs;
        delayN++;
      }
    });
    expect(at.get(10)!.targetDepth).toBe(2);
    const jittery = at.get(50)!;
    // The 99th percentile of U(0, 30) is 29.7 ms: its quarter-millisecond histogram bin ends at 29.75 ms; + 1 ms margin.
    expect(jittery.latenessP99Ms).toBe(29.75);
    expect(jittery.targetDepth).toBe(5);
    // Settled (from 15 s to 50 s): at most 0.2 % of 3500 frames missed.
    const missedAfterSettling = jittery.underruns + jittery.late - (at.get(15)!.underruns + at.get(15)!.late);
    expect(missedAfterSettling).toBeLessThanOrEqual(7);
    // Not oversized: mean play-out delay within one frame and a half of the 31 ms target.
    expect(delaySum / delayN).toBeLessThan(31 + 1.5 * F);
    expect(delaySum / delayN).toBeGreaterThanOrEqual(31);
    const end = jb.toJSON();
    expect(end.targetDepth).toBe(2);
    expect(end.depth).toBeLessThanOrEqual(2);
  });
});
