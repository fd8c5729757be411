/**
 * The hear phase of a node on the forwarded down path (docs/design.md, "The cheap hop").
 *
 * A node's tick is set for its up path: it runs just before its parent's deadline, so that its
 * up frame is in time (tick-aligner.ts). The parent's streams for it leave just after the
 * parent's tick, and those from further up later still: on the tick they would wait most of a
 * frame for the node's next one. So the node hears them in a phase of its own, `offsetMs` after
 * each tick's deadline (HubEngine.hear), once they are in.
 *
 * Each stream's slack (how long its frame waited beyond its jitter buffer's target,
 * HubEngine.hearSlacks) is collected over a window of hears. Streams from different hubs arrive
 * at different phases, and one hear cannot be just after all of them: it follows the stream from
 * the top of the tree (the most hops, down-header.ts), which carries the most voices, `keepMs`
 * after it comes in; a stream from a hub lower down comes sooner and waits for the hear (less than
 * a frame: docs/design.md, "The cheap hop", for what that costs the pairs that meet there). The
 * first window moves at once; then only when the top stream's slack is outside [lowMs, highMs]:
 * later at once (within a window: before its buffer inserts a frame, adjustPersistMs), sooner at
 * most every `everyMs`. Half a frame or more missing is its buffer's to fix (its target
 * jumped: it inserts a frame), not the phase's. When the node moves its ticks, the offset moves
 * the other way, so that the hear stays where the streams are. Pure: times from the arguments;
 * preallocated; no allocation per call.
 */
export const HEAR_PHASE_DEFAULTS = {
  /** Hears per decision: about this many ms of them (at least 4). */
  windowMs: 40,
  lowMs: 0.25,
  highMs: 3,
  keepMs: 1.5,
  everyMs: 500,
  /** Streams followed at most (DOWN_STREAMS_DEFAULTS.maxStreams). */
  maxStreams: 16,
} as const;

export interface HearPhaseStats {
  /** After each tick's deadline, ms. */
  offsetMs: number;
  moves: number;
  /** Frames of the parent's streams skipped to take a frame's wait back (see HearPhase.shift). */
  skipped: number;
  /** Frames held (concealed, not popped) after a move later past the tick. */
  held: number;
  /** The streams' median slacks at the last decision, ms, in stream order. */
  slacksMs: number[];
  /** The top stream's hops (levels above the parent; -1 before one played). */
  topHops: number;
}

export class HearPhase {
  /** When the hear runs, after the tick's deadline, ms: in [0, periodMs). */
  offsetMs: number;
  /** The streams' slacks of one hear and their hops, for HubEngine.hearSlacks to fill. */
  readonly slacks: Float64Array;
  readonly hops: Int32Array;
  private readonly windows: Float64Array;
  private readonly counts: Int32Array;
  private readonly medians: Float64Array;
  private readonly sorted: Float64Array;
  private n = 0;
  private first = true;
  private movedAt = Number.NEGATIVE_INFINITY;
  private moves = 0;
  private pending = 0;
  private skipped = 0;
  private held = 0;

  constructor(
    private readonly periodMs: number,
    private readonly window: number = Math.max(4, Math.round(HEAR_PHASE_DEFAULTS.windowMs / periodMs)),
    private readonly maxStreams: number = HEAR_PHASE_DEFAULTS.maxStreams,
  ) {
    // Where the tick heard them before: just before the next deadline.
    this.offsetMs = periodMs * 0.9;
    this.slacks = new Float64Array(maxStreams);
    this.hops = new Int32Array(maxStreams);
    this.windows = new Float64Array(maxStreams * window);
    this.counts = new Int32Array(maxStreams);
    this.medians = new Float64Array(maxStreams).fill(Number.NaN);
    this.sorted = new Float64Array(window);
  }

  /** The offset in whole samples (48 kHz): where the hear frame sits on the absolute clock. */
  get offsetSamples(): number {
    return Math.round(this.offsetMs * 48);
  }

  /**
   * After a hear at `nowMs` whose streams' slacks and hops are in `slacks` and `hops` (NaN: the
   * stream did not play). Returns the move made, ms (negative: sooner; 0: none).
   */
  observe(nowMs: number): number {
    const w = this.window;
    let any = false;
    for (let i = 0; i < this.maxStreams; i++) {
      const x = this.slacks[i];
      if (x === x && this.counts[i] < w) {
        this.windows[i * w + this.counts[i]++] = x;
        any = true;
      }
    }
    if (!any || ++this.n < w) return 0;
    this.n = 0;
    this.takeMedians();
    const d = HEAR_PHASE_DEFAULTS;
    const move = this.choose();
    // Later at once (the top stream's buffer would insert a frame soon); sooner at most every everyMs.
    if (move < 0 && !this.first && nowMs - this.movedAt < d.everyMs) return 0;
    this.first = false;
    if (move === 0) return 0;
    this.movedAt = nowMs;
    this.moves++;
    this.shift(move);
    return move;
  }

  /** Each stream's median slack over the window (NaN: fewer than half the hears played it). */
  private takeMedians(): void {
    const w = this.window;
    for (let i = 0; i < this.maxStreams; i++) {
      const c = this.counts[i];
      this.counts[i] = 0;
      if (c * 2 < w) {
        this.medians[i] = Number.NaN;
        continue;
      }
      const s = this.sorted.subarray(0, c);
      s.set(this.windows.subarray(i * w, i * w + c));
      s.sort();
      this.medians[i] = c % 2 === 1 ? s[(c - 1) >> 1] : (s[c / 2 - 1] + s[c / 2]) / 2;
    }
  }

  /** The move that puts the hear `keepMs` after the top stream (0 when it is within the band). */
  private choose(): number {
    const d = HEAR_PHASE_DEFAULTS;
    const m = this.medians;
    const hops = this.hops;
    let top = -1;
    for (let j = 0; j < this.maxStreams; j++) {
      if (!(m[j] === m[j])) continue;
      if (top < 0 || hops[j] > hops[top] || (hops[j] === hops[top] && m[j] < m[top])) top = j;
    }
    if (top < 0) return 0;
    const slack = m[top];
    if ((slack >= d.lowMs && slack <= d.highMs) || slack <= -this.periodMs / 2) return 0;
    return d.keepMs - slack;
  }

  /**
   * Moves the hear by `ms` (later: positive) on the wall clock; the window measured is stale. One
   * hear follows each tick, so a move past the tick changes which hear comes when: sooner past
   * it, the hear goes to just before the next tick and the next hear skips a frame of the streams
   * (it would wait a frame more); later past it, the next hear comes right after this one and
   * holds the streams for a frame (it conceals rather than pops). See takeFrames.
   */
  shift(ms: number): void {
    const F = this.periodMs;
    const raw = this.offsetMs + ms;
    const frames = Math.floor(raw / F);
    this.offsetMs = raw - frames * F;
    this.pending = Math.max(-1, Math.min(1, this.pending - frames));
    this.clearWindow();
  }

  /**
   * What the next hear does to the streams beyond its frame: 1 skip one, -1 hold one, 0 neither
   * (HubEngine.hear). Taking it clears it.
   */
  takeFrames(): number {
    const k = this.pending;
    this.pending = 0;
    if (k > 0) this.skipped++;
    else if (k < 0) this.held++;
    return k;
  }

  /** The node moved its ticks by `ms`: the hear stays where it was on the wall clock. */
  ticksMoved(ms: number): void {
    this.shift(-ms);
  }

  /** A new parent: the first window moves at once again. */
  reset(): void {
    this.first = true;
    this.clearWindow();
  }

  private clearWindow(): void {
    this.n = 0;
    this.counts.fill(0);
  }

  toJSON(): HearPhaseStats {
    const slacksMs: number[] = [];
    for (let i = 0; i < this.maxStreams; i++) if (this.medians[i] === this.medians[i]) slacksMs.push(Math.round(this.medians[i] * 1000) / 1000);
    let topHops = -1;
    for (let i = 0; i < this.maxStreams; i++) if (this.medians[i] === this.medians[i] && this.hops[i] > topHops) topHops = this.hops[i];
    return { offsetMs: Math.round(this.offsetMs * 1000) / 1000, moves: this.moves, skipped: this.skipped, held: this.held, slacksMs, topHops };
  }
}

function mod(x: number, m: number): number {
  const r = x % m;
  return r < 0 ? r + m : r;
}
