/**
 * What a node heard (and, at the root, the full mix), kept in memory in buffers sized once at
 * start, written frame by frame at the position of the tick: a skipped tick leaves silence
 * where it belongs, so the recording stays aligned with the absolute sample clock.
 */
export class Recorder {
  readonly hear: Float32Array;
  readonly mix: Float32Array;
  /** Absolute sample index of sample 0 (see signature.ts). */
  readonly startAbs: number;
  private written = 0;
  overflowFrames = 0;

  constructor(seconds: number, startAbs: number, sampleRate = 48_000) {
    const n = Math.max(0, Math.round(seconds * sampleRate));
    this.hear = new Float32Array(n);
    this.mix = new Float32Array(n);
    this.startAbs = startAbs;
  }

  /** Writes one frame starting at absolute sample `abs`. `voice` is added into the mix when given. */
  write(abs: number, hear: Float32Array, voice: Float32Array | null): void {
    const pos = abs - this.startAbs;
    const n = hear.length;
    if (pos < 0 || pos + n > this.hear.length) {
      this.overflowFrames++;
      return;
    }
    this.hear.set(hear, pos);
    const mix = this.mix;
    if (voice) for (let i = 0; i < n; i++) mix[pos + i] = hear[i] + voice[i];
    else mix.set(hear, pos);
    if (pos + n > this.written) this.written = pos + n;
  }

  /** Samples written so far (the end of the last frame). */
  get length(): number {
    return this.written;
  }
}
