import { describe, expect, it } from "vitest";
import { HEAR_PHASE_DEFAULTS, HearPhase } from "@choirmesh/mixer-node/runtime/hear-phase";

const F = 10;
const W = Math.max(4, Math.round(HEAR_PHASE_DEFAULTS.windowMs / F));
const { keepMs: KEEP, lowMs: LOW, highMs: HIGH, everyMs: EVERY } = HEAR_PHASE_DEFAULTS;

/** Feeds one window of hears with the same slacks (NaN: the stream did not play) and hops; returns the last move. */
function window(h: HearPhase, slacks: number[], t0: number, hops: number[] = slacks.map((_, i) => i)): number {
  let move = 0;
  for (let i = 0; i < W; i++) {
    h.slacks.fill(Number.NaN);
    h.hops.fill(-1);
    slacks.forEach((s, j) => {
      h.slacks[j] = s;
      h.hops[j] = hops[j];
    });
    move = h.observe(t0 + i * F);
  }
  return move;
}

describe("HearPhase", () => {
  it("the first window puts the hear keepMs after the one stream; later at once, sooner every everyMs", () => {
    const h = new HearPhase(F);
    expect(h.offsetMs).toBe(9);
    expect(window(h, [5], 0)).toBe(KEEP - 5);
    expect(h.offsetMs).toBeCloseTo(9 + KEEP - 5, 9);
    expect(h.takeFrames()).toBe(0);
    // Too late now (the stream's target rose): later at once, before its buffer inserts a frame.
    const at = 9 + KEEP - 5;
    expect(window(h, [LOW - 1], 100)).toBe(KEEP - LOW + 1);
    expect(h.offsetMs).toBeCloseTo(at + KEEP - LOW + 1, 9);
    // Too early: sooner, but not within everyMs of the last move.
    expect(window(h, [HIGH + 2], 200)).toBe(0);
    expect(window(h, [HIGH + 2], 200 + EVERY)).toBe(KEEP - HIGH - 2);
  });

  it("stays while the stream it follows is within the band", () => {
    const h = new HearPhase(F);
    expect(window(h, [KEEP], 0)).toBe(0);
    expect(window(h, [LOW], 1000)).toBe(0);
    expect(window(h, [HIGH], 2000)).toBe(0);
    expect(h.toJSON()).toMatchObject({ offsetMs: 9, moves: 0, skipped: 0, held: 0, slacksMs: [HIGH], topHops: 0 });
  });

  it("follows the stream from the top of the tree (the most hops), whatever the others", () => {
    // The parent's own stream (0 hops) waits 6 ms, the root's (2 hops) 5, the one between 0.5.
    const h = new HearPhase(F);
    expect(window(h, [6, 0.5, 5], 0, [0, 1, 2])).toBe(KEEP - 5);
    expect(h.toJSON()).toMatchObject({ topHops: 2, slacksMs: [6, 0.5, 5] });
    // The others now wait more, or come after the hear (heard a frame later): it stays.
    expect(window(h, [2.5, -2, KEEP], 1000, [0, 1, 2])).toBe(0);
    // Of two streams as high, the one that waits least.
    const g = new HearPhase(F);
    expect(window(g, [6, 5], 0, [1, 1])).toBe(KEEP - 5);
    // A stream half a frame or more late is its buffer's to fix (it inserts a frame).
    const k = new HearPhase(F);
    expect(window(k, [-6], 0)).toBe(0);
  });

  it("a move sooner past the tick skips a frame of the streams; later past it holds one", () => {
    const h = new HearPhase(F);
    window(h, [8.5 + KEEP], 0); // to 9 - 8.5 = 0.5 after the tick
    expect(h.offsetMs).toBeCloseTo(0.5, 9);
    expect(h.takeFrames()).toBe(0);
    // The stream now comes sooner: the hear goes sooner, past the tick.
    expect(window(h, [KEEP + 1.5 + HIGH], 1000)).toBeCloseTo(-1.5 - HIGH, 9);
    expect(h.offsetMs).toBeCloseTo(F - 1 - HIGH, 9);
    expect(h.takeFrames()).toBe(1);
    expect(h.takeFrames()).toBe(0);
    // And back later past the tick: the next hear comes right after this one and holds.
    expect(window(h, [KEEP - 1 - HIGH - 0.5], 2000)).toBeCloseTo(1.5 + HIGH, 9);
    expect(h.offsetMs).toBeCloseTo(0.5, 9);
    expect(h.takeFrames()).toBe(-1);
    expect(h.toJSON()).toMatchObject({ skipped: 1, held: 1, moves: 3 });
  });

  it("a frame of slack too many (the buffer holds one more than it needs) is taken back by a skip", () => {
    const h = new HearPhase(F);
    window(h, [3 + KEEP], 0);
    expect(h.offsetMs).toBeCloseTo(6, 9);
    expect(window(h, [10.8], 1000)).toBeCloseTo(KEEP - 10.8, 9);
    expect(h.offsetMs).toBeCloseTo(6 + KEEP - 10.8 + F, 9);
    expect(h.takeFrames()).toBe(1);
  });

  it("keeps its place on the wall clock when the node moves its ticks", () => {
    const h = new HearPhase(F);
    window(h, [3 + KEEP], 0);
    h.ticksMoved(-2); // ticks 2 ms sooner: the hear is 2 ms further after each
    expect(h.offsetMs).toBeCloseTo(8, 9);
    expect(h.takeFrames()).toBe(0);
    h.ticksMoved(-3); // past the next tick: the hear after it comes right after this one
    expect(h.offsetMs).toBeCloseTo(1, 9);
    expect(h.takeFrames()).toBe(-1);
    expect(h.offsetSamples).toBe(48);
  });
});
