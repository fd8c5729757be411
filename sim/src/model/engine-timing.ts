/**
 * The engine's timing, as the simulator prices one hop through a hub. The values belong to
 * mixer-node (frame, jitter buffer, lookahead, processing); until mixer-node exports them, the
 * stand-ins below are used and reported as such (`source`).
 */
import { CODEC_DEFAULTS } from "../../../mixer-node/src/codec/defaults.js";

/** Opus algorithmic delay with RESTRICTED_LOWDELAY (120 samples at 48 kHz); other modes add 4 ms. */
const LOWDELAY_LOOKAHEAD_MS = 2.5;
/** IPv4 + UDP + RTP + SRTP auth tag, bytes per packet. */
const PACKET_OVERHEAD_BYTES = 20 + 8 + 12 + 10;

export interface EngineTiming {
  frameMs: number;
  /** Jitter-buffer depth a hub holds on each input, in ms. */
  jitterBufferMs: number;
  /** Opus lookahead (2.5 ms with RESTRICTED_LOWDELAY). */
  lookaheadMs: number;
  /** Decode + mix + encode time of one tick, in ms. */
  processingMs: number;
  /** Children one core serves in real time (the engine benchmark's childrenPerCore). */
  childrenPerCore: number;
  /** Bitrate of one Opus stream including packet overhead, kbit/s. */
  streamKbps: number;
  /** Where each figure came from, for the report. */
  source: Record<string, string>;
}

/** frame + jitter buffer + lookahead + processing: what every hub hop costs (DESIGN, Timing). */
export function hubDelayMs(t: EngineTiming): number {
  return t.frameMs + t.jitterBufferMs + t.lookaheadMs + t.processingMs;
}

export function engineTiming(overrides: Partial<Pick<EngineTiming, "frameMs" | "jitterBufferMs" | "childrenPerCore">> = {}): EngineTiming {
  const frameMs = overrides.frameMs ?? CODEC_DEFAULTS.frameMs;
  const t: EngineTiming = {
    frameMs,
    // One frame of buffering: the smallest depth that absorbs ordinary home-link jitter.
    jitterBufferMs: overrides.jitterBufferMs ?? frameMs,
    lookaheadMs: CODEC_DEFAULTS.application === "restricted-lowdelay" ? LOWDELAY_LOOKAHEAD_MS : LOWDELAY_LOOKAHEAD_MS + 4,
    // The issue-2 target: p99 of a 64-child tick under half a frame; typical ticks are far less.
    processingMs: 0.5,
    // Issue-2 target (>= 150 per core with the native backend at 10 ms frames).
    childrenPerCore: overrides.childrenPerCore ?? 150,
    // The codec's bitrate plus one packet's headers per frame (at 10 ms: 64 + 40 kbit/s).
    streamKbps: CODEC_DEFAULTS.bitrate / 1000 + (PACKET_OVERHEAD_BYTES * 8) / frameMs,
    source: {
      frameMs: overrides.frameMs !== undefined ? "option" : "mixer-node CODEC_DEFAULTS.frameMs",
      jitterBufferMs: overrides.jitterBufferMs !== undefined ? "option" : "stand-in: one frame",
      lookaheadMs: `Opus lookahead for CODEC_DEFAULTS.application (${CODEC_DEFAULTS.application})`,
      streamKbps: "CODEC_DEFAULTS.bitrate + IPv4/UDP/RTP/SRTP headers per frame",
      processingMs: "stand-in: 0.5 ms",
      childrenPerCore: overrides.childrenPerCore !== undefined ? "option" : "stand-in: issue-2 target 150",
    },
  };
  return t;
}
