/**
 * Options, defaults, tuning and statistics of the jitter buffer, and the small pieces it is
 * built from (kept apart from the buffer itself so that jitter-buffer.ts holds only the play-out
 * logic).
 */
import type { FrameMs } from "./codec/types.js";
import { ChoirmeshError } from "@choirmesh/common/errors";

/** Defaults of every optional JitterBufferOptions field. */
export const JITTER_BUFFER_DEFAULTS = {
  /** The target depth never goes below this many frames (a frame played at the next tick = 1). */
  minDepthFrames: 1,
  /** The target depth never goes above this (200 ms at 10 ms frames). */
  maxDepthFrames: 20,
  /** Target depth before any lateness has been measured, and the fixed depth when not adaptive. */
  initialDepthFrames: 2,
  /** Adapt the target depth to the measured arrival lateness. */
  adaptive: true,
  /** Ring slots; also the largest reorder/late window in frames. Sized once. */
  capacityFrames: 64,
  /** After this many consecutive missing frames, stop concealing and report "silence". */
  silenceAfterLostFrames: 10,
} as const;

/**
 * Internal tuning. Every value here was chosen for a reason written beside it; none is exposed
 * as an option because a caller has no better information than these.
 */
export const JITTER_BUFFER_TUNING = {
  /** The share of packets the target delay is meant to cover ("underruns rare" = 1 %). */
  quantile: 0.99,
  /** Added to the lateness quantile: timer and scheduling noise that the histogram under-samples. */
  marginMs: 1,
  /** Lateness histogram half-life: long enough for a stable 99th percentile (~700 samples at 10 ms). */
  histogramHalfLifeMs: 5000,
  /**
   * A second, fast histogram (half-life fastHalfLifeMs): once its quantile has stayed a frame or
   * more below the slow one for fastFollowAfterMs, the target follows it down. A burst that does
   * not come back (link set-ups, a busy moment) is then given back in seconds, not in the tens
   * of seconds the slow histogram takes to forget it; jitter that recurs within that time keeps
   * the fast quantile up, and the slow one rules.
   */
  fastHalfLifeMs: 1000,
  fastFollowAfterMs: 3000,
  /** Lateness histogram resolution. */
  binsPerFrame: 8,
  /** ...and no wider than this, ms. */
  maxBinMs: 0.25,
  /** Samples (decayed) needed before the histogram replaces the initial depth. */
  minSamplesForTarget: 50,
  /** Clock-offset minimum is taken per block of this length; the drift slope is fitted over blocks. */
  clockBlockMs: 500,
  /** Blocks used for the drift fit (4 s), and for the running minimum (1.5 s plus the open block). */
  clockFitBlocks: 8,
  clockMinBlocks: 3,
  /** The largest clock drift believed (4 %); a fit beyond it is noise or a route change. */
  maxDrift: 0.04,
  /** How often the target is recomputed from the histogram. */
  targetUpdateMs: 100,
  /** A drop or an insertion needs the condition to hold this long (filters estimator noise). */
  adjustPersistMs: 50,
  /** Drop hysteresis above target + one frame, as a fraction of a frame ... */
  dropHysteresisFrames: 0.25,
  /**
   * ... and at least this many ms: at 2.5 and 5 ms frames a quarter frame is under 1.5 ms, less
   * than a sender's timer jitter, and the buffer would drop and insert frames all the time.
   */
  dropHysteresisMinMs: 5,
  /** Miss events (underrun, late packet) are scored with this half-life ... */
  missHalfLifeMs: 1000,
  /** ... and this score (misses clustered within ~1 s) raises the target at once by one frame. */
  missBoostScore: 3,
  /** One boost frame is given back after this long without a further boost ("shrink slowly"). */
  boostDecayMs: 4000,
  /** The frame kept for redundant copies (JitterTarget.redundancySeen) goes this long after the last one. */
  redundancyHoldMs: 2000,
  /** A timestamp this many frames away from what the sequence number implies is another stream. */
  tsToleranceFrames: 64,
} as const;

export interface JitterBufferStats {
  /** Frames from the play-out point to the newest packet (present or not). */
  depth: number;
  /** Frames in the buffer at play time that the target delay corresponds to. */
  targetDepth: number;
  /** The play-out delay aimed at, beyond the earliest-arriving packets (ms). */
  targetDelayMs: number;
  /** The play-out delay of the last pop, beyond the earliest-arriving packets (ms). */
  delayMs: number;
  /** The measured lateness quantile (ms), or -1 before enough samples. */
  latenessP99Ms: number;
  /** Sender clock against receiver clock, parts per million (+ = sender faster). */
  driftPpm: number;
  /** Extra target frames given after clustered misses. */
  boostFrames: number;
  /** Valid packets pushed (including duplicates and late ones). */
  received: number;
  /** Pushes rejected as garbage (bad seq, timestamp, payload or time). */
  invalid: number;
  /** Frames returned as "packet". */
  played: number;
  /** Packets that arrived after their frame had been played, concealed or skipped. */
  late: number;
  duplicates: number;
  /** Packets accepted although a later sequence number had already arrived. */
  reordered: number;
  /** Pops that found nothing at or after the play-out point (while still concealing). */
  underruns: number;
  /** "conceal" results (losses, underruns and insertions). */
  concealed: number;
  /** "fec" results. */
  fecRecovered: number;
  /** Missing frames filled from a later packet's redundant copy (see codec/redundancy.ts). */
  redundant: number;
  /** Present frames thrown away: drift or shrinking target (one at a time), overflow, restart. */
  dropped: number;
  /** Missing frames passed over without output to catch up after an outage. */
  skipped: number;
  /** Concealments inserted on purpose to grow the delay (sender slower, target raised). */
  inserted: number;
  /** Restarts: reset() calls, new streams and resyncs after a jump. */
  resets: number;
  /** "silence" results. */
  silenceFrames: number;
}

/** A jitter buffer configuration error, with a stable code. */
export class JitterBufferError extends ChoirmeshError<"bad-option"> {
  constructor(code: "bad-option", message: string) {
    super(code, `${code}: ${message}`);
  }
}

export interface JitterBufferOptions {
  /** 2.5 | 5 | 10 | 20; one RTP packet carries one frame (48 kHz clock). */
  frameMs: FrameMs;
  /** Default 1. */
  minDepthFrames?: number;
  /** Default 20. */
  maxDepthFrames?: number;
  /** Default 2. */
  initialDepthFrames?: number;
  /** Default true. */
  adaptive?: boolean;
  /** Ring slots, default 64 (sized once). */
  capacityFrames?: number;
  /** After this many consecutive missing frames stop concealing and report "silence" (default 10). */
  silenceAfterLostFrames?: number;
  /**
   * How far above the band's top (target + one frame) the delay may sit before a frame is dropped;
   * default max(a quarter frame, 5 ms), which suits senders whose phase wanders against the
   * receiver's ticks. A sender that aligns its ticks to the receiver's (the cheap hop) holds its
   * phase, so a tight band sheds the frame that alignment makes unnecessary.
   */
  dropHysteresisMs?: number;
  /**
   * The largest sender clock drift the arrival clock fits, as a fraction (default 0.04). A sender
   * that moves its tick phase in steps (the cheap hop's alignment) looks like a drifting clock to
   * the fit; a small bound keeps those steps steps.
   */
  maxDrift?: number;
}

export type PopKind = "packet" | "fec" | "conceal" | "silence";

/** Event counters of one jitter buffer (see JitterBufferStats for their meaning). */
export interface JitterBufferCounters {
  received: number; invalid: number; played: number; late: number; duplicates: number; reordered: number;
  underruns: number; concealed: number; fecRecovered: number; redundant: number; dropped: number; skipped: number;
  inserted: number; resets: number; silenceFrames: number;
}

export function intOption(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) {
    throw new JitterBufferError("bad-option", `${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

export function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/**
 * A packet whose timestamp does not fit the stream: garbage, or the first packet of a new stream
 * (the sender restarted or re-parented). It is kept here; a next packet that continues it (1 to 3
 * sequence numbers on, its timestamp as far on) confirms a new stream.
 */
export class StreamCandidate {
  has = false;
  seq = 0;
  ts = 0;
  payload: Uint8Array | null = null;
  arrival = 0;

  continuedBy(seq: number, ts: number, frameSamples: number, tsTolerance: number): boolean {
    if (!this.has) return false;
    const d = (seq - this.seq) & 0xffff;
    return d >= 1 && d <= 3 && Math.abs((ts - this.ts - d * frameSamples) | 0) <= tsTolerance;
  }

  set(seq: number, ts: number, payload: Uint8Array, arrival: number): void {
    this.has = true;
    this.seq = seq;
    this.ts = ts;
    this.payload = payload;
    this.arrival = arrival;
  }

  clear(): void {
    this.has = false;
    this.payload = null;
  }
}

/** The drop band's hysteresis: the option when it is a length, else max(a quarter frame, 5 ms). */
export function hysteresisMs(option: number | undefined, frameMs: number): number {
  const h = option ?? -1;
  return h >= 0 && Number.isFinite(h) ? h : Math.max(JITTER_BUFFER_TUNING.dropHysteresisFrames * frameMs, JITTER_BUFFER_TUNING.dropHysteresisMinMs);
}

/** The drift the arrival clock fits: the option within 0..TUNING.maxDrift, else the latter. */
export function maxDrift(option: number | undefined): number {
  const d = option ?? -1;
  return d >= 0 && d <= JITTER_BUFFER_TUNING.maxDrift ? d : JITTER_BUFFER_TUNING.maxDrift;
}
