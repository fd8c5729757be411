/**
 * The Opus codec contract shared by every backend (native binding over the
 * system libopus, or the prebuilt fallback package).
 *
 * PCM is 48 kHz mono Float32 in [-1, 1]. Every call writes into buffers the
 * caller owns: nothing on this path allocates per frame.
 */
import { ChoirmeshError } from "@choirmesh/common/errors";

export type FrameMs = 2.5 | 5 | 10 | 20;
export const FRAME_MS_ALLOWED: readonly FrameMs[] = [2.5, 5, 10, 20];
export const SAMPLE_RATE = 48_000;
/** The largest Opus packet we ever produce or accept (RFC 6716 allows 1275 bytes per frame). */
export const MAX_PACKET_BYTES = 1275;

export type OpusApplication = "restricted-lowdelay" | "audio" | "voip";

export interface EncoderOptions {
  frameMs: FrameMs;
  /** Default "restricted-lowdelay" (2.5 ms lookahead). */
  application?: OpusApplication;
  /** Bits per second; default 64_000. */
  bitrate?: number;
  /** 0..10; default 5. */
  complexity?: number;
  /** In-band forward error correction; default true. */
  fec?: boolean;
  /** Expected packet loss in percent (0..100) that FEC is tuned for; default 5. */
  expectedLossPct?: number;
  /** Discontinuous transmission; default false. */
  dtx?: boolean;
}

export interface Encoder {
  readonly frameSamples: number;
  /**
   * Encodes exactly `frameSamples` samples of `pcm` into `out`; returns the packet length in bytes.
   * `pcm.length` must equal `frameSamples` and `out` must hold at least MAX_PACKET_BYTES
   * (RangeError otherwise), so that no frame is ever silently squeezed into a short buffer.
   */
  encode(pcm: Float32Array, out: Uint8Array): number;
  setBitrate(bps: number): void;
  setComplexity(c: number): void;
  setExpectedLoss(pct: number): void;
  /** Opus lookahead in samples (120 = 2.5 ms with restricted-lowdelay). */
  readonly lookaheadSamples: number;
  destroy(): void;
}

export interface Decoder {
  readonly frameSamples: number;
  /**
   * Decodes one packet into `out` (length >= frameSamples); returns samples written
   * (always frameSamples). An empty or corrupt packet, or one whose duration is not one
   * frame, throws a CodecError ("invalid-packet" / "frame-mismatch").
   */
  decode(packet: Uint8Array, out: Float32Array): number;
  /** Packet-loss concealment of exactly one frame into `out`; returns samples written. */
  conceal(out: Float32Array): number;
  /**
   * Recovers the lost frame that precedes `nextPacket` from its in-band FEC data.
   * Returns samples written; where the backend has no FEC decoding it conceals instead.
   */
  decodeFec(nextPacket: Uint8Array, out: Float32Array): number;
  destroy(): void;
}

export interface CodecBackend {
  /** "native" (own binding over the system libopus) or "fallback" (prebuilt npm package). */
  readonly name: "native" | "fallback";
  /** A human-readable description, e.g. "libopus 1.3.1 (native N-API binding)". */
  readonly description: string;
  /** Whether decodeFec truly decodes FEC data, and whether conceal is true Opus PLC. */
  readonly capabilities: { fec: boolean; plc: boolean };
  createEncoder(opts: EncoderOptions): Encoder;
  createDecoder(frameMs: FrameMs): Decoder;
}

/**
 * Why a codec call failed. Argument mistakes (wrong array type, wrong frame
 * length, too small a buffer) throw TypeError / RangeError instead: they are
 * bugs in the caller, while these come from data or the environment.
 */
export type CodecErrorCode =
  /** The native backend was requested but its binding did not load (reason in the message). */
  | "native-unavailable"
  /** The fallback package did not load either. */
  | "fallback-unavailable"
  /** CHOIRMESH_OPUS_BACKEND or the `prefer` argument named no known backend. */
  | "unknown-backend"
  /** A received packet is empty or corrupt. */
  | "invalid-packet"
  /** A received packet is valid Opus but not exactly one frame of this decoder's size. */
  | "frame-mismatch"
  /** The encoder or decoder was used after destroy(). */
  | "destroyed"
  /** Any other failure reported by libopus. */
  | "opus-error";

export class CodecError extends ChoirmeshError<CodecErrorCode> {
  constructor(
    code: CodecErrorCode,
    message: string,
    /** The libopus error number (negative) when libopus reported the failure. */
    readonly opusCode?: number,
  ) {
    super(code, message);
  }
}

/** Samples per frame at 48 kHz for an allowed frame duration (2.5 ms -> 120). */
export function frameSamplesFor(frameMs: FrameMs): number {
  if (!FRAME_MS_ALLOWED.includes(frameMs)) {
    throw new RangeError(`frameMs must be one of ${FRAME_MS_ALLOWED.join(", ")}, got ${String(frameMs)}`);
  }
  return (SAMPLE_RATE / 1000) * frameMs;
}
