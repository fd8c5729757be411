/**
 * Encoder defaults for every codec backend, in one place, and the validation
 * both backends apply to options (the native binding checks again in C).
 */
import { frameSamplesFor, type EncoderOptions, type FrameMs, type OpusApplication } from "./types.js";

export const CODEC_DEFAULTS = {
  /** Tick period and Opus frame. 10 ms halves the per-hop wait of 20 ms at ~1.5x the CPU per second. */
  frameMs: 10 as FrameMs,
  /**
   * CELT-only with 2.5 ms lookahead (SILK-capable modes add 4 ms). Note: in-band FEC is a SILK
   * feature, so with this application FEC carries nothing and decodeFec() equals concealment.
   * Use "voip" (or "audio" with expectedLossPct > 5) at 10 or 20 ms frames where FEC matters more
   * than 4 ms of delay; 2.5 and 5 ms frames are CELT-only whatever the application.
   */
  application: "restricted-lowdelay" as OpusApplication,
  /** Bits per second. Transparent for a mono choir voice and its mixes; ~80 bytes per 10 ms. */
  bitrate: 64_000,
  /** 0..10. 5 costs ~35 µs per 10 ms frame here (native, voice-like signal) versus ~44 µs at 10. */
  complexity: 5,
  /** In-band FEC (see `application`: only effective in SILK / hybrid modes). */
  fec: true,
  /** Expected loss in percent that FEC is tuned for; also raises SILK's preference for FEC. */
  expectedLossPct: 5,
  /** Off: a choir's "silence" is rarely silent, and DTX gaps confuse jitter statistics. */
  dtx: false,
} as const satisfies Required<EncoderOptions>;

export type ResolvedEncoderOptions = Required<EncoderOptions> & { frameSamples: number };

/** libopus OPUS_APPLICATION_* values. */
export const OPUS_APPLICATION_CODE: Record<OpusApplication, number> = {
  voip: 2048,
  audio: 2049,
  "restricted-lowdelay": 2051,
};

export function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer`);
  if (v < lo || v > hi) throw new RangeError(`${name} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

export const checkBitrate = (v: unknown): number => checkInt("bitrate", v, 500, 512_000);
export const checkComplexity = (v: unknown): number => checkInt("complexity", v, 0, 10);
export const checkLoss = (v: unknown): number => checkInt("expectedLossPct", v, 0, 100);

/** Fills in defaults and validates; throws TypeError / RangeError on a bad option. */
export function resolveEncoderOptions(opts: EncoderOptions): ResolvedEncoderOptions {
  const o = { ...CODEC_DEFAULTS, ...stripUndefined(opts) };
  if (!(o.application in OPUS_APPLICATION_CODE)) {
    throw new RangeError(`application must be one of ${Object.keys(OPUS_APPLICATION_CODE).join(", ")}`);
  }
  if (typeof o.fec !== "boolean") throw new TypeError("fec must be a boolean");
  if (typeof o.dtx !== "boolean") throw new TypeError("dtx must be a boolean");
  checkBitrate(o.bitrate);
  checkComplexity(o.complexity);
  checkLoss(o.expectedLossPct);
  return { ...o, frameSamples: frameSamplesFor(o.frameMs) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  return r;
}
