import { describe, expect, it } from "vitest";
import {
  DROPPED,
  ImpairedPath,
  ImpairmentCore,
  burstLoss,
  seededRandom,
  type PathClock,
} from "@choirmesh/mixer-node/transport/impairment";

/** Virtual time: timers fire only when the test advances the clock. */
class VirtualClock implements PathClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  advanceTo(t: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > t) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = t;
  }
  get armed(): number {
    return this.timers.length;
  }
}

describe("ImpairmentCore", () => {
  it("passes everything unchanged when unconfigured", () => {
    const core = new ImpairmentCore();
    expect(core.active).toBe(false);
    for (let t = 0; t < 100; t += 10) expect(core.admit(t)).toBe(t);
    expect(core.toJSON()).toEqual({
      admitted: 10,
      passed: 10,
      dropped: { loss: 0, burst: 0, cut: 0 },
      maxAddedMs: 0,
      cutActive: false,
    });
  });

  it("adds exactly the fixed delay", () => {
    const core = new ImpairmentCore({ delayMs: 40 });
    expect([0, 10, 20.5].map((t) => core.admit(t))).toEqual([40, 50, 60.5]);
    expect(core.toJSON().maxAddedMs).toBe(40);
  });

  it("keeps jitter within [delay, delay + jitter) and never reorders by default", () => {
    const core = new ImpairmentCore({ delayMs: 20, jitterMs: 30, seed: 7 });
    let last = -Infinity;
    let minAdded = Infinity;
    let maxAdded = 0;
    for (let i = 0; i < 10_000; i++) {
      const now = i * 10;
      const r = core.admit(now);
      expect(r).toBeGreaterThanOrEqual(last);
      last = r;
      minAdded = Math.min(minAdded, r - now);
      maxAdded = Math.max(maxAdded, r - now);
    }
    expect(minAdded).toBeGreaterThanOrEqual(20);
    expect(maxAdded).toBeLessThan(50);
    // The spread is really used (a broken jitter of 0 would fail here).
    expect(maxAdded - minAdded).toBeGreaterThan(25);
  });

  it("reorders when asked, with the same bounds", () => {
    const core = new ImpairmentCore({ delayMs: 5, jitterMs: 30, reorder: true, seed: 3 });
    let inversions = 0;
    let last = -Infinity;
    for (let i = 0; i < 1000; i++) {
      const now = i * 10;
      const r = core.admit(now);
      expect(r - now).toBeGreaterThanOrEqual(5);
      expect(r - now).toBeLessThan(35);
      if (r < last) inversions++;
      last = r;
    }
    expect(inversions).toBeGreaterThan(100);
  });

  it("drops close to the configured random loss rate", () => {
    const core = new ImpairmentCore({ loss: 0.1, seed: 42 });
    const n = 100_000;
    for (let i = 0; i < n; i++) core.admit(i);
    const s = core.toJSON();
    // 5 binomial standard deviations (0.00095 each).
    expect(Math.abs(s.dropped.loss / n - 0.1)).toBeLessThan(0.005);
    expect(s.passed + s.dropped.loss).toBe(n);
  });

  it("repeats exactly with the same seed and differs with another", () => {
    const fates = (seed: number) => {
      const core = new ImpairmentCore({ loss: 0.3, jitterMs: 10, seed });
      return Array.from({ length: 200 }, (_, i) => core.admit(i * 10));
    };
    expect(fates(5)).toEqual(fates(5));
    expect(fates(5)).not.toEqual(fates(6));
  });

  it("makes bursts with Gilbert-Elliott at the requested rate and mean burst length", () => {
    const core = new ImpairmentCore({ burst: burstLoss(0.1, 4), seed: 11 });
    const n = 200_000;
    const runs: number[] = [];
    let run = 0;
    for (let i = 0; i < n; i++) {
      if (core.admit(i) === DROPPED) run++;
      else if (run > 0) {
        runs.push(run);
        run = 0;
      }
    }
    const s = core.toJSON();
    expect(Math.abs(s.dropped.burst / n - 0.1)).toBeLessThan(0.01);
    const meanRun = runs.reduce((a, b) => a + b, 0) / runs.length;
    expect(meanRun).toBeGreaterThan(3.6);
    expect(meanRun).toBeLessThan(4.4);

    // Random loss at the same rate has runs of about 1 / (1 - 0.1) = 1.11.
    const bern = new ImpairmentCore({ loss: 0.1, seed: 11 });
    const bernRuns: number[] = [];
    run = 0;
    for (let i = 0; i < n; i++) {
      if (bern.admit(i) === DROPPED) run++;
      else if (run > 0) {
        bernRuns.push(run);
        run = 0;
      }
    }
    expect(bernRuns.reduce((a, b) => a + b, 0) / bernRuns.length).toBeLessThan(1.2);
  });

  it("drops exactly the packets admitted inside a cut window", () => {
    const core = new ImpairmentCore({ cuts: [{ fromMs: 300, toMs: 600 }] });
    const dropped: number[] = [];
    for (let i = 0; i < 100; i++) if (core.admit(i * 10) === DROPPED) dropped.push(i);
    expect(dropped).toEqual(Array.from({ length: 30 }, (_, k) => 30 + k));
    expect(core.lastDrop).toBe(null);
    expect(core.toJSON().dropped.cut).toBe(30);
  });

  it("cuts until restored, and restore removes windows that have not begun", () => {
    const core = new ImpairmentCore();
    core.cut(100);
    core.cut(900, 1000);
    expect(core.admit(99)).toBe(99);
    expect(core.admit(100)).toBe(DROPPED);
    expect(core.lastDrop).toBe("cut");
    expect(core.toJSON(200).cutActive).toBe(true);
    core.restore(250);
    expect(core.admit(249.9)).toBe(DROPPED);
    expect(core.admit(250)).toBe(250);
    expect(core.admit(950)).toBe(950);
    expect(core.toJSON(260).cutActive).toBe(false);
  });

  it("changes settings at run time and rejects invalid ones", () => {
    const core = new ImpairmentCore({ delayMs: 10 });
    core.configure({ loss: 1 });
    expect(core.admit(0)).toBe(DROPPED);
    core.configure({ loss: 0 });
    expect(core.admit(5)).toBe(15);
    expect(() => core.configure({ loss: 1.5 })).toThrow(RangeError);
    expect(() => core.configure({ delayMs: -1 })).toThrow(RangeError);
    expect(() => core.configure({ jitterMs: Number.NaN })).toThrow(RangeError);
    expect(() => core.configure({ cuts: [{ fromMs: 5, toMs: 5 }] })).toThrow(RangeError);
    expect(() => burstLoss(1, 3)).toThrow(RangeError);
  });

  it("seededRandom is uniform enough over [0, 1)", () => {
    const r = seededRandom(1);
    const bins = new Array(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = r();
      if (!(x >= 0 && x < 1)) outside++;
      else bins[Math.floor(x * 10)]++;
    }
    expect(outside).toBe(0);
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });
});

describe("ImpairedPath", () => {
  it("delivers synchronously when nothing is impaired and nothing is held", () => {
    const clock = new VirtualClock();
    const out: [number, number][] = [];
    const path = new ImpairedPath(new ImpairmentCore(), (x: number, at) => out.push([x, at]), clock);
    clock.t = 5;
    expect(path.push(1)).toBe(true);
    expect(out).toEqual([[1, 5]]);
    expect(clock.armed).toBe(0);
  });

  it("releases held packets at their release times, in order", () => {
    const clock = new VirtualClock();
    const out: [number, number][] = [];
    const path = new ImpairedPath(new ImpairmentCore({ delayMs: 30 }), (x: number, at) => out.push([x, at]), clock);
    for (let i = 0; i < 5; i++) {
      clock.advanceTo(i * 10);
      path.push(i);
    }
    // At t = 40 the first two (due at 30 and 40) are out.
    expect(out).toEqual([
      [0, 30],
      [1, 40],
    ]);
    expect(path.pending).toBe(3);
    clock.advanceTo(100);
    expect(out.map((o) => o[1])).toEqual([30, 40, 50, 60, 70]);
    expect(path.pending).toBe(0);
  });

  it("released by its owner (a link read on its tick): no timer, each packet stamped with its own release time", () => {
    const clock = new VirtualClock();
    const out: [number, number][] = [];
    const path = new ImpairedPath(new ImpairmentCore({ delayMs: 12 }), (x: number, at) => out.push([x, at]), clock);
    path.setManual(true);
    // Packets read in a batch at t = 10 that came at 3 and 8: admitted when they came.
    clock.advanceTo(10);
    for (const [x, at] of [[0, 3], [1, 8]]) {
      const release = path.decide(at);
      path.hold(x, release);
    }
    expect(clock.armed).toBe(0);
    path.releaseDue(14);
    expect(out).toEqual([]);
    path.releaseDue(15);
    expect(out).toEqual([[0, 15]]);
    path.releaseDue(30);
    expect(out).toEqual([[0, 15], [1, 20]]);
    // Back to a timer: what is held goes at its time.
    path.hold(2, 40);
    path.setManual(false);
    expect(clock.armed).toBe(1);
    clock.advanceTo(40);
    expect(out[2]).toEqual([2, 40]);
  });

  it("drops what the core drops and holds nothing after close", () => {
    const clock = new VirtualClock();
    const out: number[] = [];
    const core = new ImpairmentCore({ delayMs: 10, cuts: [{ fromMs: 20, toMs: 40 }] });
    const path = new ImpairedPath(core, (x: number) => out.push(x), clock);
    for (let i = 0; i < 6; i++) {
      clock.advanceTo(i * 10);
      path.push(i);
    }
    clock.advanceTo(200);
    expect(out).toEqual([0, 1, 4, 5]);
    path.push(99);
    path.close();
    clock.advanceTo(400);
    expect(out).toEqual([0, 1, 4, 5]);
    expect(path.push(100)).toBe(false);
  });
});
