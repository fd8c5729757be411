/** The media engine: Opus codec, jitter buffer, mix-minus mixer, limiter, tick clock and hub engine. */
export * from "./codec/index.js";
export { JitterBuffer, JITTER_BUFFER_DEFAULTS, JitterBufferError, type JitterBufferOptions, type JitterBufferStats, type PopKind } from "./jitter-buffer.js";
export { EngineError, MixMinus, type MixInput, type MixMinusOptions, type MixOutput } from "./mixer.js";
export { Limiter, SUB_BLOCK, writeSubBlockPeaks, type LimiterOptions } from "./limiter.js";
export {
  TickClock,
  monotonicClock,
  timeoutScheduler,
  type MonotonicClock,
  type TickClockOptions,
  type TickClockStats,
  type TickHandler,
  type TimerScheduler,
} from "./tick-clock.js";
export { HubEngine, type HubEngineOptions, type LinkTarget, type PacketSink } from "./hub-engine.js";
export { HUB_ENGINE_DEFAULTS, LIMITER_DEFAULTS, MIXER_DEFAULTS, TICK_CLOCK_DEFAULTS } from "./defaults.js";
