import { MIXER_DEFAULTS } from "./defaults.js";
import { Limiter, SUB_BLOCK, type LimiterOptions, type LimiterStats } from "./limiter.js";
import { accumulate, copy, subtract, subtract2, totalLess } from "./mixer-kernels.js";
import type { MixerStats } from "./stats.js";
import { ChoirmeshError } from "@choirmesh/common/errors";

/** An error of the mixing engine, with a stable code. */
export class EngineError extends ChoirmeshError<"bad-option" | "bad-slot" | "slot-in-use" | "slot-free" | "no-link"> {
  constructor(code: EngineError["code"], message: string) {
    super(code, `${code}: ${message}`);
  }
}

/** An input of the mixer: the parent's down mix, the node's own voice, or a child's up mix (by slot). */
export type MixInput = "down" | "voice" | number;
/** An output of the mixer: the up mix, what the singer hears, or a child's down mix (by slot). */
export type MixOutput = "up" | "hear" | number;

export interface MixMinusOptions {
  /** Samples per frame (480 for 10 ms at 48 kHz). */
  frameSamples: number;
  /** Child slots 0..maxChildren-1. */
  maxChildren: number;
  /** The node has a parent (false at the root); default true. */
  hasParent?: boolean;
  /** The node has its own voice (false for a dedicated hub); default true. */
  hasVoice?: boolean;
  /** Soft-limit every output (default true), or false to leave the sums as they are. */
  limiter?: LimiterOptions | false;
}

const DOWN = 0;
const VOICE = 1;
const FIRST_CHILD = 2;
/** Inputs one output may leave out besides its own (setExcluded). */
export const MAX_EXCLUDED = 8;

/**
 * The mix-minus core of a node (see docs/design.md, "Who hears what"). Per tick:
 *
 *   T    = D(n) + voice(n) + Σ U(c)
 *   U(n) = T - D(n)          up mix: n's subtree
 *   D(c) = T - U(c)          down mix for child c: everything outside c's subtree
 *   H(n) = T - voice(n)      what n's singer hears: everyone but n
 *
 * Two refinements for singers who hear some others directly (docs/design.md, "Neighbours hear
 * each other directly"): a child's down mix may leave out other children's up mixes as well
 * (setExcluded: the neighbours it hears peer to peer), and an input may be a direct peer's
 * (setPeer): heard, and in the other children's mixes, but never part of U(n).
 *
 * T is accumulated in float64, so each subtraction removes exactly what was added: a child's
 * own voice is absent from its down mix to the last bit of float32. Gains, mutes and fades are
 * applied to the input arrays in place before summing, for the same reason.
 *
 * Callers write inputs into the mixer's own arrays, call mix(), and read the mixer's output
 * arrays. All buffers are sized at construction; mix() does not allocate.
 */
export class MixMinus {
  readonly frameSamples: number;
  readonly maxChildren: number;
  /** The parent's down mix D(n), written by the caller each tick (ignored without a parent). */
  readonly downIn: Float32Array;
  /** The node's own voice, written by the caller each tick (ignored without a voice). */
  readonly voiceIn: Float32Array;
  /** The up mix U(n) after mix(). */
  readonly upOut: Float32Array;
  /** What the node's singer hears, H(n), after mix(). */
  readonly hearOut: Float32Array;

  private readonly inputs: Float32Array[];
  private readonly outputs: Float32Array[];
  private readonly limiters: (Limiter | null)[];
  private readonly total: Float64Array;
  private readonly zero: Float32Array;
  private readonly present: Uint8Array;
  private readonly muted: Uint8Array;
  private readonly silent: Uint8Array;
  private readonly fade: Int8Array;
  /** Outputs that leave the parent's down mix out (children that hear it forwarded). */
  private readonly noDown: Uint8Array;
  /** Per output, the inputs it leaves out besides its own (MAX_EXCLUDED each), and how many. */
  private readonly excluded: Int32Array;
  private readonly excludedCount: Uint8Array;
  /** Inputs of direct peers (left out of U(n)); their outputs are not mixed. */
  private readonly peer: Uint8Array;
  private readonly peerList: Int32Array;
  private peerCount = 0;
  private readonly lessList: Int32Array;
  private readonly less: Float64Array;
  private readonly gainNow: Float64Array;
  private readonly gainTarget: Float64Array;
  private readonly sumList: Float32Array[];
  private readonly peaks: Float64Array;
  private readonly scratchPeaks: Float64Array;
  private attachedCount = 0;
  private mixes = 0;

  constructor(opts: MixMinusOptions) {
    const n = opts.frameSamples;
    const k = opts.maxChildren;
    if (!Number.isInteger(n) || n <= 0) throw new EngineError("bad-option", `frameSamples ${n}`);
    if (!Number.isInteger(k) || k < 0) throw new EngineError("bad-option", `maxChildren ${k}`);
    this.frameSamples = n;
    this.maxChildren = k;
    const count = k + FIRST_CHILD;
    const inBuf = new Float32Array(count * n);
    const outBuf = new Float32Array(count * n);
    this.inputs = [];
    this.outputs = [];
    this.limiters = [];
    for (let i = 0; i < count; i++) {
      this.inputs.push(inBuf.subarray(i * n, (i + 1) * n));
      this.outputs.push(outBuf.subarray(i * n, (i + 1) * n));
      this.limiters.push(
        opts.limiter === false ? null : new Limiter({ maxFrameSamples: n, ...(opts.limiter ?? {}) }),
      );
    }
    this.downIn = this.inputs[DOWN];
    this.voiceIn = this.inputs[VOICE];
    this.upOut = this.outputs[DOWN];
    this.hearOut = this.outputs[VOICE];
    this.total = new Float64Array(n);
    this.zero = new Float32Array(n);
    this.present = new Uint8Array(count);
    this.present[DOWN] = (opts.hasParent ?? MIXER_DEFAULTS.hasParent) ? 1 : 0;
    this.present[VOICE] = (opts.hasVoice ?? MIXER_DEFAULTS.hasVoice) ? 1 : 0;
    this.muted = new Uint8Array(count);
    this.silent = new Uint8Array(count);
    this.fade = new Int8Array(count);
    this.noDown = new Uint8Array(count);
    this.excluded = new Int32Array(count * MAX_EXCLUDED);
    this.excludedCount = new Uint8Array(count);
    this.peer = new Uint8Array(count);
    this.peerList = new Int32Array(count);
    this.lessList = new Int32Array(Math.max(count, MAX_EXCLUDED));
    this.less = new Float64Array(n);
    this.gainNow = new Float64Array(count).fill(1);
    this.gainTarget = new Float64Array(count).fill(1);
    this.sumList = new Array<Float32Array>(count).fill(this.downIn);
    this.peaks = new Float64Array(count);
    this.scratchPeaks = new Float64Array(Math.ceil(n / SUB_BLOCK) + 1);
  }

  private index(which: MixInput | MixOutput): number {
    if (which === "down" || which === "up") return DOWN;
    if (which === "voice" || which === "hear") return VOICE;
    if (!Number.isInteger(which) || which < 0 || which >= this.maxChildren) {
      throw new EngineError("bad-slot", `child slot ${String(which)} outside 0..${this.maxChildren - 1}`);
    }
    return FIRST_CHILD + which;
  }

  /** The array the caller writes an input into before mix(). */
  input(which: MixInput): Float32Array {
    return this.inputs[this.index(which)];
  }

  /** The array an output is read from after mix(). */
  output(which: MixOutput): Float32Array {
    return this.outputs[this.index(which)];
  }

  childIn(slot: number): Float32Array {
    return this.inputs[this.index(slot)];
  }

  childDownOut(slot: number): Float32Array {
    return this.outputs[this.index(slot)];
  }

  get hasParent(): boolean {
    return this.present[DOWN] === 1;
  }

  get hasVoice(): boolean {
    return this.present[VOICE] === 1;
  }

  get childCount(): number {
    return this.attachedCount;
  }

  /** A parent appears (true) or the node becomes the root (false). */
  setParent(present: boolean): void {
    this.setPresent(DOWN, present);
  }

  setVoice(present: boolean): void {
    this.setPresent(VOICE, present);
  }

  attachChild(slot: number): void {
    const i = this.index(slot);
    if (this.present[i]) throw new EngineError("slot-in-use", `child slot ${slot} is attached`);
    this.setPresent(i, true);
    this.attachedCount++;
  }

  detachChild(slot: number): void {
    const i = this.index(slot);
    if (!this.present[i]) throw new EngineError("slot-free", `child slot ${slot} is not attached`);
    this.setPresent(i, false);
    this.attachedCount--;
  }

  isAttached(slot: number): boolean {
    return this.present[this.index(slot)] === 1;
  }

  private setPresent(i: number, present: boolean): void {
    this.present[i] = present ? 1 : 0;
    // Attaching clears a stale input; detaching leaves the last (faded) input in place to inspect.
    if (present) this.inputs[i].fill(0);
    this.outputs[i].fill(0);
    this.limiters[i]?.reset();
    this.fade[i] = 0;
    if (!present && i >= FIRST_CHILD) {
      this.noDown[i] = 0;
      this.excludedCount[i] = 0;
      if (this.peer[i]) this.setPeerAt(i, false);
    }
    this.gainNow[i] = this.muted[i] ? 0 : this.gainTarget[i];
  }

  /**
   * A child that takes its parent's streams forwarded (docs/design.md, "The cheap hop"): its down
   * output leaves D(n) out, L(n, c) = T - D(n) - U(c), so it hears D(n) once, from the streams.
   */
  setForwardedDown(slot: number, on: boolean): void {
    this.noDown[this.index(slot)] = on ? 1 : 0;
  }

  isForwardedDown(slot: number): boolean {
    return this.noDown[this.index(slot)] === 1;
  }

  /**
   * Child `slot`'s down mix leaves out these other children's up mixes too (the neighbours its
   * singer hears directly): D(c) = T - U(c) - Σ U(e). Replaces the slot's list; at most MAX_EXCLUDED.
   */
  setExcluded(slot: number, others: readonly number[]): void {
    const i = this.index(slot);
    if (others.length > MAX_EXCLUDED) throw new EngineError("bad-option", `at most ${MAX_EXCLUDED} excluded inputs, got ${others.length}`);
    const idx = others.map((o) => this.index(o));
    if (idx.includes(i)) throw new EngineError("bad-slot", `child slot ${slot} cannot exclude itself`);
    idx.forEach((j, k) => (this.excluded[i * MAX_EXCLUDED + k] = j));
    this.excludedCount[i] = idx.length;
  }

  excludedOf(slot: number): number[] {
    const i = this.index(slot);
    return Array.from(this.excluded.subarray(i * MAX_EXCLUDED, i * MAX_EXCLUDED + this.excludedCount[i]), (j) => j - FIRST_CHILD);
  }

  /** Child `slot` carries a direct peer's voice: heard and mixed for the other children, left out of U(n). */
  setPeer(slot: number, on: boolean): void {
    this.setPeerAt(this.index(slot), on);
  }

  isPeer(slot: number): boolean {
    return this.peer[this.index(slot)] === 1;
  }

  private setPeerAt(i: number, on: boolean): void {
    if ((this.peer[i] === 1) === on) return;
    this.peer[i] = on ? 1 : 0;
    this.peerCount = 0;
    for (let j = FIRST_CHILD; j < this.peer.length; j++) if (this.peer[j]) this.peerList[this.peerCount++] = j;
  }

  /** Linear gain of an input; a change ramps linearly over the next mix() (no click). */
  setGain(which: MixInput, gain: number): void {
    if (!(gain >= 0 && Number.isFinite(gain))) throw new EngineError("bad-option", `gain ${gain}`);
    this.gainTarget[this.index(which)] = gain;
  }

  getGain(which: MixInput): number {
    return this.gainTarget[this.index(which)];
  }

  /** Mute or unmute an input; ramps over the next mix() like a gain change. */
  setMute(which: MixInput, muted: boolean): void {
    this.muted[this.index(which)] = muted ? 1 : 0;
  }

  isMuted(which: MixInput): boolean {
    return this.muted[this.index(which)] === 1;
  }

  /**
   * Fades an input over the next mix() only, on top of its gain: "out" ramps 1 -> 0 (a link
   * that is going away), "in" ramps 0 -> 1 (a stream that starts or resumes).
   */
  fadeNext(which: MixInput, direction: "in" | "out"): void {
    this.fade[this.index(which)] = direction === "in" ? 1 : -1;
  }

  /** Peak |sample| of an output after the last mix(), before limiting. */
  peakBeforeLimit(which: MixOutput): number {
    return this.peaks[this.index(which)];
  }

  mix(): void {
    const n = this.frameSamples;
    const count = this.inputs.length;
    const list = this.sumList;
    let listed = 0;
    for (let i = 0; i < count; i++) {
      if (!this.present[i]) continue;
      if (this.applyGain(i)) list[listed++] = this.inputs[i];
    }
    accumulate(this.total, this.sumList, listed, n);
    for (let i = 0; i < count; i++) {
      if (!this.present[i] && i !== DOWN && i !== VOICE) continue;
      if (this.peer[i]) continue;
      const t = this.totalFor(i);
      const out = this.outputs[i];
      const lim = this.limiters[i];
      const pk = lim ? lim.subPeaks : this.scratchPeaks;
      const down = this.noDown[i] === 1 && this.present[DOWN] === 1 && this.silent[DOWN] === 0;
      if (down) subtract2(out, t, this.present[i] && !this.silent[i] ? this.inputs[i] : this.zero, this.inputs[DOWN], n, pk, this.peaks, i);
      else if (this.present[i] && !this.silent[i]) subtract(out, t, this.inputs[i], n, pk, this.peaks, i);
      else copy(out, t, n, pk, this.peaks, i);
      lim?.processWithPeaks(out, n);
    }
    this.mixes++;
  }

  /** The total output i starts from: T, less its excluded inputs (the up mix: less the peers') that sound. */
  private totalFor(i: number): Float64Array {
    const count = i === DOWN ? this.peerCount : this.excludedCount[i];
    if (count === 0) return this.total;
    let m = 0;
    for (let k = 0; k < count; k++) {
      const j = i === DOWN ? this.peerList[k] : this.excluded[i * MAX_EXCLUDED + k];
      if (this.present[j] && !this.silent[j]) this.lessList[m++] = j;
    }
    if (m === 0) return this.total;
    totalLess(this.less, this.total, this.inputs, this.lessList, m, this.frameSamples);
    return this.less;
  }

  /** Applies gain, mute and fade to input i in place; false when it is all zeros. */
  private applyGain(i: number): boolean {
    const x = this.inputs[i];
    const n = this.frameSamples;
    const g0 = this.gainNow[i];
    const g1 = this.muted[i] ? 0 : this.gainTarget[i];
    const fade = this.fade[i];
    this.gainNow[i] = g1;
    this.fade[i] = 0;
    if (fade === 0 && g0 === g1) {
      this.silent[i] = g1 === 0 ? 1 : 0;
      if (g1 === 0) x.fill(0);
      else if (g1 !== 1) for (let s = 0; s < n; s++) x[s] *= g1;
      return g1 !== 0;
    }
    // A ramp: the gain moves linearly from g0 to g1 and the fade from 1 -> 0 or 0 -> 1,
    // both reaching their end values on the frame's last sample.
    const step = 1 / n;
    const dg = g1 - g0;
    for (let s = 0; s < n; s++) {
      const r = (s + 1) * step;
      const f = fade === 0 ? 1 : fade > 0 ? r : 1 - r;
      x[s] *= (g0 + dg * r) * f;
    }
    this.silent[i] = 0;
    return true;
  }

  toJSON(): MixerStats {
    const limiters: Record<string, LimiterStats> = {};
    for (let i = 0; i < this.outputs.length; i++) {
      const lim = this.limiters[i];
      if (!lim || (!this.present[i] && i >= FIRST_CHILD)) continue;
      const name = i === DOWN ? "up" : i === VOICE ? "hear" : `child${i - FIRST_CHILD}`;
      limiters[name] = lim.toJSON();
    }
    return {
      frameSamples: this.frameSamples,
      maxChildren: this.maxChildren,
      children: this.attachedCount,
      hasParent: this.hasParent,
      hasVoice: this.hasVoice,
      mixes: this.mixes,
      limiters,
    };
  }
}
