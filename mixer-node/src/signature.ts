/**
 * Test voices that carry a signature, and the analysis that finds, from the
 * audio a listener heard, whom it heard, how loud and with what delay.
 *
 * Voice i is a tone at signatureFrequency(i) (a multiple of 100 Hz) switched on
 * and off by a keyed pseudo-random pattern of chips. The pattern is a pure
 * function of the absolute sample clock (wall-clock milliseconds x 48), so any
 * process can regenerate what singer i sang at any instant. A listener's
 * recording, stamped with the absolute sample index of its first sample, is
 * demodulated at each voice's frequency; the lag that best aligns the heard
 * envelope with the regenerated one is the mouth-to-ear delay.
 *
 * A 10 ms (480-sample) boxcar demodulator nulls every other multiple of 100 Hz
 * exactly, so the voices of a mix separate cleanly.
 */

export const SIG_SAMPLE_RATE = 48_000;
const PERIOD = 480; // samples per 100 Hz period: every signature tone repeats after it

export interface SignatureOptions {
  /** Peak amplitude of the tone (default 0.08: sixteen voices on at once stay below 1.3). */
  amplitude?: number;
  /** Chip length of the on/off key in ms (default 40). */
  chipMs?: number;
  /** Raised-cosine ramp at chip edges in ms (default 10): no clicks, no splatter. */
  rampMs?: number;
}

const DEFAULTS = { amplitude: 0.08, chipMs: 40, rampMs: 10 };

/** Frequency of voice i: 400, 600, 800, ... Hz (multiples of 200 Hz) (index 0..37 stays under 8 kHz). */
export function signatureFrequency(index: number): number {
  return 400 + 200 * index;
}

/** The absolute sample clock: wall-clock ms x 48, the same in every process on a machine. */
export function absoluteSampleNow(): number {
  return Math.round((performance.timeOrigin + performance.now()) * (SIG_SAMPLE_RATE / 1000));
}

function keyBit(index: number, chip: number): number {
  // A 32-bit integer hash (murmur3 finaliser) of (index, chip); chips are at most ~2^36 here.
  let h = (Math.imul(chip | 0, 0x9e3779b1) ^ Math.imul(Math.floor(chip / 4294967296) + 1, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h & 1;
}

/** A singer's signature voice. `render` writes into the caller's buffer and does not allocate. */
export class SignatureVoice {
  readonly index: number;
  readonly frequency: number;
  private readonly amplitude: number;
  private readonly chipSamples: number;
  private readonly rampSamples: number;
  private readonly table: Float32Array;

  constructor(index: number, opts: SignatureOptions = {}) {
    const o = { ...DEFAULTS, ...opts };
    if (!Number.isInteger(index) || index < 0 || index > 37) throw new RangeError(`signature index ${index} out of 0..37`);
    this.index = index;
    this.frequency = signatureFrequency(index);
    this.amplitude = o.amplitude;
    this.chipSamples = Math.round((o.chipMs * SIG_SAMPLE_RATE) / 1000);
    this.rampSamples = Math.max(1, Math.round((o.rampMs * SIG_SAMPLE_RATE) / 1000));
    this.table = new Float32Array(PERIOD);
    for (let n = 0; n < PERIOD; n++) this.table[n] = Math.sin((2 * Math.PI * this.frequency * n) / SIG_SAMPLE_RATE);
  }

  /** Envelope (0..1) at absolute sample s. */
  envelope(s: number): number {
    const chip = Math.floor(s / this.chipSamples);
    const p = s - chip * this.chipSamples;
    const cur = keyBit(this.index, chip);
    if (p >= this.rampSamples) return cur;
    const prev = keyBit(this.index, chip - 1);
    if (prev === cur) return cur;
    return prev + (cur - prev) * 0.5 * (1 - Math.cos((Math.PI * p) / this.rampSamples));
  }

  /** Writes samples for absolute positions [startAbs, startAbs + out.length). */
  render(startAbs: number, out: Float32Array, length = out.length): void {
    const a = this.amplitude;
    let ph = startAbs % PERIOD;
    for (let i = 0; i < length; i++) {
      out[i] = a * this.envelope(startAbs + i) * this.table[ph];
      if (++ph === PERIOD) ph = 0;
    }
  }
}

/** In-place running mean over `width` samples (causal). */
function boxcar(x: Float64Array, width: number): void {
  const ring = new Float64Array(width);
  let sum = 0;
  for (let s = 0; s < x.length; s++) {
    const slot = s % width;
    sum += x[s] - ring[slot];
    ring[slot] = x[s];
    x[s] = sum / width;
  }
}

/**
 * Magnitude of the component at `freqHz` (a multiple of 100 Hz), sampled every
 * `hop` samples. The demodulated signal is smoothed by three cascaded 10 ms
 * boxcars: nulls at every multiple of 100 Hz and side lobes falling as 1/f^3,
 * so neighbouring voices leak less than -60 dB even while they switch on and
 * off. Scaled so that a steady tone of amplitude A reads A. Output index h
 * covers samples up to (h+1)*hop; the filter delay is the same for every
 * signal and cancels in comparisons.
 */
export function bandEnvelope(signal: Float32Array, freqHz: number, startAbs: number, hop = 48): Float32Array {
  const n = signal.length;
  const hops = Math.floor(n / hop);
  const env = new Float32Array(hops);
  const i = new Float64Array(n);
  const q = new Float64Array(n);
  let ph = ((startAbs % PERIOD) + PERIOD) % PERIOD;
  const w = (2 * Math.PI * freqHz) / SIG_SAMPLE_RATE;
  for (let s = 0; s < n; s++) {
    i[s] = signal[s] * Math.cos(w * ph);
    q[s] = signal[s] * Math.sin(w * ph);
    if (++ph === PERIOD) ph = 0;
  }
  for (let k = 0; k < 3; k++) {
    boxcar(i, PERIOD);
    boxcar(q, PERIOD);
  }
  for (let h = 0; h < hops; h++) {
    const s = (h + 1) * hop - 1;
    env[h] = 2 * Math.sqrt(i[s] * i[s] + q[s] * q[s]);
  }
  // The filters are still filling: do not report a partial level there.
  const fill = Math.min(hops - 1, Math.ceil((3 * PERIOD) / hop));
  for (let h = 0; h < fill; h++) env[h] = env[fill];
  return env;
}

export interface DelayEstimate {
  index: number;
  /** Best-aligned delay in ms (NaN when the voice was not found). */
  delayMs: number;
  /** Pearson correlation of heard and expected envelopes at that delay (0..1). */
  correlation: number;
  /** Mean band level in dB relative to full scale. */
  levelDb: number;
  /** Whether the voice was clearly present. */
  heard: boolean;
}

export interface AnalyzeOptions extends SignatureOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Correlation needed to count a voice as heard (default 0.6). */
  minCorrelation?: number;
  /** Skip this much of the start of the recording (buffers filling), ms (default 0). */
  skipMs?: number;
}

function pearsonAt(h: Float32Array, r: Float32Array, offset: number, from: number): number {
  let sh = 0, sr = 0, shh = 0, srr = 0, shr = 0;
  const n = h.length - from;
  for (let i = from; i < h.length; i++) {
    const a = h[i];
    const b = r[i + offset];
    sh += a; sr += b; shh += a * a; srr += b * b; shr += a * b;
  }
  const cov = shr - (sh * sr) / n;
  const vh = shh - (sh * sh) / n;
  const vr = srr - (sr * sr) / n;
  if (vh <= 1e-12 || vr <= 1e-12) return 0;
  return cov / Math.sqrt(vh * vr);
}

/**
 * Finds voice `index` in a recording that starts at absolute sample `startAbs`.
 * Delay resolution is 1 ms (48-sample hops) refined by parabolic interpolation.
 */
export function estimateDelay(heard: Float32Array, startAbs: number, index: number, opts: AnalyzeOptions = {}): DelayEstimate {
  const hop = 48;
  const minLag = Math.max(0, Math.floor((opts.minDelayMs ?? 0) * (SIG_SAMPLE_RATE / 1000) / hop));
  const maxLag = Math.ceil((opts.maxDelayMs ?? 500) * (SIG_SAMPLE_RATE / 1000) / hop);
  const voice = new SignatureVoice(index, opts);
  const heardEnv = bandEnvelope(heard, voice.frequency, startAbs, hop);
  const pad = maxLag * hop;
  const ref = new Float32Array(heard.length + pad);
  voice.render(startAbs - pad, ref);
  const refEnv = bandEnvelope(ref, voice.frequency, startAbs - pad, hop);
  const from = Math.min(heardEnv.length - 1, Math.ceil(((opts.skipMs ?? 0) * (SIG_SAMPLE_RATE / 1000)) / hop) + Math.ceil((3 * PERIOD) / hop));
  let mean = 0;
  for (let i = from; i < heardEnv.length; i++) mean += heardEnv[i];
  mean /= Math.max(1, heardEnv.length - from);
  const levelDb = 20 * Math.log10(Math.max(mean, 1e-9));
  // heardEnv[h] lines up with refEnv[h + maxLag - lag] for a delay of `lag` hops.
  let best = -2, bestLag = -1;
  const corr = new Float64Array(maxLag + 1);
  for (let lag = minLag; lag <= maxLag; lag++) {
    const c = pearsonAt(heardEnv, refEnv, maxLag - lag, from);
    corr[lag] = c;
    if (c > best) { best = c; bestLag = lag; }
  }
  if (bestLag < 0) return { index, delayMs: NaN, correlation: 0, levelDb, heard: false };
  let refined = bestLag;
  if (bestLag > minLag && bestLag < maxLag) {
    const a = corr[bestLag - 1], b = corr[bestLag], c = corr[bestLag + 1];
    const den = a - 2 * b + c;
    if (den < 0) refined = bestLag + (0.5 * (a - c)) / den;
  }
  const heardIt = best >= (opts.minCorrelation ?? 0.6);
  return {
    index,
    delayMs: heardIt ? (refined * hop * 1000) / SIG_SAMPLE_RATE : NaN,
    correlation: best,
    levelDb,
    heard: heardIt,
  };
}

/** Mean band level (dB) of voice `index` in a recording: to check that a singer does not hear itself. */
export function bandLevelDb(heard: Float32Array, startAbs: number, index: number, skipMs = 0): number {
  const env = bandEnvelope(heard, signatureFrequency(index), startAbs);
  const from = Math.min(env.length - 1, Math.ceil((skipMs * SIG_SAMPLE_RATE) / 1000 / 48) + 30);
  let sum = 0;
  for (let i = from; i < env.length; i++) sum += env[i];
  return 20 * Math.log10(Math.max(sum / Math.max(1, env.length - from), 1e-9));
}
