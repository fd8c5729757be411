/**
 * Gaps in what a listener heard of one signature voice (signature.ts), found from the audio:
 * where the voice's known on/off key says "on" at the measured delay but the voice's band in the
 * recording is silent. Pure functions over recordings; no I/O.
 *
 * The band is demodulated at the voice's frequency and smoothed by one 10 ms boxcar (it nulls
 * every other multiple of 100 Hz, so other voices do not fill a gap), sampled every millisecond.
 * A hole of L >= 10 ms in a steady tone reads below half level for L ms.
 *
 * A delay may change during a recording (a listener re-parented hears the voice by a new path):
 * pass every delay it had. A millisecond counts as missing only when the key is on around it
 * under every delay (so a shift of the delay is never mistaken for a gap); a gap spans the silent
 * run around missing milliseconds, trimmed to where the key expected sound under some delay.
 */
import { SIG_SAMPLE_RATE, SignatureVoice } from "./signature.js";

const PERIOD = 480;

export interface GapOptions {
  /**
   * Heard level below this share of the voice's level counts as silent (default 0.25, -12 dB).
   * A gap is a dropout, not a dip: Opus concealment keeps a voice going 6-10 dB down for a few
   * frames after a loss (measured: 10 % random loss through one codec pass dips a keyed tone
   * below -6 dB for up to 100 ms, below -12 dB for at most 25 ms).
   */
  presentRatio?: number;
  /** The key's envelope must stay at or above this around a millisecond for it to count (default 0.9). */
  onLevel?: number;
  /** ...for this many ms either side, which absorbs small delay errors and drifts (default 6). */
  toleranceMs?: number;
  /** Ignore the first ms of the recording (buffers filling; default 30). */
  skipMs?: number;
  /** The voice's level in the recording; default: the 90th percentile of the band where the key is on. */
  level?: number;
}

export interface Gap {
  /** Absolute sample index (signature clock) of the gap's first and last silent millisecond. */
  startAbs: number;
  endAbs: number;
  ms: number;
}

export interface GapReport {
  gaps: Gap[];
  /** Longest gap, ms (0 when none). */
  maxMs: number;
  /** Level of the voice in the recording (band magnitude). */
  level: number;
  /** Milliseconds where the key was on under every delay and the voice was heard / missing. */
  heardMs: number;
  missingMs: number;
}

/** Magnitude of the band at `freqHz` (a multiple of 100 Hz), one 10 ms boxcar, one value per `hop` samples. */
export function boxcarEnvelope(signal: Float32Array, freqHz: number, startAbs: number, hop = 48): Float32Array {
  const hops = Math.floor(signal.length / hop);
  const env = new Float32Array(hops);
  const w = (2 * Math.PI * freqHz) / SIG_SAMPLE_RATE;
  const cos = new Float64Array(PERIOD);
  const sin = new Float64Array(PERIOD);
  for (let k = 0; k < PERIOD; k++) {
    cos[k] = Math.cos(w * k);
    sin[k] = Math.sin(w * k);
  }
  const ri = new Float64Array(PERIOD);
  const rq = new Float64Array(PERIOD);
  let si = 0;
  let sq = 0;
  let ph = ((startAbs % PERIOD) + PERIOD) % PERIOD;
  for (let s = 0; s < hops * hop; s++) {
    const slot = s % PERIOD;
    const x = signal[s];
    const vi = x * cos[ph];
    const vq = x * sin[ph];
    si += vi - ri[slot];
    sq += vq - rq[slot];
    ri[slot] = vi;
    rq[slot] = vq;
    if (++ph === PERIOD) ph = 0;
    if ((s + 1) % hop === 0) env[(s + 1) / hop - 1] = (2 / PERIOD) * Math.sqrt(si * si + sq * sq);
  }
  return env;
}

/** Envelope of voice `index` as sung (amplitude 1), as heard `delayMs` later, over the recording's span. */
function keyEnvelope(index: number, startAbs: number, samples: number, delayMs: number, hop: number): Float32Array {
  const voice = new SignatureVoice(index, { amplitude: 1 });
  const d = Math.round((delayMs * SIG_SAMPLE_RATE) / 1000);
  const sung = new Float32Array(samples);
  voice.render(startAbs - d, sung);
  return boxcarEnvelope(sung, voice.frequency, startAbs - d, hop);
}

function erodedOn(env: Float32Array, onLevel: number, tol: number): Uint8Array {
  const n = env.length;
  const out = new Uint8Array(n);
  // A run-length pass: hop h is "on" when every hop within ±tol is at or above onLevel.
  let lastBelow = -Infinity;
  const below = new Int32Array(n);
  for (let h = 0; h < n; h++) {
    if (env[h] < onLevel) lastBelow = h;
    below[h] = lastBelow === -Infinity ? -1 : lastBelow;
  }
  let nextBelow = Infinity;
  for (let h = n - 1; h >= 0; h--) {
    if (env[h] < onLevel) nextBelow = h;
    out[h] = (below[h] < 0 || h - below[h] > tol) && nextBelow - h > tol ? 1 : 0;
  }
  return out;
}

/**
 * Gaps in voice `index` in `heard` (a recording starting at absolute sample `startAbs`), given
 * the delay(s) at which the listener hears that voice.
 */
export function findGaps(heard: Float32Array, startAbs: number, index: number, delaysMs: readonly number[], opts: GapOptions = {}): GapReport {
  if (delaysMs.length === 0) throw new RangeError("findGaps needs at least one delay");
  const hop = SIG_SAMPLE_RATE / 1000;
  const presentRatio = opts.presentRatio ?? 0.25;
  const tol = Math.round(opts.toleranceMs ?? 6);
  const skip = Math.round(opts.skipMs ?? 30);
  const voice = new SignatureVoice(index);
  const env = boxcarEnvelope(heard, voice.frequency, startAbs, hop);
  const n = env.length;
  const keys = delaysMs.map((d) => keyEnvelope(index, startAbs, heard.length, d, hop));
  const onAll = new Uint8Array(n).fill(1);
  const expectAny = new Uint8Array(n);
  for (const k of keys) {
    const on = erodedOn(k, opts.onLevel ?? 0.9, tol);
    for (let h = 0; h < n; h++) {
      onAll[h] &= on[h];
      if (k[h] >= 0.5) expectAny[h] = 1;
    }
  }
  let level = opts.level ?? NaN;
  if (!Number.isFinite(level)) {
    const vals: number[] = [];
    for (let h = skip; h < n; h++) if (onAll[h]) vals.push(env[h]);
    vals.sort((a, b) => a - b);
    level = vals.length > 0 ? vals[Math.floor(0.9 * (vals.length - 1))] : 0;
  }
  const thr = presentRatio * level;
  const gaps: Gap[] = [];
  let heardMs = 0;
  let missingMs = 0;
  let h = skip;
  while (h < n) {
    if (env[h] >= thr) {
      if (onAll[h]) heardMs++;
      h++;
      continue;
    }
    // A silent run [a, b): a gap when some millisecond in it is surely missing.
    const a = h;
    let anyMissing = false;
    while (h < n && env[h] < thr) {
      if (onAll[h]) {
        anyMissing = true;
        missingMs++;
      }
      h++;
    }
    if (!anyMissing) continue;
    let first = a;
    let last = h - 1;
    while (first < last && !expectAny[first]) first++;
    while (last > first && !expectAny[last]) last--;
    gaps.push({ startAbs: startAbs + first * hop, endAbs: startAbs + (last + 1) * hop, ms: last - first + 1 });
  }
  let maxMs = 0;
  for (const g of gaps) maxMs = Math.max(maxMs, g.ms);
  return { gaps, maxMs, level, heardMs, missingMs };
}
