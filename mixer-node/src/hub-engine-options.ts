/**
 * What a HubEngine is built with: its options, the packet sink it writes to, and where a packet
 * goes or comes from.
 */
import type { CodecBackend, EncoderOptions, FrameMs } from "./codec/types.js";
import type { JitterBufferOptions } from "./jitter-buffer.js";
import type { LimiterOptions } from "./limiter.js";
import type { Timeline } from "./timeline.js";

/** Where a packet goes or comes from: the parent, or a child by slot. */
export type LinkTarget = "parent" | number;

/**
 * Receives each packet the engine produces during tick(). `bytes[0..length)` is the Opus packet;
 * the buffer belongs to the engine and is overwritten on the next tick: copy it or send it now.
 * `seq` (16-bit) and `timestamp` (32-bit, 48 kHz) are the link's outgoing RTP numbering.
 */
export type PacketSink = (target: LinkTarget, bytes: Uint8Array, length: number, seq: number, timestamp: number) => void;

export interface HubEngineOptions {
  backend: CodecBackend;
  /** Child slots 0..maxChildren-1. */
  maxChildren: number;
  /** Default 10 (CODEC_DEFAULTS.frameMs). */
  frameMs?: FrameMs;
  /** The node sings (false for a dedicated hub); default true. */
  hasVoice?: boolean;
  /** Encoder options for every outgoing stream (defaults: CODEC_DEFAULTS). */
  encoder?: Omit<EncoderOptions, "frameMs">;
  /** Jitter buffer options for every incoming stream (defaults: JITTER_BUFFER_DEFAULTS). */
  jitter?: Omit<JitterBufferOptions, "frameMs">;
  /** Output limiter options, or false for none; default on. */
  limiter?: LimiterOptions | false;
  onPacket?: PacketSink;
  /** A packet sink that throws is reported here (default: counted only); the tick goes on. */
  onError?: (err: unknown, target: LinkTarget) => void;
  /**
   * Time each tick and report p50/p99 in toJSON(); default false. Off by default because
   * performance.now() returns a boxed double: two small allocations per tick.
   */
  measureTicks?: boolean;
  /** Tick durations kept for p50/p99; default 1024. */
  tickTimeWindow?: number;
  /** Where concealment runs and jitter-buffer adjustments are noted (none by default). */
  timeline?: Timeline;
  /**
   * The down path (docs/design.md, "The cheap hop"): "forward" hears the parent's streams as they
   * come (one per hub above, down-streams.ts) and forwards them unchanged to each child that takes
   * them (setChildForwarded), mixing for such a child only what is below and beside it; "mix"
   * (default) decodes the parent's one stream and re-encodes a whole down mix for every child.
   */
  downPath?: "forward" | "mix";
  /**
   * Where forwarded packets go (default: onPacket with seq and timestamp 0): they are not frames
   * of this node's own numbering.
   */
  onForward?: (target: number, bytes: Uint8Array, length: number) => void;
  /** Redundant copies of the previous frame on outgoing streams; default "auto" (see defaults.ts). */
  redundancy?: "auto" | "on" | "off";
  /**
   * Hear the parent's streams in a phase of their own (the caller calls hear() once after each
   * tick, when they are in: runtime/hear-phase.ts) instead of on the tick, which is set for the
   * up path; then `hearOut` is valid after hear(). Only on the "forward" path, and only while
   * every child takes forwarded streams (the parent's streams then feed nothing but what the
   * singer hears); otherwise hear() hands on what the tick heard. Default false.
   */
  hearPhase?: boolean;
}
