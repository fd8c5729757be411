/**
 * Aligns the phase of a node's ticks to its parent's (docs/design.md, "The cheap hop"), so that
 * the node's up frame reaches the parent just before the parent mixes, instead of waiting on
 * average half a frame for a free-running tick.
 *
 * The parent's own stream for this node carries, in each packet (down-header.ts), how long after
 * its tick deadline it went out, its jitter buffer's slack for this node's frames (the delay they
 * wait there beyond the buffer's target; negative: they come too late), and the parent's phase
 * (the sum of its own moves). The node's up stream carries its phase the same way, so that the
 * parent's jitter buffer takes each move as a move (JitterBuffer.senderMoved), neither jitter nor
 * drift.
 *
 * - The first window of packets (at start, or after the node lost its parent; not at a planned
 *   swap, where the slack takes the new parent over) moves the ticks sooner by up to a frame, to
 *   `initialGuardMs` before the parent's deadline (from the earliest arrival - afterTick of the
 *   window: a packet read late by a busy loop only ever looks later).
 * - When the parent moves, the node moves with it at once (NodeAlignment).
 * - Then the slack (its median over a window) trims what the phase cannot see (transit,
 *   processing, the parent's jitter target): below `slackLowMs`, sooner by what is missing and
 *   `slackKeepMs`; above `slackHighMs`, later, to `slackKeepMs`; at most every `slackEveryMs`.
 *   A frame or more of slack is the parent's buffer's to drop, and half a frame or more missing
 *   its to insert (its target jumped: copies of lost frames to wait for), not the node's to move.
 *
 * Pure: times come from the arguments; preallocated; no allocation per call.
 */
import type { DownStreams } from "../down-streams.js";
import { phaseDelta } from "../down-header.js";
import type { HubEngine } from "../hub-engine.js";
import type { TickClock } from "../tick-clock.js";

export const TICK_ALIGNER_DEFAULTS = {
  /**
   * Packets per decision: about this many ms of them (at least 4), shorter than the parent's
   * jitter buffer takes to insert a frame for frames that come late (adjustPersistMs, 50 ms).
   */
  windowMs: 40,
  /** Where the first alignment puts the frames: this long before the parent's deadline, ms. */
  initialGuardMs: 2,
  /** Slack below this: move sooner, to slackKeepMs; above slackHighMs, later, to it. */
  slackLowMs: 0,
  slackHighMs: 1.5,
  slackKeepMs: 0.5,
  /** Moves on the slack at most this often (the parent's buffer takes a while to show one). */
  slackEveryMs: 500,
} as const;

export interface TickAlignerStats {
  aligned: boolean;
  shifts: number;
  /** The parent's last median slack for this node's frames, ms. */
  slackMs: number | null;
  /** Sum of the moves made, ms (negative: sooner). */
  shiftedMs: number;
}

export class TickAligner {
  private readonly phases: Float64Array;
  private readonly slacks: Float64Array;
  private readonly sorted: Float64Array;
  private n = 0;
  private aligned = false;
  /** The parent's phase (myDeadline - parentDeadline, mod F) expected after the last move. */
  private expected = 0;
  private shifts = 0;
  private shiftedMs = 0;
  private lastSlack = Number.NaN;
  private slackAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly periodMs: number,
    private readonly window: number = Math.max(4, Math.round(TICK_ALIGNER_DEFAULTS.windowMs / periodMs)),
  ) {
    this.phases = new Float64Array(window);
    this.slacks = new Float64Array(window);
    this.sorted = new Float64Array(window);
  }

  /** A new parent: the next decision may move the ticks by up to a frame. */
  reset(): void {
    this.n = 0;
    this.aligned = false;
  }

  /**
   * One packet of the parent's own stream. `myDeadline`: any deadline of this node's ticks;
   * `sendAfterMs`: how long after its deadline this node's up frame typically leaves. Returns the
   * move to make now, ms (negative: sooner; 0: none), once a window of packets is in.
   */
  observe(myDeadline: number, arrivalMs: number, afterTickMs: number, slackMs: number, sendAfterMs: number): number {
    if (!(afterTickMs === afterTickMs) || !Number.isFinite(arrivalMs)) return 0;
    const F = this.periodMs;
    let p = mod(myDeadline - (arrivalMs - afterTickMs), F);
    // Around the first sample of the window, so that a phase near the wrap does not split it.
    const ref = this.n > 0 ? this.phases[0] : this.aligned ? this.expected : p;
    while (p - ref >= F / 2) p -= F;
    while (p - ref < -F / 2) p += F;
    this.phases[this.n] = p;
    this.slacks[this.n] = slackMs === slackMs ? slackMs : Number.NaN;
    this.n++;
    if (this.n < this.window) return 0;
    this.n = 0;
    // A packet read late (a busy loop) makes the parent look later, never sooner: the earliest
    // reading of the window is the truest (the largest phase).
    let phase = this.phases[0];
    for (let i = 1; i < this.window; i++) if (this.phases[i] > phase) phase = this.phases[i];
    const slack = this.median(this.slacks);
    this.lastSlack = slack;
    const d = TICK_ALIGNER_DEFAULTS;
    let move = 0;
    if (!this.aligned) {
      // Wanted: my deadline = parent's - guard - my send time; sooner by up to a frame.
      move = -mod(phase + d.initialGuardMs + sendAfterMs, F);
      this.aligned = true;
    } else if (slack === slack && arrivalMs - this.slackAt >= d.slackEveryMs) {
      // Half a frame or more short: the parent's target jumped (copies of lost frames to wait
      // for, clustered misses); its buffer inserts a frame for that, the ticks stay.
      if (slack < d.slackLowMs && slack > -F / 2) move = slack - d.slackKeepMs;
      else if (slack > d.slackHighMs && slack < F) move = slack - d.slackKeepMs;
      if (move !== 0) this.slackAt = arrivalMs;
    }
    this.expected = mod(phase + move, F);
    if (this.expected >= F / 2) this.expected -= F;
    if (move !== 0) {
      this.shifts++;
      this.shiftedMs += move;
    }
    return move;
  }

  /** The node moved its ticks: the window measured before is stale. */
  moved(): void {
    this.n = 0;
  }

  toJSON(): TickAlignerStats {
    return {
      aligned: this.aligned,
      shifts: this.shifts,
      slackMs: this.lastSlack === this.lastSlack ? Math.round(this.lastSlack * 1000) / 1000 : null,
      shiftedMs: Math.round(this.shiftedMs * 1000) / 1000,
    };
  }

  /** The median of a window (NaN when any value is NaN). */
  private median(a: Float64Array): number {
    const s = this.sorted;
    s.set(a);
    s.sort();
    const m = this.window;
    return m % 2 === 1 ? s[(m - 1) >> 1] : (s[m / 2 - 1] + s[m / 2]) / 2;
  }
}

function mod(x: number, m: number): number {
  const r = x % m;
  return r < 0 ? r + m : r;
}

/** A node's side of the alignment: fed after each tick, it moves the node's clock and phase. */
export class NodeAlignment {
  readonly aligner: TickAligner;
  private alignedTo: DownStreams | null = null;
  private parentPhase = -1;
  /** How long after its deadline the node's frames leave (an average, sampled every 4th tick). */
  private sendAfterMs = 0;
  private sampled = 0;

  constructor(periodMs: number) {
    this.aligner = new TickAligner(periodMs);
  }

  /**
   * After the tick of `deadline`: reads the parent's newest timing and moves the clock (and the
   * engine's phase) when the parent moved or the aligner says so. Returns the samples the frames
   * moved by (whole samples, so that they stay on the absolute sample clock; negative: sooner).
   * `now`: when the frame left (the emulator's virtual time; live, the wall clock).
   */
  afterTick(engine: HubEngine, clock: Pick<TickClock, "shift">, deadline: number, now = performance.now()): number {
    // A late tick's frame is late whatever the phase: the average leaves stalls out.
    if ((++this.sampled & 3) === 0) this.sendAfterMs += 0.1 * (Math.min(2, Math.max(0, now - deadline)) - this.sendAfterMs);
    const streams = engine.parentStreams;
    if (streams !== this.alignedTo) {
      this.alignedTo = streams;
      this.parentPhase = -1;
      // A node that lost its parent aligns afresh to the next; one that swaps parents in a
      // planned move keeps its phase and trims to the new one on the slack (a jump of up to a
      // frame at the swap cost the moved pairs up to 88 ms; kept, at most 37 ms, bench:moves).
      if (streams === null) this.aligner.reset();
    }
    if (streams === null || streams.timedPackets === 0) return 0;
    streams.timedPackets = 0;
    let samples = 0;
    if (this.parentPhase >= 0 && streams.phase !== this.parentPhase) samples = phaseDelta(streams.phase, this.parentPhase);
    else samples = Math.round(48 * this.aligner.observe(deadline, streams.timedArrivalMs, streams.afterTickMs, streams.slackMs, this.sendAfterMs));
    this.parentPhase = streams.phase;
    if (samples === 0) return 0;
    clock.shift(samples / 48);
    engine.phaseSamples += samples;
    this.aligner.moved();
    return samples;
  }
}
