/**
 * The adaptive target of the jitter buffer: the play-out delay (beyond the earliest-arriving
 * packets) that covers ~99 % of lateness, in the spirit of Jamulus's auto jitter buffer.
 *
 * Lateness comes from the ArrivalClock; a decaying histogram gives its 99th percentile; a margin
 * is added; clustered misses raise the target at once by one frame (given back slowly). Preallocated;
 * nothing here allocates after construction.
 */
import { ArrivalClock, LatenessHistogram } from "./jitter-buffer-clock.js";
import { JITTER_BUFFER_TUNING as TUNE, round3, type JitterBufferStats } from "./jitter-buffer-stats.js";

export class JitterTarget {
  readonly clock: ArrivalClock;
  private readonly hist: LatenessHistogram;
  private readonly fastHist: LatenessHistogram;
  /** Since when the fast quantile has stayed a frame below the slow one; -1 when it has not. */
  private fastLowSince = -1;
  private histFitted = false;
  /** The lateness quantile (ms), -1 before the first estimate. */
  q99 = -1;
  /** Extra frames after clustered misses. */
  boost = 0;
  /** The target play-out delay (ms) and the buffer depth (frames) that corresponds to it. */
  delayMs = 0;
  depth = 0;
  private lastBoostT = 0;
  private missScore = 0;
  private lastMissT = 0;
  private lastUpdateT = Number.NEGATIVE_INFINITY;
  /** When the stream last carried a redundant copy, and how many frames back (see redundancySeen). */
  private redundancyT = Number.NEGATIVE_INFINITY;
  private redundancyFrames = 0;

  constructor(
    private readonly frameMs: number,
    private readonly minDepth: number,
    private readonly maxDepth: number,
    private readonly initialDepth: number,
    private readonly adaptive: boolean,
    maxDrift: number = TUNE.maxDrift,
  ) {
    this.clock = new ArrivalClock(TUNE.clockBlockMs, TUNE.clockFitBlocks, TUNE.clockMinBlocks, maxDrift);
    // Bins of at most a quarter millisecond: the target follows the jitter measured, not a
    // fraction of the frame (a 10 ms frame's eighth would round a 1 ms jitter up to 1.25 ms).
    const binMs = Math.min(frameMs / TUNE.binsPerFrame, TUNE.maxBinMs);
    const bins = Math.ceil(((maxDepth + 1) * frameMs) / binMs);
    this.hist = new LatenessHistogram(binMs, bins, TUNE.histogramHalfLifeMs / frameMs);
    this.fastHist = new LatenessHistogram(binMs, bins, TUNE.fastHalfLifeMs / frameMs);
    this.reset();
  }

  reset(): void {
    this.clock.reset();
    this.hist.reset();
    this.fastHist.reset();
    this.fastLowSince = -1;
    this.histFitted = false;
    this.q99 = -1;
    this.boost = 0;
    this.missScore = 0;
    this.lastUpdateT = Number.NEGATIVE_INFINITY;
    this.redundancyT = Number.NEGATIVE_INFINITY;
    this.setDelay((this.initialDepth - 1) * this.frameMs);
  }

  /** One packet: receiver time t (ms) and its clock offset (arrival minus media time). */
  observe(t: number, offset: number): void {
    const late = this.clock.observe(t, offset);
    if (!this.histFitted && this.clock.fitted) {
      // Lateness measured before the first drift fit is biased by up to drift x 1 s: forget it.
      this.hist.reset();
      this.fastHist.reset();
      this.histFitted = true;
    }
    this.hist.add(late);
    this.fastHist.add(late);
  }

  /** Recomputes the target now and then (the quantile walks the histogram). */
  tick(t: number): void {
    if (t - this.lastUpdateT >= TUNE.targetUpdateMs) this.update(t);
  }

  /**
   * The packet just received carries redundant copies of earlier frames, up to `frames` back: a
   * copy comes that many frames after its original, so the target keeps that many frames more
   * while copies keep coming (TUNE.redundancyHoldMs), as many as the latest packet carried.
   */
  redundancySeen(t: number, frames: number): void {
    const changed = frames !== this.redundancyFrames || t - this.redundancyT >= TUNE.redundancyHoldMs;
    this.redundancyFrames = frames;
    this.redundancyT = t;
    if (changed) this.update(t);
  }

  /** A packet missed its play time (an underrun begins, or a late arrival). Clustered misses raise the target. */
  miss(t: number): void {
    if (!this.adaptive) return;
    this.missScore = this.missScore * Math.pow(2, -(t - this.lastMissT) / TUNE.missHalfLifeMs) + 1;
    this.lastMissT = t;
    if (this.missScore >= TUNE.missBoostScore && this.boost < this.maxDepth) {
      this.missScore = 0;
      this.boost++;
      this.lastBoostT = t;
      this.update(t);
    }
  }

  private update(t: number): void {
    this.lastUpdateT = t;
    if (!this.adaptive) return;
    if (this.boost > 0 && t - this.lastBoostT >= TUNE.boostDecayMs) {
      this.boost--;
      this.lastBoostT = t;
    }
    // Until enough samples, the last quantile stands (or the initial depth before the first one):
    // falling back to the initial depth after the histogram restarts would grow, then shrink again.
    if (this.hist.samples >= TUNE.minSamplesForTarget) {
      const slow = this.hist.quantile(TUNE.quantile);
      const fast = this.fastHist.quantile(TUNE.quantile);
      if (fast + this.frameMs > slow) this.fastLowSince = -1;
      else if (this.fastLowSince < 0) this.fastLowSince = t;
      this.q99 = this.fastLowSince >= 0 && t - this.fastLowSince >= TUNE.fastFollowAfterMs ? fast : slow;
    }
    const base = this.q99 >= 0 ? this.q99 + TUNE.marginMs : (this.initialDepth - 1) * this.frameMs;
    const redundancy = t - this.redundancyT < TUNE.redundancyHoldMs ? this.redundancyFrames * this.frameMs : 0;
    this.setDelay(base + (this.boost * this.frameMs) + redundancy);
  }

  private setDelay(ms: number): void {
    const F = this.frameMs;
    const lo = (this.minDepth - 1) * F;
    const hi = (this.maxDepth - 1) * F;
    this.delayMs = ms < lo ? lo : ms > hi ? hi : ms;
    // Frames in the buffer at play time whatever the phase of arrivals against ticks.
    this.depth = 1 + Math.ceil(this.delayMs / F - 1e-9);
  }

  /** The target's part of the buffer's stats. */
  toJSON(): Pick<JitterBufferStats, "targetDepth" | "targetDelayMs" | "latenessP99Ms" | "driftPpm" | "boostFrames"> {
    return {
      targetDepth: this.depth,
      targetDelayMs: round3(this.delayMs),
      latenessP99Ms: round3(this.q99),
      driftPpm: Math.round(-this.clock.slope * 1e6),
      boostFrames: this.boost,
    };
  }
}
