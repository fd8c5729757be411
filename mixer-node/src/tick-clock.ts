import { TICK_CLOCK_DEFAULTS } from "./defaults.js";
import { quantileSorted } from "@choirmesh/common/quantiles";
import { EngineError } from "./mixer.js";

/** A monotonic time source in milliseconds. */
export interface MonotonicClock {
  now(): number;
}

/** One-shot timers. The real one wraps setTimeout; tests inject a fake. */
export interface TimerScheduler {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
  /** Runs the callback once pending I/O has been handled (setImmediate); absent = run at once. */
  defer?(callback: () => void): void;
}

export const monotonicClock: MonotonicClock = { now: () => performance.now() };

export const timeoutScheduler: TimerScheduler = {
  // Whole milliseconds, rounded down, as libuv arms them anyway (a wake-up up to
  // earlyToleranceMs early runs the tick): Node's timers keep one list per distinct delay, so a
  // fractional delay would cost a new list, a priority-queue insert and a number-to-string key
  // on every tick.
  set: (callback, delayMs) => setTimeout(callback, delayMs > 1 ? Math.floor(delayMs) : 1),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  defer: (callback) => void setImmediate(callback),
};

/** Called once per tick with the tick's index (0, 1, ...) and its deadline on the clock. */
export type TickHandler = (tick: number, deadlineMs: number) => void;

export interface TickClockOptions {
  /** Tick period F in ms (2.5, 5, 10 or 20 for Opus frames; any positive value works). */
  periodMs: number;
  /** Due ticks one wake-up runs back to back before skipping the rest; default 3. */
  maxCatchUpTicks?: number;
  /** Ask the timer to fire this much before the deadline; default 0 (see defaults.ts). */
  earlyWakeMs?: number;
  /** A wake-up at most this much before a deadline runs the tick; default 1. */
  earlyToleranceMs?: number;
  /** A tick that starts more than this after its deadline counts as late; default periodMs / 2. */
  lateThresholdMs?: number;
  /** Lateness samples kept for p50/p99; default 2048. */
  latenessWindow?: number;
  /**
   * Called once per late wake-up (the first due tick later than lateThresholdMs) with its
   * lateness and how many ticks are due (skipped ones included). Must not throw or allocate.
   */
  onLate?: (lateMs: number, due: number, nowMs: number) => void;
  /**
   * A wake-up whose first due tick is later than this runs its ticks after the event loop's
   * poll phase (scheduler.defer) instead of at once: after a stall the packets that arrived
   * meanwhile are then in the jitter buffers when the overdue ticks pull from them, rather
   * than still queued in the sockets. Default Infinity (never).
   */
  deferLateMs?: number;
  clock?: MonotonicClock;
  scheduler?: TimerScheduler;
  /** A tick handler that throws is reported here (default: ignored) and the clock keeps going. */
  onError?: (err: unknown, tick: number) => void;
}

export interface TickClockStats {
  periodMs: number;
  running: boolean;
  ticks: number;
  lateTicks: number;
  /** Ticks run back to back after an earlier one in the same wake-up. */
  caughtUp: number;
  /** Ticks never run because the clock fell more than maxCatchUpTicks behind. */
  skipped: number;
  /** Wake-ups that ran their ticks after the poll phase (see deferLateMs). */
  deferredRuns: number;
  /** Wake-ups too early to run a tick, which re-armed the timer. */
  earlyWakeups: number;
  errors: number;
  /** Phase moves (shift()) and their sum, ms. */
  shifts: number;
  shiftedMs: number;
  /** Start time minus deadline, ms, over the last `latenessWindow` ticks (negative = early). */
  latenessMs: { p50: number; p99: number; max: number; min: number };
}

/**
 * Runs a handler every `periodMs` against a monotonic clock. The deadline of tick k is
 * `origin + (k + 1)·F`, computed afresh each time, so timer error never accumulates (a bare
 * setInterval drifts by its lateness every period).
 *
 * After a late wake-up every tick already due runs back to back, up to `maxCatchUpTicks`; the
 * older ones beyond that are skipped and counted, so a long stall (GC, a blocked loop) costs a
 * gap in the audio rather than a burst of stale work. Between wake-ups the event loop runs and
 * packets reach the jitter buffers.
 *
 * The real scheduler is a plain setTimeout for the time left to the deadline. Measured here
 * (Node 20, 10 ms period, 300 ticks): lateness p50 -0.3 ms, p99 1.2–1.9 ms, ~1% of a core; Node
 * timers can fire up to ~1 ms early (the loop's clock is cached and rounded to ms), hence the
 * early tolerance. Arming 1–2 ms early and spinning on setImmediate to the deadline gave
 * p50 0.0 ms but cost ~28% of a core and a worse tail under load: not worth it for audio whose
 * jitter buffers absorb a millisecond.
 */
export class TickClock {
  readonly periodMs: number;
  private readonly onTick: TickHandler;
  private readonly clock: MonotonicClock;
  private readonly scheduler: TimerScheduler;
  private readonly maxCatchUp: number;
  private readonly earlyWake: number;
  private readonly earlyTolerance: number;
  private readonly lateThreshold: number;
  private readonly onError: ((err: unknown, tick: number) => void) | undefined;
  private readonly onLate: ((lateMs: number, due: number, nowMs: number) => void) | undefined;
  private readonly deferLate: number;
  /** Bumped by start() and stop(), so that a deferred run of an earlier start does nothing. */
  private generation = 0;
  /** The generation a pending deferred run belongs to. */
  private deferredGeneration = -1;
  private deferredRuns = 0;
  private readonly lateness: Float64Array;
  private latenessCount = 0;
  private maxLateness = -Infinity;
  private origin = 0;
  private next = 0;
  private timer: unknown = null;
  private isRunning = false;
  private ticks = 0;
  private lateTicks = 0;
  private caughtUp = 0;
  private skipped = 0;
  private earlyWakeups = 0;
  private errors = 0;
  private shifts = 0;
  private shiftedMs = 0;

  constructor(opts: TickClockOptions, onTick: TickHandler) {
    if (!(opts.periodMs > 0) || !Number.isFinite(opts.periodMs)) {
      throw new EngineError("bad-option", `periodMs ${opts.periodMs}`);
    }
    this.periodMs = opts.periodMs;
    this.onTick = onTick;
    this.clock = opts.clock ?? monotonicClock;
    this.scheduler = opts.scheduler ?? timeoutScheduler;
    this.maxCatchUp = Math.max(1, Math.floor(opts.maxCatchUpTicks ?? TICK_CLOCK_DEFAULTS.maxCatchUpTicks));
    this.earlyWake = opts.earlyWakeMs ?? TICK_CLOCK_DEFAULTS.earlyWakeMs;
    this.earlyTolerance = opts.earlyToleranceMs ?? TICK_CLOCK_DEFAULTS.earlyToleranceMs;
    this.lateThreshold = opts.lateThresholdMs ?? opts.periodMs / 2;
    this.onError = opts.onError;
    this.onLate = opts.onLate;
    this.deferLate = opts.deferLateMs ?? Infinity;
    this.lateness = new Float64Array(opts.latenessWindow ?? TICK_CLOCK_DEFAULTS.latenessWindow);
  }

  get running(): boolean {
    return this.isRunning;
  }

  /** Index of the next tick to run. */
  get nextTick(): number {
    return this.next;
  }

  /** The deadline of tick k. */
  deadline(k: number): number {
    return this.origin + (k + 1) * this.periodMs;
  }

  /**
   * Moves every deadline from the next one on by `deltaMs` (negative: sooner). A node aligns the
   * phase of its ticks to its parent's with it (runtime/tick-aligner.ts). Tick indices do not
   * change; the caller accounts for the samples the move skips or repeats.
   */
  shift(deltaMs: number): void {
    if (!Number.isFinite(deltaMs) || deltaMs === 0) return;
    this.origin += deltaMs;
    this.shiftedMs += deltaMs;
    this.shifts++;
    if (this.isRunning && this.timer !== null) {
      this.scheduler.clear(this.timer);
      this.arm();
    }
  }

  /** Starts ticking; the first deadline is one period from now. */
  start(): void {
    if (this.isRunning) return;
    this.isRunning = true;
    this.generation++;
    this.origin = this.clock.now();
    this.next = 0;
    this.arm();
  }

  stop(): void {
    this.isRunning = false;
    this.generation++;
    if (this.timer !== null) this.scheduler.clear(this.timer);
    this.timer = null;
  }

  private arm(): void {
    const delay = this.deadline(this.next) - this.clock.now() - this.earlyWake;
    this.timer = this.scheduler.set(this.wake, delay > 0 ? delay : 0);
  }

  /**
   * True when the next tick is overdue by more than `slackMs` at `nowMs`: the process is behind
   * (a stall), so whatever it handles now arrived earlier than it is seen.
   */
  behind(nowMs: number, slackMs: number): boolean {
    return this.isRunning && nowMs > this.deadline(this.next) + slackMs;
  }

  private readonly wake = (): void => {
    this.timer = null;
    if (!this.isRunning) return;
    const now = this.clock.now();
    if (now < this.deadline(this.next) - this.earlyTolerance) {
      this.earlyWakeups++;
      this.arm();
      return;
    }
    if (now - this.deadline(this.next) > this.deferLate && this.scheduler.defer) {
      this.deferredRuns++;
      this.deferredGeneration = this.generation;
      this.scheduler.defer(this.runDeferred);
      return;
    }
    this.runDue();
  };

  /** Bound once: a late wake-up defers without allocating a closure. */
  private readonly runDeferred = (): void => {
    if (this.deferredGeneration === this.generation && this.isRunning) this.runDue();
  };

  private runDue(): void {
    const now = this.clock.now();
    const F = this.periodMs;
    // Deadlines up to now + tolerance are due: indices next .. lastDue.
    const lastDue = Math.floor((now + this.earlyTolerance - this.origin) / F) - 1;
    let due = lastDue - this.next + 1;
    if (due < 1) due = 1;
    if (this.onLate) {
      const late = now - this.deadline(this.next);
      if (late > this.lateThreshold) this.onLate(late, due, now);
    }
    if (due > this.maxCatchUp) {
      const skip = due - this.maxCatchUp;
      this.next += skip;
      this.skipped += skip;
      due = this.maxCatchUp;
    }
    for (let i = 0; i < due && this.isRunning; i++) {
      const k = this.next++;
      const d = this.deadline(k);
      this.record(this.clock.now() - d);
      if (i > 0) this.caughtUp++;
      try {
        this.onTick(k, d);
      } catch (err) {
        this.errors++;
        this.onError?.(err, k);
      }
    }
    if (this.isRunning) this.arm();
  }

  private record(late: number): void {
    this.ticks++;
    if (late > this.lateThreshold) this.lateTicks++;
    if (late > this.maxLateness) this.maxLateness = late;
    this.lateness[this.latenessCount++ % this.lateness.length] = late;
  }

  toJSON(): TickClockStats {
    const n = Math.min(this.latenessCount, this.lateness.length);
    const sorted = this.lateness.slice(0, n).sort();
    const pct = (p: number) => (n === 0 ? 0 : quantileSorted(sorted, p));
    return {
      periodMs: this.periodMs,
      running: this.isRunning,
      ticks: this.ticks,
      lateTicks: this.lateTicks,
      caughtUp: this.caughtUp,
      skipped: this.skipped,
      earlyWakeups: this.earlyWakeups,
      deferredRuns: this.deferredRuns,
      errors: this.errors,
      shifts: this.shifts,
      shiftedMs: Math.round(this.shiftedMs * 1000) / 1000,
      latenessMs: { p50: pct(0.5), p99: pct(0.99), max: n === 0 ? 0 : this.maxLateness, min: n === 0 ? 0 : sorted[0] },
    };
  }
}
