/**
 * Defaults of the mixing engine (mixer, limiter, tick clock, hub engine), in one place.
 * Every option documented here is optional where it is used.
 */

export const LIMITER_DEFAULTS = {
  /** Level above which the limiter pulls the gain down (linear; 0.891 = -1 dBFS). */
  thresholdLinear: 0.891,
  /**
   * Where the final soft clip starts bending (linear). Kept at or above the threshold so that
   * everything the limiter lets through unchanged is also untouched by the clip.
   */
  kneeLinear: 0.891,
  /** Envelope attack time constant: fast, but not a step (a step would click). */
  attackMs: 1,
  /** Envelope release time constant: slow enough not to pump on a sung vowel. */
  releaseMs: 80,
} as const;

export const MIXER_DEFAULTS = {
  /** Whether the node has a parent (false at the root). */
  hasParent: true,
  /** Whether the node has its own voice (false for a dedicated hub). */
  hasVoice: true,
  /** Apply the soft limiter to every output. */
  limit: true,
} as const;

export const TICK_CLOCK_DEFAULTS = {
  /**
   * How many due ticks one wake-up runs back to back before it skips the rest. Between wake-ups
   * the event loop runs, so incoming packets reach the jitter buffers before the next batch.
   */
  maxCatchUpTicks: 3,
  /**
   * The timer is asked to fire this much before the deadline. 0: Node's setTimeout already fires
   * between ~1 ms early and ~1–2 ms late (see tick-clock.ts for the measurements).
   */
  earlyWakeMs: 0,
  /**
   * A wake-up that arrives at most this much before a deadline runs the tick at once instead of
   * sleeping again (deadlines are absolute, so being early once does not accumulate).
   */
  earlyToleranceMs: 1,
  /** Lateness samples kept for the p50/p99 statistics. */
  latenessWindow: 2048,
} as const;

export const HUB_ENGINE_DEFAULTS = {
  /** The down path (HubEngineOptions.downPath): the engine alone defaults to the whole re-encoded mix. */
  downPath: "mix" as "forward" | "mix",
  /**
   * What a hub asks of a child that aligns to it, beyond its jitter buffer's target for the
   * child: its own tick may run up to 1 ms before the deadline (TICK_CLOCK_DEFAULTS.earlyToleranceMs).
   */
  alignGuardMs: 1,
  /** The drop band's hysteresis for children that align their ticks (JitterBufferOptions.dropHysteresisMs). */
  alignedDropHysteresisMs: 1,
  /**
   * ...and the drift their arrival clocks fit (JitterBufferOptions.maxDrift): 300 ppm, beyond any
   * real sound card's, far below what steps of alignment would fit as drift.
   */
  alignedMaxDrift: 0.0003,
  /** Whether the node sings (false for a dedicated hub). */
  hasVoice: true,
  /** Time each tick for toJSON() (performance.now() allocates a boxed double per call). */
  measureTicks: false,
  /** Tick durations kept for the p50/p99 statistics. */
  tickTimeWindow: 1024,
  /**
   * Redundant copies of the previous frame on outgoing streams (codec/redundancy.ts): "auto"
   * sends them on a link while the loss measured on the stream coming back on that link is high
   * (loss on a path is mostly the same both ways, and the sender has no report of its own).
   */
  redundancy: "auto" as "auto" | "on" | "off",
  /** auto: one earlier frame rides along once a measuring window lost this share of frames (and 2 frames)... */
  redundancyOnLoss: 0.02,
  /**
   * ...two once the last two windows lost this share (and twice redundancyTwoMinLost frames): two
   * losses in a row then happen often enough to be heard (at 10 % loss one frame in a hundred).
   * Each earlier frame carried costs the listener a frame of latency while it lasts.
   */
  redundancyTwoLoss: 0.07,
  redundancyTwoMinLost: 7,
  /** ...or at once when a single window lost this share (and this many frames): heavy loss. */
  redundancyTwoFastLoss: 0.08,
  redundancyTwoFastLost: 8,
  /**
   * ...and a level goes down a step after this long with the average loss (over about
   * redundancyAverageFrames frames) below its keep threshold: two frames below 4 %, one below 0.5 %.
   */
  redundancyOffAfterMs: 10_000,
  redundancyTwoKeepLoss: 0.04,
  redundancyOffLoss: 0.005,
  redundancyAverageFrames: 300,
} as const;
