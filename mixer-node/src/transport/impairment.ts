/**
 * Link impairment in user space (this kernel has no netem): added delay,
 * jitter, random and bursty loss, and cut-offs, applied to packets at a
 * link's RTP boundary.
 *
 * `ImpairmentCore` is pure: packets and time go in, a release time (or a
 * drop) comes out; randomness comes from a seeded PRNG so that runs repeat
 * exactly. `ImpairedPath` is the thin adapter that holds packets until their
 * release time with an injectable clock (real timers or the simulator's).
 */

export interface GilbertElliott {
  /** Per-packet probability of going from the good state to the bad state. */
  enterBad: number;
  /** Per-packet probability of leaving the bad state (1 / mean burst length). */
  exitBad: number;
  /** Loss probability in the bad state; default 1. */
  lossBad?: number;
  /** Loss probability in the good state; default 0. */
  lossGood?: number;
}

export interface CutWindow {
  /** Start of the cut, in the clock the core is fed with (ms). */
  fromMs: number;
  /** End of the cut (exclusive); Infinity cuts until `restore()`. */
  toMs: number;
}

export interface ImpairmentConfig {
  /** Fixed one-way delay added to every packet, ms. Default 0. */
  delayMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs), ms. Default 0. */
  jitterMs?: number;
  /**
   * Whether jitter may reorder packets. Default false: a packet is never
   * released before the one admitted before it, as on one network path.
   */
  reorder?: boolean;
  /** Independent (Bernoulli) loss probability per packet, 0..1. Default 0. */
  loss?: number;
  /** Bursty loss (Gilbert-Elliott two-state model); applied after `loss`. */
  burst?: GilbertElliott | null;
  /** Cut windows: every packet admitted inside one is dropped. */
  cuts?: CutWindow[];
  /** PRNG seed. Default 1. */
  seed?: number;
}

export type DropReason = "loss" | "burst" | "cut";

/** Gilbert-Elliott parameters for a long-run loss rate and a mean burst length (packets). */
export function burstLoss(rate: number, meanBurstPackets: number): GilbertElliott {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`burst loss rate must be in [0, 1): ${rate}`);
  if (!(meanBurstPackets >= 1)) throw new RangeError(`mean burst must be >= 1 packet: ${meanBurstPackets}`);
  const exitBad = 1 / meanBurstPackets;
  // Steady state: P(bad) = enter / (enter + exit) = rate.
  return { enterBad: (rate * exitBad) / (1 - rate), exitBad, lossBad: 1, lossGood: 0 };
}

/** mulberry32: small, fast, and good enough for network emulation. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ImpairmentStats {
  admitted: number;
  passed: number;
  dropped: { loss: number; burst: number; cut: number };
  maxAddedMs: number;
  cutActive: boolean;
}

/** `admit`/`decide` result: the packet is lost. */
export const DROPPED = -1;
/** `decide` result: deliver the packet now, synchronously. */
export const NOW = -2;

export class ImpairmentCore {
  private delayMs = 0;
  private jitterMs = 0;
  private reorder = false;
  private loss = 0;
  private burst: Required<GilbertElliott> | null = null;
  private cuts: CutWindow[] = [];
  private random: () => number;
  private inBadState = false;
  private lastRelease = -Infinity;
  private lastDropReason: DropReason | null = null;
  private readonly stats = {
    admitted: 0,
    passed: 0,
    loss: 0,
    burst: 0,
    cut: 0,
    maxAddedMs: 0,
  };

  constructor(config: ImpairmentConfig = {}) {
    this.random = seededRandom(config.seed ?? 1);
    this.configure(config);
  }

  /** Changes the given settings; the others, the PRNG state and the stats stay. */
  configure(config: ImpairmentConfig): void {
    if (config.delayMs !== undefined) this.delayMs = nonNegative("delayMs", config.delayMs);
    if (config.jitterMs !== undefined) this.jitterMs = nonNegative("jitterMs", config.jitterMs);
    if (config.reorder !== undefined) this.reorder = config.reorder;
    if (config.loss !== undefined) this.loss = probability("loss", config.loss);
    if (config.burst !== undefined) {
      const b = config.burst;
      this.burst = b
        ? {
            enterBad: probability("burst.enterBad", b.enterBad),
            exitBad: probability("burst.exitBad", b.exitBad),
            lossBad: probability("burst.lossBad", b.lossBad ?? 1),
            lossGood: probability("burst.lossGood", b.lossGood ?? 0),
          }
        : null;
      if (!b) this.inBadState = false;
    }
    if (config.cuts !== undefined) {
      for (const c of config.cuts) {
        if (!(c.toMs > c.fromMs)) throw new RangeError(`cut window must end after it starts: ${JSON.stringify(c)}`);
      }
      this.cuts = config.cuts.map((c) => ({ fromMs: c.fromMs, toMs: c.toMs }));
    }
    if (config.seed !== undefined) this.random = seededRandom(config.seed);
  }

  /** Drops everything admitted in [fromMs, toMs); toMs Infinity = until `restore()`. */
  cut(fromMs: number, toMs = Infinity): void {
    if (!(toMs > fromMs)) throw new RangeError(`cut must end after it starts: ${fromMs}..${toMs}`);
    this.cuts.push({ fromMs, toMs });
  }

  /** Ends every cut at `nowMs` (windows that have not begun yet are removed). */
  restore(nowMs: number): void {
    const kept: CutWindow[] = [];
    for (const c of this.cuts) {
      if (c.fromMs >= nowMs) continue;
      kept.push({ fromMs: c.fromMs, toMs: Math.min(c.toMs, nowMs) });
    }
    this.cuts = kept;
  }

  isCut(nowMs: number): boolean {
    for (let i = 0; i < this.cuts.length; i++) {
      const c = this.cuts[i];
      if (nowMs >= c.fromMs && nowMs < c.toMs) return true;
    }
    return false;
  }

  /** True when the core can change a packet's fate or timing at all. */
  get active(): boolean {
    return this.delayMs > 0 || this.jitterMs > 0 || this.loss > 0 || this.burst !== null || this.cuts.length > 0;
  }

  /**
   * Decides one packet admitted at `nowMs`: returns its release time (>= nowMs),
   * or DROPPED (-1), with the reason in `lastDrop`. Allocates nothing.
   */
  admit(nowMs: number): number {
    this.stats.admitted++;
    this.lastDropReason = null;
    if (this.cuts.length > 0 && this.isCut(nowMs)) return this.drop("cut");
    // Draw in a fixed order so that a seed gives the same fate sequence
    // whatever the packet timing.
    if (this.loss > 0 && this.random() < this.loss) return this.drop("loss");
    if (this.burst) {
      const b = this.burst;
      // Transition first, then decide the packet by the state it falls in.
      this.inBadState = this.inBadState ? this.random() >= b.exitBad : this.random() < b.enterBad;
      const p = this.inBadState ? b.lossBad : b.lossGood;
      if (p > 0 && this.random() < p) return this.drop("burst");
    }
    let release = nowMs + this.delayMs;
    if (this.jitterMs > 0) release += this.random() * this.jitterMs;
    if (!this.reorder && release < this.lastRelease) release = this.lastRelease;
    this.lastRelease = release;
    const added = release - nowMs;
    if (added > this.stats.maxAddedMs) this.stats.maxAddedMs = added;
    this.stats.passed++;
    return release;
  }

  get lastDrop(): DropReason | null {
    return this.lastDropReason;
  }

  toJSON(nowMs?: number): ImpairmentStats {
    const s = this.stats;
    return {
      admitted: s.admitted,
      passed: s.passed,
      dropped: { loss: s.loss, burst: s.burst, cut: s.cut },
      maxAddedMs: s.maxAddedMs,
      cutActive: nowMs === undefined ? false : this.isCut(nowMs),
    };
  }

  private drop(reason: DropReason): number {
    this.lastDropReason = reason;
    this.stats[reason]++;
    return DROPPED;
  }
}

function nonNegative(name: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${name} must be a finite number >= 0: ${v}`);
  return v;
}

function probability(name: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1]: ${v}`);
  return v;
}

/** The clock an `ImpairedPath` runs on: real timers by default, virtual time in tests and sim/. */
export interface PathClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: PathClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Held<T> {
  at: number;
  item: T;
}

/**
 * Holds packets until the core's release time, then hands each to `deliver`
 * with the time it was released. A packet due now with nothing queued ahead
 * of it is delivered synchronously, so an idle path costs one `admit` call.
 * Delayed packets must be owned by the path (copy reused buffers before
 * `push`); `needsCopy(now)` tells the caller whether a packet will be held.
 */
export class ImpairedPath<T> {
  private queue: Held<T>[] = [];
  private timer: unknown = null;
  private timerAt = Infinity;
  private closed = false;
  /**
   * Released by the owner (releaseDue, on its tick) rather than by a timer: a link read on its
   * owner's tick hands over held packets when it reads its socket, each stamped with its release
   * time, and the process wakes no more often for the delay than it does anyway.
   */
  private manual = false;
  /** The release time decide() worked out last (for a packet it said to deliver NOW: when it was due). */
  lastRelease = 0;

  constructor(
    readonly core: ImpairmentCore,
    private readonly deliver: (item: T, releasedAtMs: number) => void,
    private readonly clock: PathClock = realClock,
  ) {}

  /**
   * Decides the fate of the next packet without taking it: DROPPED, NOW
   * (deliver it synchronously: due now and nothing held ahead of it), or the
   * release time to pass to `hold` (the caller then owns a copy to hand over).
   */
  decide(atMs?: number): number {
    if (this.closed) return DROPPED;
    const now = this.clock.now();
    // Admitted when the packet came (a batch read on a tick sees older packets), released from then.
    const release = this.core.admit(atMs ?? now);
    if (release === DROPPED) return DROPPED;
    this.lastRelease = release;
    if (release <= now && this.queue.length === 0) return NOW;
    return release;
  }

  /** Holds a packet until `releaseAt` (from `decide`). */
  hold(item: T, releaseAt: number): void {
    if (this.closed) return;
    this.insert({ at: releaseAt, item });
    this.arm();
  }

  /** decide + deliver or hold; returns false if the impairment dropped the packet. */
  push(item: T): boolean {
    const release = this.decide();
    if (release === DROPPED) return false;
    if (release === NOW) this.deliver(item, this.clock.now());
    else this.hold(item, release);
    return true;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Held packets go when the owner calls releaseDue (true), or on a timer (false, the default). */
  setManual(on: boolean): void {
    if (this.manual === on) return;
    this.manual = on;
    if (on) this.disarm();
    else this.arm();
  }

  /** Hands over every held packet due by `nowMs`, each stamped with its own release time. */
  releaseDue(nowMs: number): void {
    while (!this.closed && this.queue.length > 0 && this.queue[0].at <= nowMs) {
      const held = this.queue.shift()!;
      this.deliver(held.item, held.at);
    }
  }

  /** Drops everything held and stops the timer. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.disarm();
  }

  private insert(held: Held<T>): void {
    const q = this.queue;
    let i = q.length;
    // Stable: equal release times keep admission order.
    while (i > 0 && q[i - 1].at > held.at) i--;
    q.splice(i, 0, held);
  }

  private arm(): void {
    if (this.manual) return;
    const head = this.queue[0];
    if (!head || head.at >= this.timerAt) return;
    this.disarm();
    this.timerAt = head.at;
    this.timer = this.clock.setTimeout(this.flush, Math.max(0, head.at - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private readonly flush = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now();
    // A timer that fires early (libuv rounds to whole ms) re-arms for the
    // rest: nothing is released before its time, so added delay is never short.
    while (!this.closed && this.queue.length > 0 && this.queue[0].at <= now) {
      const held = this.queue.shift()!;
      this.deliver(held.item, now);
    }
    if (!this.closed) this.arm();
  };
}
