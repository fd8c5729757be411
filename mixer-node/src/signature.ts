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

const DEFAULTS = { amplitude: 0.08, chipMs: 20, rampMs: 5 };

/**
 * Voice i's frequency: one voice per Opus (CELT) band, near its middle, so that when a voice is
 * absent its band carries no codec noise from the others (CELT spreads quantisation noise across
 * a band; two voices in one band would put noise at each other's frequency). Every frequency is a
 * multiple of 100 Hz, so the analysis filters null all the others exactly.
 * Band edges (Hz): 200, 400, ..., 1600 (200 wide), 2000 .. 3200 (400), 4000 .. 5600 (800),
 * 6800, 8000, 9600, 12000, 15600, 20000.
 */
export const SIGNATURE_FREQUENCIES: readonly number[] = [
  300, 700, 1100, 1500, 2200, 3000, 4400, 6200, 8800, 13800, 500, 900, 1300, 1800, 2600, 3600, 5200, 7400, 10800, 17800,
  // Voices 20-31: the lowest band, then second and third voices in the wide bands from 4 kHz up
  // (a 200-Hz band cannot hold two: CELT's noise at the absent one's frequency leaks ~-30 dB),
  // spaced as far apart as each band allows; the top band holds one (two are not coded apart).
  // With all 32 singing, 64 kbit/s leaves the tones barely above the codec's noise after two
  // passes (correlation ~0.55, own voice -38..-46 dB); 128 kbit/s gives 1.0 and -44..-51 dB.
  100, 4100, 4900, 5700, 7000, 9400, 9800, 11800, 12200, 15400, 6700, 8100,
];

/** How many distinct signature voices exist. */
export const MAX_SIGNATURE_VOICES = SIGNATURE_FREQUENCIES.length;

export function signatureFrequency(index: number): number {
  const f = SIGNATURE_FREQUENCIES[index];
  if (f === undefined) throw new RangeError(`signature index ${index} out of 0..${MAX_SIGNATURE_VOICES - 1}`);
  return f;
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
    if (!Number.isInteger(index)) throw new RangeError(`signature index ${index} is not an integer`);
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
    const cs = this.chipSamples;
    const rs = this.rampSamples;
    const table = this.table;
    let ph = startAbs % PERIOD;
    // Chip by chip: the key is hashed twice a chip rather than once a sample (same samples as envelope()).
    for (let i = 0; i < length; ) {
      const s = startAbs + i;
      const chip = Math.floor(s / cs);
      const n = Math.min(length - i, (chip + 1) * cs - s);
      const cur = keyBit(this.index, chip);
      const prev = keyBit(this.index, chip - 1);
      let p = s - chip * cs;
      for (const end = i + n; i < end; i++, p++) {
        const env = p >= rs || prev === cur ? cur : prev + (cur - prev) * 0.5 * (1 - Math.cos((Math.PI * p) / rs));
        out[i] = a * env * table[ph];
        if (++ph === PERIOD) ph = 0;
      }
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
  const { re, im } = bandBaseband(signal, freqHz, startAbs, hop);
  const env = new Float32Array(re.length);
  for (let h = 0; h < re.length; h++) env[h] = Math.sqrt(re[h] * re[h] + im[h] * im[h]);
  // The filters are still filling: do not report a partial level there.
  const fill = Math.min(env.length - 1, Math.ceil((3 * PERIOD) / hop));
  for (let h = 0; h < fill; h++) env[h] = env[fill];
  return env;
}

/**
 * The complex baseband at `freqHz` (demodulated, smoothed by three cascaded 10 ms boxcars as in
 * bandEnvelope), sampled every `hop` samples.
 */
export function bandBaseband(signal: Float32Array, freqHz: number, startAbs: number, hop = 48): { re: Float32Array; im: Float32Array } {
  const n = signal.length;
  const hops = Math.floor(n / hop);
  const i = new Float64Array(n);
  const q = new Float64Array(n);
  let ph = ((startAbs % PERIOD) + PERIOD) % PERIOD;
  const w = (2 * Math.PI * freqHz) / SIG_SAMPLE_RATE;
  for (let s = 0; s < n; s++) {
    i[s] = signal[s] * Math.cos(w * ph);
    q[s] = -signal[s] * Math.sin(w * ph);
    if (++ph === PERIOD) ph = 0;
  }
  for (let k = 0; k < 3; k++) {
    boxcar(i, PERIOD);
    boxcar(q, PERIOD);
  }
  const re = new Float32Array(hops);
  const im = new Float32Array(hops);
  for (let h = 0; h < hops; h++) {
    const s = (h + 1) * hop - 1;
    re[h] = 2 * i[s];
    im[h] = 2 * q[s];
  }
  return { re, im };
}

export interface DelayEstimate {
  index: number;
  /** Best-aligned delay in ms (meaningful when `heard`). */
  delayMs: number;
  /** Normalised coherent correlation of the heard band with the voice's key at that delay (0..1). */
  correlation: number;
  /**
   * Level of the voice in the recording relative to the voice as sung, dB (0 = unchanged): the
   * larger of the coherent and the envelope estimate.
   */
  gainDb: number;
  /**
   * The coherent estimate alone: the most sensitive (floor ~45-50 dB down), for checking that a
   * voice is absent, e.g. a singer's own voice in what it hears.
   */
  coherentGainDb: number;
  /** Whether the voice was clearly present. */
  heard: boolean;
}

export interface AnalyzeOptions extends SignatureOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Correlation needed to count a voice as heard (default 0.5). */
  minCorrelation?: number;
  /** Skip this much of the start of the recording (buffers filling), ms (default 0). */
  skipMs?: number;
  /** Length of the coherent blocks, ms (default 2000). */
  blockMs?: number;
  /**
   * Let each block find the voice up to this far (ms) from the best delay before judging it
   * heard: a jitter buffer that drops or inserts a frame mid-recording moves the voice's delay
   * by a frame for everyone downstream, and a listener who hears it at two delays does hear it.
   * `delayMs` stays the best single delay. Default 0 (one delay for the whole recording).
   */
  shiftToleranceMs?: number;
}

/**
 * Finds voice `index` in a recording that starts at absolute sample `startAbs`, coherently: the
 * heard band's complex baseband is correlated with the voice's zero-mean on/off key at every
 * lag, so codec noise, incoherent with the key, averages out. The sum is coherent within blocks
 * of `blockMs` and the blocks' magnitudes add: a jitter buffer that drops or inserts a frame shifts
 * the tone's phase (a 5 ms frame is 1.5 cycles of 300 Hz), which would cancel a sum over the whole
 * recording. The estimate's floor is ~45-50 dB below a voice over a few seconds. Delay resolution
 * is 1 ms (48-sample hops), refined by parabolic interpolation.
 */
export function estimateDelay(heard: Float32Array, startAbs: number, index: number, opts: AnalyzeOptions = {}): DelayEstimate {
  const hop = 48;
  const perMs = SIG_SAMPLE_RATE / 1000;
  const minLag = Math.max(0, Math.floor(((opts.minDelayMs ?? 0) * perMs) / hop));
  const maxLag = Math.ceil(((opts.maxDelayMs ?? 500) * perMs) / hop);
  const blockHops = Math.max(1, Math.round(((opts.blockMs ?? 2000) * perMs) / hop));
  const voice = new SignatureVoice(index, opts);
  const h = bandBaseband(heard, voice.frequency, startAbs, hop);
  const pad = maxLag * hop;
  const ref = new Float32Array(heard.length + pad);
  voice.render(startAbs - pad, ref);
  const r = bandEnvelope(ref, voice.frequency, startAbs - pad, hop);
  const from = Math.min(h.re.length - 1, Math.ceil(((opts.skipMs ?? 0) * perMs) / hop) + Math.ceil((3 * PERIOD) / hop));
  const n = h.re.length - from;
  // Heard energy around its mean (a steady tone carries no key information).
  let mr = 0, mi = 0;
  for (let k = from; k < h.re.length; k++) { mr += h.re[k]; mi += h.im[k]; }
  mr /= Math.max(1, n); mi /= Math.max(1, n);
  let eh = 0;
  for (let k = from; k < h.re.length; k++) eh += (h.re[k] - mr) ** 2 + (h.im[k] - mi) ** 2;
  // heard[k] lines up with r[k + maxLag - lag] for a delay of `lag` hops.
  const corr = new Float64Array(maxLag + 1);
  const gain = new Float64Array(maxLag + 1);
  const tol = Math.max(0, Math.round(((opts.shiftToleranceMs ?? 0) * perMs) / hop));
  const blocks = Math.max(1, Math.ceil(n / blockHops));
  // Each block's coherent magnitude at every lag, kept only when blocks may pick their own lag.
  const blockMag = tol > 0 ? new Float64Array((maxLag + 1) * blocks) : null;
  const erAt = tol > 0 ? new Float64Array(maxLag + 1) : null;
  let best = -1, bestLag = -1;
  for (let lag = minLag; lag <= maxLag; lag++) {
    const off = maxLag - lag;
    let rm = 0;
    for (let k = from; k < h.re.length; k++) rm += r[k + off];
    rm /= Math.max(1, n);
    let cr = 0, ci = 0, er = 0, mag = 0;
    for (let k = from, inBlock = 0, b = 0; k < h.re.length; k++) {
      const rv = r[k + off] - rm;
      cr += h.re[k] * rv;
      ci += h.im[k] * rv;
      er += rv * rv;
      if (++inBlock === blockHops || k === h.re.length - 1) {
        const m = Math.sqrt(cr * cr + ci * ci);
        mag += m;
        if (blockMag !== null && b < blocks) blockMag[lag * blocks + b] = m;
        b++;
        cr = ci = 0;
        inBlock = 0;
      }
    }
    if (erAt !== null) erAt[lag] = er;
    const c = eh > 1e-18 && er > 1e-18 ? mag / Math.sqrt(eh * er) : 0;
    corr[lag] = c;
    gain[lag] = er > 1e-18 ? mag / er : 0;
    if (c > best) { best = c; bestLag = lag; }
  }
  // The same search on the band's envelope (its magnitude): at high frequencies, after several
  // Opus passes at modest bitrates, CELT may code a band's energy faithfully but fold its fine
  // structure, so the tone keeps its on/off key but loses its phase, and only the envelope sees it.
  const env = new Float32Array(h.re.length);
  for (let k = 0; k < env.length; k++) env[k] = Math.sqrt(h.re[k] * h.re[k] + h.im[k] * h.im[k]);
  let eBest = -1, eLag = -1, eGain = 0;
  const eCorr = new Float64Array(maxLag + 1);
  for (let lag = minLag; lag <= maxLag; lag++) {
    const off = maxLag - lag;
    let sh = 0, sr = 0, shh = 0, srr = 0, shr = 0;
    for (let k = from; k < env.length; k++) {
      const a = env[k];
      const b = r[k + off];
      sh += a; sr += b; shh += a * a; srr += b * b; shr += a * b;
    }
    const cov = shr - (sh * sr) / n;
    const vh = shh - (sh * sh) / n;
    const vr = srr - (sr * sr) / n;
    const c = vh > 1e-18 && vr > 1e-18 ? cov / Math.sqrt(vh * vr) : 0;
    eCorr[lag] = c;
    if (c > eBest) { eBest = c; eLag = lag; eGain = vr > 1e-18 ? cov / vr : 0; }
  }
  if (bestLag < 0 && eLag < 0) return { index, delayMs: NaN, correlation: 0, gainDb: -Infinity, coherentGainDb: -Infinity, heard: false };
  const useEnv = eBest > best;
  const lagOf = useEnv ? eLag : bestLag;
  const cs = useEnv ? eCorr : corr;
  let refined = lagOf;
  if (lagOf > minLag && lagOf < maxLag) {
    const a = cs[lagOf - 1], b = cs[lagOf], c = cs[lagOf + 1];
    const den = a - 2 * b + c;
    if (den < 0) refined = lagOf + (0.5 * (a - c)) / den;
  }
  let flex = 0;
  if (blockMag !== null && erAt !== null && bestLag >= 0 && eh > 1e-18 && erAt[bestLag] > 1e-18) {
    // Each block at its own best lag within the tolerance of the overall best one.
    let mag = 0;
    for (let b = 0; b < blocks; b++) {
      let m = 0;
      for (let lag = Math.max(minLag, bestLag - tol); lag <= Math.min(maxLag, bestLag + tol); lag++) m = Math.max(m, blockMag[lag * blocks + b]);
      mag += m;
    }
    flex = Math.min(1, mag / Math.sqrt(eh * erAt[bestLag]));
  }
  const correlation = Math.max(best, eBest, flex);
  const coherentGainDb = 20 * Math.log10(Math.max(bestLag >= 0 ? gain[bestLag] : 0, 1e-12));
  return {
    index,
    delayMs: (refined * hop) / perMs,
    correlation,
    gainDb: Math.max(coherentGainDb, 20 * Math.log10(Math.max(eGain, 1e-12))),
    coherentGainDb,
    heard: correlation >= (opts.minCorrelation ?? 0.5),
  };
}
