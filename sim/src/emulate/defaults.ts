/**
 * Defaults of the emulated runs, each with the reason for it. The network itself (cities, access
 * delay, jitter, loss) comes from the model's defaults (../model/defaults.ts): one model for both.
 */
export const EMULATE_DEFAULTS = {
  /**
   * Virtual seconds before recording starts: jitter buffers need ~0.5 s of packets for their
   * first lateness estimate and a few target updates (every 100 ms) to settle.
   */
  warmupS: 1.5,
  /** Virtual seconds recorded at each listener: ~50 on/off chips of 40 ms per voice. */
  recordS: 2,
  /**
   * Singers that sing a signature voice (the others sing silence). Only MAX_SIGNATURE_VOICES (20)
   * distinct signature voices exist; each voiced singer gets its own, so every heard voice is
   * unambiguous. Every voiced singer also listens: voices x (voices - 1) directed pairs per topology.
   */
  voices: 20,
  /**
   * Tone amplitude of each signature voice: 20 voices keyed on at once peak below 0.9, under the
   * limiter's threshold, so the limiter does not modulate one voice with the others.
   */
  voiceAmplitude: 0.04,
  /**
   * Decode + mix + encode time charged per tick in virtual time (ms). Virtual time cannot see CPU
   * time; this is the planner's stand-in (DEFAULT_HUB_TIMING.processingMs), and the run reports
   * the real tick time it measured beside it.
   */
  processingMs: 1,
  /** The delay search window of the audio analysis (ms). */
  maxDelayMs: 400,
  /** The coarse delay search looks at this much of the recording (s) ... */
  coarseS: 0.5,
  /** ... and the fine search at all of it, this far either side of the coarse delay (ms). */
  fineWindowMs: 8,
  /** Correlation needed to count a voice as heard (estimateDelay's default). */
  minCorrelation: 0.5,
  /** Virtual seconds between progress reports. */
  progressEveryS: 0.25,
} as const;

/** Absolute sample index of virtual time 0 (any large origin keeps the analysis' pre-roll positive). */
export const ABS_ORIGIN = 48_000 * 1_000;
