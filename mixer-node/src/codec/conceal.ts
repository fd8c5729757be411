/**
 * Keeps a sung tone continuous through losses where libopus's own
 * concealment would not.
 *
 * libopus 1.3's CELT decoder turns on its pitch-based PLC only after two
 * packets in a row were received (celt_decoder.c: `st->skip_plc =
 * st->loss_count != 0`). A loss that follows the previous one by a single
 * good frame is concealed with shaped noise instead: a steady 330 Hz tone
 * drops by ~20 dB for that frame (measured, 10% random loss at 5 and 10 ms
 * frames). PlcGuard watches for exactly that pattern on CELT packets and then
 * replaces the Opus output with pitch repetition of the recent output. Opus
 * PLC still runs first in every case so the decoder's own state stays
 * consistent; a cross-fade hides the seam when decoding resumes.
 *
 * Pure and allocation-free after construction.
 */

/** History kept for the pitch search: WIN + MAX_LAG samples are needed. */
const HIST = 2048;
/** Shortest and longest repeated period: 1500 Hz and 60 Hz at 48 kHz. */
const MIN_LAG = 32;
const MAX_LAG = 800;
/** Correlation window (10 ms). */
const WIN = 480;
/** Full level for the first 20 ms of a loss run, then a linear fade to silence over 60 ms. */
const FADE_START = 960;
const FADE_LEN = 2880;
/** Cross-fade from concealment into the first decoded frame after a loss: one CELT overlap (2.5 ms). */
const XFADE = 120;

/**
 * Pitch-repetition concealment: repeats the last pitch period of the output
 * (so a tone continues in phase), fades out over long loss runs, and
 * cross-fades back into decoded audio.
 */
export class PitchConcealer {
  readonly #hist = new Float32Array(HIST);
  readonly #tmpl = new Float32Array(MAX_LAG);
  #period = MAX_LAG;
  #pos = 0;
  /** Samples concealed in the current loss run (0 when the last frame was not ours). */
  #lossRun = 0;
  readonly #xfade: number;

  /** `xfadeSamples`: length of the cross-fade back into decoded audio after a loss run. */
  constructor(xfadeSamples = XFADE) {
    this.#xfade = xfadeSamples;
  }

  /** The pitch period (samples) chosen for the current or last loss run. */
  get period(): number {
    return this.#period;
  }

  /** Conceals `n` samples into out[0..n). */
  conceal(out: Float32Array, n: number): void {
    if (this.#lossRun === 0) this.#startRun();
    const t = this.#tmpl;
    const p = this.#period;
    let pos = this.#pos;
    for (let i = 0; i < n; i++) {
      out[i] = t[pos] * gainAt(this.#lossRun + i);
      if (++pos === p) pos = 0;
    }
    this.#pos = pos;
    this.#lossRun += n;
    this.#push(out, n);
  }

  /** Records audio in out[0..n) that someone else produced; after our loss run, cross-fades it in first. */
  record(out: Float32Array, n: number): void {
    if (this.#lossRun > 0) {
      const x = n < this.#xfade ? n : this.#xfade;
      const t = this.#tmpl;
      const p = this.#period;
      let pos = this.#pos;
      for (let i = 0; i < x; i++) {
        const w = (i + 0.5) / x;
        out[i] = w * out[i] + (1 - w) * t[pos] * gainAt(this.#lossRun + i);
        if (++pos === p) pos = 0;
      }
      this.#lossRun = 0;
    }
    this.#push(out, n);
  }

  #push(src: Float32Array, n: number): void {
    const h = this.#hist;
    h.copyWithin(0, n);
    if (src.length === n) h.set(src, HIST - n);
    else for (let i = 0, j = HIST - n; i < n; i++, j++) h[j] = src[i];
  }

  /** Picks the period that best predicts the recent past and freezes it as the template. */
  #startRun(): void {
    const h = this.#hist;
    const end = HIST - 1;
    // Coarse search (every 4th sample, every 2nd lag), then refine around the best lag:
    // ~50k multiply-adds instead of ~370k, and only when a loss starts.
    let best = MAX_LAG;
    let bestScore = -Infinity;
    for (let lag = MIN_LAG; lag <= MAX_LAG; lag += 2) {
      const s = corr(h, end, lag, 4);
      if (s > bestScore) {
        bestScore = s;
        best = lag;
      }
    }
    const coarse = best;
    bestScore = -Infinity;
    for (let lag = Math.max(MIN_LAG, coarse - 2); lag <= Math.min(MAX_LAG, coarse + 2); lag++) {
      const s = corr(h, end, lag, 1);
      if (s > bestScore) {
        bestScore = s;
        best = lag;
      }
    }
    // Noise-like audio has no period: repeat the longest stretch, which buzzes least.
    this.#period = bestScore > 0.3 ? best : MAX_LAG;
    for (let i = 0, j = HIST - this.#period; i < this.#period; i++, j++) this.#tmpl[i] = h[j];
    this.#pos = 0;
  }
}

function gainAt(k: number): number {
  if (k < FADE_START) return 1;
  const g = 1 - (k - FADE_START) / FADE_LEN;
  return g > 0 ? g : 0;
}

/** Normalised correlation between the last WIN samples and those `lag` earlier. */
function corr(h: Float32Array, end: number, lag: number, stride: number): number {
  let c = 0;
  let e1 = 0;
  let e2 = 0;
  for (let n = 0; n < WIN; n += stride) {
    const a = h[end - n];
    const b = h[end - n - lag];
    c += a * b;
    e1 += a * a;
    e2 += b * b;
  }
  return e1 > 1e-12 && e2 > 1e-12 ? c / Math.sqrt(e1 * e2) : 0;
}

/** The decision described at the top of this file, for one decoder. */
export class PlcGuard {
  readonly #plc = new PitchConcealer();
  /** Consecutive good frames since the last loss (capped at 2). */
  #goodRun = 2;
  /** Whether the current loss run is concealed by us rather than by Opus. */
  #ours = false;
  #lastWasCelt = true;
  /** Frames concealed by us, for statistics. */
  replaced = 0;

  /** After Opus decoded `packet` into out[0..n). */
  decoded(packet: Uint8Array, out: Float32Array, n: number): void {
    this.#plc.record(out, n);
    this.#ours = false;
    this.#lastWasCelt = packet[0] >> 3 >= 16;
    if (this.#goodRun < 2) this.#goodRun++;
  }

  /** After Opus concealed one frame into out[0..n); may overwrite it. */
  concealed(out: Float32Array, n: number): void {
    if (this.#ours || (this.#goodRun === 1 && this.#lastWasCelt)) {
      this.#ours = true;
      this.#plc.conceal(out, n);
      this.replaced++;
    } else {
      this.#plc.record(out, n);
    }
    this.#goodRun = 0;
  }
}
