/**
 * Gaps in what a listener heard of one signature voice (signature.ts), found from the audio:
 * where the voice's known on/off key says "on" at the measured delay but the voice's band in the
 * recording is silent. Pure functions over recordings; no I/O.
 *
 * The band is demodulated at the voice's frequency and smoothed by one 10 ms boxcar (it nulls
 * every other multiple of 100 Hz, so other voices do not fill a gap), sampled every millisecond.
 * A hole of L >= 10 ms in a steady tone reads below half level for L ms.
 *
 * A delay changes during a recording: a listener re-parented hears the voice by a new path, and
 * every jitter buffer on the way lengthens or shortens its delay a frame at a time. A later
 * voice is not a missing one, so the delay is tracked: in each window of 300 ms (every 10 ms) the
 * delay whose key best matches what was heard, between `earlyMs` before the earliest given delay
 * and `lateMs` after the latest. Where nothing matches well (an outage), the last good delay is
 * held. A millisecond counts as missing only when the key is on around it under every delay
 * tracked within half a window of it (so a step of the delay is never mistaken for a gap); a gap
 * spans the silent run around missing milliseconds, trimmed to where the key expected sound.
 * `track: false` keeps to the given delays alone: missing then means missing under all of them.
 *
 * Tracking cannot hide a dropout: silence matches no delay, and a window is 10 chips of a
 * pseudo-random key, so a shift that lines a hole up with "off" chips mismatches the rest.
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
  /** Track the delay between the given ones and around them (default true); see the file header. */
  track?: boolean;
  /** How much earlier than the earliest given delay a tracked delay may be, ms (default 30). */
  earlyMs?: number;
  /** How much later than the latest given delay a tracked delay may be, ms (default 200). */
  lateMs?: number;
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
  /** The tracked delay, ms, every 10 ms from the recording's start (empty with track: false). */
  delaysMs: number[];
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
  const onLevel = opts.onLevel ?? 0.9;
  const voice = new SignatureVoice(index);
  const env = boxcarEnvelope(heard, voice.frequency, startAbs, hop);
  const n = env.length;
  const given = delaysMs.map((d) => Math.round(d));
  const track = opts.track ?? true;
  const lo = Math.max(0, Math.min(...given) - (track ? Math.round(opts.earlyMs ?? 30) : 0));
  const hi = Math.max(...given) + (track ? Math.round(opts.lateMs ?? 200) : 0);
  // The key at delay d, for hop h, is keyAt[h + hi - d]: one envelope covers every delay.
  const span = hi - lo;
  const keyAt = keyEnvelope(index, startAbs - span * hop, (n + span) * hop, lo, hop);
  const onAt = erodedOn(keyAt, onLevel, tol);
  const onAll = new Uint8Array(n);
  const expectAny = new Uint8Array(n);
  let tracked: Int32Array | null = null;
  if (!track) {
    onAll.fill(1);
    for (const d of given) {
      for (let h = 0; h < n; h++) {
        onAll[h] &= onAt[h + hi - d];
        if (keyAt[h + hi - d] >= 0.5) expectAny[h] = 1;
      }
    }
  } else {
    tracked = trackDelay(env, keyAt, lo, hi, given);
    // A change of delay is seen up to half a window late or early: around one, a millisecond
    // is missing only when the key is on under the delays on both sides.
    const reach = TRACK_WINDOW_MS / 2 / TRACK_STEP_MS;
    for (let h = 0; h < n; h++) {
      const w0 = Math.floor(h / TRACK_STEP_MS);
      let on = 1;
      let last = -1;
      for (let w = Math.max(0, w0 - reach); w <= Math.min(tracked.length - 1, w0 + reach); w++) {
        if (tracked[w] === last) continue;
        last = tracked[w];
        on &= onAt[h + hi - last];
      }
      onAll[h] = on;
      expectAny[h] = keyAt[h + hi - tracked[Math.min(tracked.length - 1, w0)]] >= 0.5 ? 1 : 0;
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
  return { gaps, maxMs, level, heardMs, missingMs, delaysMs: tracked ? Array.from(tracked) : [] };
}

const TRACK_STEP_MS = 10;
const TRACK_WINDOW_MS = 300;
/** A window whose best match is below this share of a perfect one holds the last delay. */
const TRACK_MIN_MATCH = 0.5;
/**
 * The delay held so far stays unless another matches better by this share of a perfect match:
 * a little for a delay near it (a jitter buffer's step) or near a given one (a new path), more
 * for any other, so that a window half in one delay and half in the next does not wander.
 */
const TRACK_STICKINESS = 0.1;
const TRACK_FAR_STICKINESS = 0.35;
const TRACK_NEAR_MS = 40;
/** A run of one delay is refined within this many ms (the search moves in coarse steps). */
const TRACK_REFINE_MS = 8;

/**
 * The delay (ms) of each 10 ms step of the recording: the one in [lo, hi] whose key best matches
 * the heard envelope over the 300 ms around the step. Both are taken as +1 for on and -1 for off
 * (the envelope against the voice's level), so sound where the key is off counts against a
 * delay, and silence where it is on counts half as much.
 */
function trackDelay(env: Float32Array, keyAt: Float32Array, lo: number, hi: number, given: number[]): Int32Array {
  const n = env.length;
  const steps = Math.max(1, Math.ceil(n / TRACK_STEP_MS));
  const nd = hi - lo + 1;
  const sorted = Float32Array.from(env).sort();
  const level = sorted[Math.floor(0.95 * (n - 1))] || 1;
  const heard = new Float32Array(n);
  // Silence counts half: a hole is no reason to prefer a delay whose key happens to be off there.
  for (let h = 0; h < n; h++) {
    const x = 2 * Math.min(1, env[h] / level) - 1;
    heard[h] = x < 0 ? 0.5 * x : x;
  }
  const score = new Float64Array(steps * nd);
  const perfect = new Float64Array(steps);
  const prefix = new Float64Array(n + 1);
  const half = TRACK_WINDOW_MS / 2;
  const windowOf = (w: number): [number, number] => {
    const c = w * TRACK_STEP_MS + TRACK_STEP_MS / 2;
    return [Math.max(0, c - half), Math.min(n, c + half)];
  };
  for (let di = 0; di < nd; di++) {
    const off = hi - (lo + di);
    for (let h = 0; h < n; h++) prefix[h + 1] = prefix[h] + heard[h] * (2 * keyAt[h + off] - 1);
    for (let w = 0; w < steps; w++) {
      const [a, b] = windowOf(w);
      score[w * nd + di] = prefix[b] - prefix[a];
    }
  }
  for (let w = 0; w < steps; w++) {
    const [a, b] = windowOf(w);
    perfect[w] = b - a;
  }
  const out = new Int32Array(steps);
  const near = (d: number, cur: number) => Math.abs(d - cur) <= TRACK_NEAR_MS || given.some((g) => Math.abs(d - g) <= 10);
  // Start from the first given delay; hold it until something matches.
  let cur = Math.min(hi, Math.max(lo, given[0]));
  for (let w = 0; w < steps; w++) {
    const row = w * nd;
    let best = cur;
    let bestScore = score[row + (cur - lo)];
    const base = bestScore;
    for (let di = 0; di < nd; di++) {
      const v = score[row + di];
      const margin = (near(lo + di, cur) ? TRACK_STICKINESS : TRACK_FAR_STICKINESS) * perfect[w];
      if (v > bestScore && v > base + margin) {
        bestScore = v;
        best = lo + di;
      }
    }
    if (bestScore >= TRACK_MIN_MATCH * perfect[w]) cur = best;
    out[w] = cur;
  }
  // Each run of one delay: the delay within a few ms that matches best over the whole run.
  for (let a = 0; a < steps; ) {
    let b = a;
    while (b < steps && out[b] === out[a]) b++;
    let best = out[a];
    let bestScore = -Infinity;
    for (let d = Math.max(lo, out[a] - TRACK_REFINE_MS); d <= Math.min(hi, out[a] + TRACK_REFINE_MS); d++) {
      let sum = 0;
      for (let w = a; w < b; w++) sum += score[w * nd + (d - lo)];
      if (sum > bestScore + 1e-9 || (Math.abs(sum - bestScore) <= 1e-9 && Math.abs(d - out[a]) < Math.abs(best - out[a]))) {
        bestScore = sum;
        best = d;
      }
    }
    out.fill(best, a, b);
    a = b;
  }
  return out;
}
