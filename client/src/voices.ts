/**
 * Voice sources for headless singers: a WAV file (looped, resampled to 48 kHz when needed) or
 * a signature test voice (signature.ts). Both write into the caller's buffer without allocating.
 */
import type { VoiceSource } from "@choirmesh/mixer-node/runtime/choir-node";
import { readWav } from "./wav.js";

export class WavVoice implements VoiceSource {
  readonly samples: Float32Array;

  constructor(path: string, gain = 1) {
    const wav = readWav(path);
    if (wav.samples.length === 0) throw new Error(`${path}: no samples`);
    this.samples = wav.sampleRate === 48_000 ? wav.samples : resample(wav.samples, wav.sampleRate, 48_000);
    if (gain !== 1) for (let i = 0; i < this.samples.length; i++) this.samples[i] *= gain;
  }

  /** Loops the file on the absolute sample clock: every process plays the same sample at the same instant. */
  render(abs: number, out: Float32Array, length = out.length): void {
    const s = this.samples;
    let p = abs % s.length;
    for (let i = 0; i < length; i++) {
      out[i] = s[p];
      if (++p === s.length) p = 0;
    }
  }
}

/** Linear-interpolation resampling (test voices only; not for production audio paths). */
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  const n = Math.floor((x.length * to) / from);
  const y = new Float32Array(n);
  const step = from / to;
  for (let i = 0; i < n; i++) {
    const t = i * step;
    const k = Math.floor(t);
    const f = t - k;
    y[i] = (x[k] ?? 0) * (1 - f) + (x[k + 1] ?? x[k] ?? 0) * f;
  }
  return y;
}
