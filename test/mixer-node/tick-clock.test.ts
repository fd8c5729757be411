import { describe, expect, it } from "vitest";
import { TickClock, type MonotonicClock, type TimerScheduler } from "@choirmesh/mixer-node/tick-clock";

/** A fake monotonic clock with one-shot timers; timers fire late by `lateBy` (settable per firing). */
class FakeTime implements MonotonicClock, TimerScheduler {
  t = 1000;
  private timers: { at: number; cb: () => void; id: number }[] = [];
  private ids = 0;
  /** Added to the next timer's firing time, then reset (simulates a blocked event loop). */
  stallNext = 0;
  /** Added to every timer's firing time (simulates timer granularity). */
  lateBy = 0;
  delays: number[] = [];

  now(): number {
    return this.t;
  }
  set(cb: () => void, delayMs: number): unknown {
    this.delays.push(delayMs);
    const id = ++this.ids;
    this.timers.push({ at: this.t + delayMs, cb, id });
    return id;
  }
  clear(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  get pending(): number {
    return this.timers.length;
  }
  /** Fires timers in order until time `until`. */
  runUntil(until: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next) break;
      const at = next.at + this.lateBy + this.stallNext;
      if (at > until) break;
      this.timers.shift();
      this.stallNext = 0;
      this.t = Math.max(this.t, at);
      next.cb();
    }
    this.t = Math.max(this.t, until);
  }
}

function setup(periodMs: number, extra: Partial<ConstructorParameters<typeof TickClock>[0]> = {}) {
  const time = new FakeTime();
  const ticks: { k: number; deadline: number; at: number }[] = [];
  const clock = new TickClock({ periodMs, clock: time, scheduler: time, ...extra }, (k, deadline) => {
    ticks.push({ k, deadline, at: time.now() });
  });
  return { time, ticks, clock };
}

/** A 10 ms clock on FakeTime whose deferred runs wait in `deferred` until the test runs them. */
function deferringClock() {
  const time = new FakeTime();
  const deferred: (() => void)[] = [];
  const scheduler = { set: time.set.bind(time), clear: time.clear.bind(time), defer: (cb: () => void) => void deferred.push(cb) };
  const ticks: number[] = [];
  const clock = new TickClock({ periodMs: 10, clock: time, scheduler, deferLateMs: 5, maxCatchUpTicks: 6 }, (k) => ticks.push(k));
  return { time, deferred, ticks, clock };
}

describe("TickClock with a fake clock", () => {
  it("runs tick k at origin + (k+1)·F exactly, with no drift over many ticks", () => {
    const { time, ticks, clock } = setup(2.5);
    clock.start();
    time.runUntil(1000 + 2.5 * 1000);
    expect(ticks.length).toBe(1000);
    ticks.forEach((t, i) => {
      expect(t.k).toBe(i);
      expect(t.deadline).toBe(1000 + (i + 1) * 2.5);
      expect(t.at).toBe(t.deadline);
    });
    const s = clock.toJSON();
    expect(s).toMatchObject({ ticks: 1000, lateTicks: 0, skipped: 0, caughtUp: 0, errors: 0 });
    expect(s.latenessMs).toEqual({ p50: 0, p99: 0, max: 0, min: 0 });
  });

  it("does not accumulate timer lateness: a timer 0.7 ms late every time stays 0.7 ms late", () => {
    const { time, ticks, clock } = setup(10);
    time.lateBy = 0.7;
    clock.start();
    time.runUntil(1000 + 10 * 500 + 5);
    expect(ticks.length).toBe(500);
    for (const t of ticks) expect(t.at - t.deadline).toBeCloseTo(0.7, 9);
    expect(ticks[499].deadline).toBe(1000 + 500 * 10);
    // Each timer is armed for the time left to the deadline, not for a whole period.
    expect(time.delays[5]).toBeCloseTo(10 - 0.7, 9);
    expect(clock.toJSON().latenessMs.p99).toBeCloseTo(0.7, 9);
  });

  it("catches up after a late wake-up by running the missed ticks back to back", () => {
    const { time, ticks, clock } = setup(10);
    clock.start();
    time.runUntil(1030); // ticks 0..2 on time
    time.stallNext = 23; // the wake-up for tick 3 (deadline 1040) comes at 1063
    time.runUntil(1100);
    expect(ticks.map((t) => t.k)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ticks.slice(3, 6).map((t) => t.at)).toEqual([1063, 1063, 1063]);
    expect(ticks.slice(3, 6).map((t) => t.deadline)).toEqual([1040, 1050, 1060]);
    expect(ticks[6]).toEqual({ k: 6, deadline: 1070, at: 1070 });
    const s = clock.toJSON();
    expect(s).toMatchObject({ ticks: 10, caughtUp: 2, skipped: 0, lateTicks: 2 }); // 23 and 13 ms > 5 ms
    expect(s.latenessMs.max).toBe(23);
    expect(s.latenessMs.p50).toBe(0);
  });

  it("skips and counts the ticks beyond the catch-up bound, staying on the grid", () => {
    const { time, ticks, clock } = setup(10, { maxCatchUpTicks: 3 });
    clock.start();
    time.runUntil(1010);
    time.stallNext = 95; // wake-up for deadline 1020 at 1115: deadlines 1020..1110 are due (10)
    time.runUntil(1150);
    const ks = ticks.map((t) => t.k);
    // 7 oldest skipped; the three most recent run back to back; then on time again.
    expect(ks).toEqual([0, 8, 9, 10, 11, 12, 13, 14]);
    expect(ticks.slice(1, 4).map((t) => t.deadline)).toEqual([1090, 1100, 1110]);
    expect(ticks[4]).toEqual({ k: 11, deadline: 1120, at: 1120 });
    expect(clock.toJSON()).toMatchObject({ ticks: 8, skipped: 7, caughtUp: 2 });
  });

  it("runs a tick on a wake-up within the early tolerance and re-arms on an earlier one", () => {
    const { time, ticks, clock } = setup(10, { earlyToleranceMs: 1 });
    clock.start();
    time.lateBy = -0.8; // the timer fires 0.8 ms early: within tolerance
    time.runUntil(1010);
    expect(ticks).toEqual([{ k: 0, deadline: 1010, at: 1009.2 }]);
    time.lateBy = 0;
    time.stallNext = -3; // the next wake-up comes 3 ms early: sleep again
    time.runUntil(1019.5);
    expect(ticks.length).toBe(1);
    expect(clock.toJSON().earlyWakeups).toBe(1);
    time.runUntil(1020);
    expect(ticks[1]).toEqual({ k: 1, deadline: 1020, at: 1020 });
    expect(clock.toJSON().latenessMs.min).toBeCloseTo(-0.8, 9);
  });

  it("keeps ticking when the handler throws, and reports the error", () => {
    const time = new FakeTime();
    const errors: number[] = [];
    let n = 0;
    const clock = new TickClock(
      { periodMs: 5, clock: time, scheduler: time, onError: (_e, k) => errors.push(k) },
      (k) => {
        n++;
        if (k === 2) throw new Error("boom");
      },
    );
    clock.start();
    time.runUntil(1000 + 5 * 6);
    expect(n).toBe(6);
    expect(errors).toEqual([2]);
    expect(clock.toJSON().errors).toBe(1);
  });

  it("stop() cancels the pending timer; a tick handler may stop the clock", () => {
    const { time, ticks, clock } = setup(10);
    clock.start();
    time.runUntil(1030);
    clock.stop();
    expect(time.pending).toBe(0);
    time.runUntil(1100);
    expect(ticks.length).toBe(3);
    expect(clock.running).toBe(false);

    const t2 = new FakeTime();
    let c2: TickClock | null = null;
    let count = 0;
    c2 = new TickClock({ periodMs: 10, clock: t2, scheduler: t2 }, () => {
      if (++count === 2) c2!.stop();
    });
    c2.start();
    t2.stallNext = 50; // 5 ticks due at once, but the handler stops after the second
    t2.runUntil(1200);
    expect(count).toBe(2);
    expect(t2.pending).toBe(0);
  });

  it("rejects a bad period", () => {
    expect(() => new TickClock({ periodMs: 0 }, () => {})).toThrow(/bad-option/);
  });

  it("after a stall runs the overdue ticks from scheduler.defer, once pending I/O is handled", () => {
    const { time, deferred, ticks, clock } = deferringClock();
    clock.start();
    time.runUntil(1030); // ticks 0, 1, 2 on time, none deferred
    expect(ticks).toEqual([0, 1, 2]);
    expect(deferred).toHaveLength(0);
    time.stallNext = 25; // the wake-up for tick 3 (deadline 1040) comes at 1065
    time.runUntil(1070);
    expect(ticks).toEqual([0, 1, 2]); // nothing ran inside the late timer callback
    expect(deferred).toHaveLength(1);
    expect(clock.behind(time.now(), 5)).toBe(true); // what arrives now arrived earlier
    deferred.shift()!();
    expect(ticks).toEqual([0, 1, 2, 3, 4, 5, 6]); // 1040 .. 1070 due, back to back
    expect(clock.behind(time.now(), 5)).toBe(false);
    expect(clock.toJSON()).toMatchObject({ deferredRuns: 1, skipped: 0 });
  });

  it("drops a deferred run that belongs to a start before the last stop", () => {
    const { time, deferred, ticks, clock } = deferringClock();
    clock.start();
    time.stallNext = 30;
    time.runUntil(1045);
    expect(deferred).toHaveLength(1);
    clock.stop();
    clock.start();
    deferred.shift()!();
    expect(ticks).toEqual([]);
  });
});

describe("TickClock on the real clock", () => {
  it("ticks at 10 ms for 300 ms without drift", async () => {
    const at: number[] = [];
    const clock = new TickClock({ periodMs: 10 }, (_k, d) => at.push(performance.now() - d));
    const t0 = performance.now();
    clock.start();
    await new Promise((r) => setTimeout(r, 305));
    clock.stop();
    const elapsed = performance.now() - t0;
    const s = clock.toJSON();
    // Deadlines are absolute: the count follows elapsed time, whatever each timer's error.
    expect(s.ticks + s.skipped).toBeGreaterThanOrEqual(Math.floor(elapsed / 10) - 1);
    expect(s.ticks + s.skipped).toBeLessThanOrEqual(Math.floor(elapsed / 10) + 1);
    // Generous: two shared, noisy cores; a median tick later than 4 ms would mean a broken scheduler.
    expect(s.latenessMs.p50).toBeLessThan(4);
    expect(s.latenessMs.min).toBeGreaterThanOrEqual(-1);
  });
});
