/**
 * The fallback codec backend, for machines where the native binding cannot be
 * built: the prebuilt @evan/opus package (its own prebuilt addon, else wasm).
 *
 * What the package allows and what it does not (checked against 1.0.3):
 * - All encoder CTLs (application, bitrate, complexity, FEC, expected loss, DTX) through
 *   `ctl()`: applied, so the packets it sends equal the native backend's.
 * - PCM is 16-bit only: we convert Float32 to Int16 into a buffer made once per encoder.
 * - It returns a new array per encode and decode, which we copy into the caller's buffer:
 *   unlike the native backend, THIS BACKEND ALLOCATES PER FRAME (two small arrays).
 * - No PLC call: its prebuilt addon throws on an empty packet, its wasm build conceals
 *   120 ms. A TOC-only packet does make its libopus conceal one frame, but we measured
 *   that path leaving the decoder's band energies low: decoded frames after a loss dipped
 *   by 8-38 dB at 2.5 and 5 ms frames (10% random loss, 330 Hz tone). So conceal() is our
 *   own pitch repetition (conceal.ts), and the decoder simply skips the lost frame; a
 *   one-frame cross-fade (up to 10 ms) hides the decoder's stale overlap when it resumes.
 * - No FEC decoding (decode_fec is never set): decodeFec() conceals.
 * Capabilities: {fec: false, plc: false}.
 */
import { createRequire } from "node:module";
import { PitchConcealer } from "./conceal.js";
import { checkBitrate, checkComplexity, checkLoss, resolveEncoderOptions } from "./defaults.js";
import {
  CodecError,
  frameSamplesFor,
  type CodecBackend,
  type Decoder,
  type Encoder,
  type EncoderOptions,
  type FrameMs,
  MAX_PACKET_BYTES,
  SAMPLE_RATE,
} from "./types.js";

type EvanOpus = typeof import("@evan/opus");
type EvanEncoder = InstanceType<EvanOpus["Encoder"]>;
type EvanDecoder = InstanceType<EvanOpus["Decoder"]>;

const CTL_SET_BITRATE = 4002;
const CTL_SET_COMPLEXITY = 4010;
const CTL_SET_INBAND_FEC = 4012;
const CTL_SET_PACKET_LOSS_PERC = 4014;
const CTL_SET_DTX = 4016;
const CTL_GET_LOOKAHEAD = 4027;
const EVAN_APPLICATION = { voip: "voip", audio: "audio", "restricted-lowdelay": "restricted_lowdelay" } as const;

/**
 * Samples (at 48 kHz) in an Opus packet, from its TOC byte (RFC 6716 section 3.1),
 * or -1 when the packet is malformed.
 */
export function opusPacketSamples(p: Uint8Array): number {
  if (p.length === 0) return -1;
  const config = p[0] >> 3;
  const perFrame =
    config < 12 ? [480, 960, 1920, 2880][config & 3] : config < 16 ? [480, 960][config & 1] : [120, 240, 480, 960][config & 3];
  const code = p[0] & 3;
  if (code === 0) return perFrame;
  if (code !== 3) return 2 * perFrame;
  if (p.length < 2 || (p[1] & 0x3f) === 0) return -1;
  return (p[1] & 0x3f) * perFrame;
}

function checkPcm(pcm: unknown, frame: number): asserts pcm is Float32Array {
  if (!(pcm instanceof Float32Array)) throw new TypeError("pcm must be a Float32Array");
  if (pcm.length !== frame) throw new RangeError("pcm length must equal frameSamples");
}
function checkOut(out: unknown, frame: number): asserts out is Float32Array {
  if (!(out instanceof Float32Array)) throw new TypeError("out must be a Float32Array");
  if (out.length < frame) throw new RangeError("out must hold at least frameSamples samples");
}
function checkBytes(b: unknown, name: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

class FallbackEncoder implements Encoder {
  readonly frameSamples: number;
  readonly lookaheadSamples: number;
  readonly #pcm16: Int16Array;
  #enc: EvanEncoder | null;

  constructor(lib: EvanOpus, opts: EncoderOptions) {
    const o = resolveEncoderOptions(opts);
    this.frameSamples = o.frameSamples;
    this.#pcm16 = new Int16Array(o.frameSamples);
    const enc = new lib.Encoder({ channels: 1, sample_rate: SAMPLE_RATE, application: EVAN_APPLICATION[o.application] });
    enc.ctl(CTL_SET_BITRATE, o.bitrate);
    enc.ctl(CTL_SET_COMPLEXITY, o.complexity);
    enc.ctl(CTL_SET_INBAND_FEC, o.fec ? 1 : 0);
    enc.ctl(CTL_SET_PACKET_LOSS_PERC, o.expectedLossPct);
    enc.ctl(CTL_SET_DTX, o.dtx ? 1 : 0);
    this.lookaheadSamples = enc.ctl(CTL_GET_LOOKAHEAD);
    this.#enc = enc;
  }

  #live(): EvanEncoder {
    if (!this.#enc) throw new CodecError("destroyed", "Opus encoder was destroyed");
    return this.#enc;
  }

  encode(pcm: Float32Array, out: Uint8Array): number {
    const enc = this.#live();
    checkPcm(pcm, this.frameSamples);
    checkBytes(out, "out");
    if (out.length < MAX_PACKET_BYTES) throw new RangeError(`out must hold at least ${MAX_PACKET_BYTES} bytes`);
    const s = this.#pcm16;
    for (let i = 0; i < s.length; i++) {
      const v = pcm[i];
      s[i] = Math.round((v > 1 ? 1 : v < -1 ? -1 : v) * 32767);
    }
    let pkt: Uint8Array;
    try {
      pkt = enc.encode(s);
    } catch (e) {
      throw new CodecError("opus-error", `encode: ${(e as Error).message}`);
    }
    out.set(pkt);
    return pkt.length;
  }

  setBitrate(bps: number): void {
    this.#live().ctl(CTL_SET_BITRATE, checkBitrate(bps));
  }
  setComplexity(c: number): void {
    this.#live().ctl(CTL_SET_COMPLEXITY, checkComplexity(c));
  }
  setExpectedLoss(pct: number): void {
    this.#live().ctl(CTL_SET_PACKET_LOSS_PERC, checkLoss(pct));
  }
  destroy(): void {
    (this.#enc as { drop?: () => void } | null)?.drop?.();
    this.#enc = null;
  }
}

/** Cross-fade after a loss, capped at one frame: longer than native's 2.5 ms because this
 * decoder resumes without having run PLC (measured: 10 ms frames, residual -15 dB vs -8 dB). */
const FALLBACK_XFADE = 480;

class FallbackDecoder implements Decoder {
  readonly frameSamples: number;
  readonly #plc = new PitchConcealer(FALLBACK_XFADE);
  #dec: EvanDecoder | null;

  constructor(lib: EvanOpus, frameMs: FrameMs) {
    this.frameSamples = frameSamplesFor(frameMs);
    this.#dec = new lib.Decoder({ channels: 1, sample_rate: SAMPLE_RATE });
  }

  #live(): EvanDecoder {
    if (!this.#dec) throw new CodecError("destroyed", "Opus decoder was destroyed");
    return this.#dec;
  }

  /** Decodes into out[0..n) via the package; returns nothing, throws CodecError. */
  #run(dec: EvanDecoder, packet: Uint8Array, out: Float32Array, n: number): void {
    let pcm: Uint8Array;
    try {
      pcm = dec.decode(packet);
    } catch (e) {
      throw new CodecError("invalid-packet", `corrupt Opus packet: ${(e as Error).message}`);
    }
    if (pcm.length !== 2 * n) throw new CodecError("opus-error", `decoded ${pcm.length / 2} samples, expected ${n}`);
    // Little-endian Int16 bytes, read without a typed view so nothing more is allocated.
    for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = (((pcm[j] | (pcm[j + 1] << 8)) << 16) >> 16) / 32768;
  }

  decode(packet: Uint8Array, out: Float32Array): number {
    const dec = this.#live();
    checkBytes(packet, "packet");
    checkOut(out, this.frameSamples);
    const n = opusPacketSamples(packet);
    if (n < 0) throw new CodecError("invalid-packet", "empty or corrupt Opus packet");
    if (n !== this.frameSamples) {
      throw new CodecError("frame-mismatch", `packet is not one ${this.frameSamples}-sample frame`);
    }
    this.#run(dec, packet, out, n);
    this.#plc.record(out, n);
    return n;
  }

  conceal(out: Float32Array): number {
    this.#live();
    checkOut(out, this.frameSamples);
    this.#plc.conceal(out, this.frameSamples);
    return this.frameSamples;
  }

  /** No FEC decoding in @evan/opus: conceals, as the contract allows. */
  decodeFec(nextPacket: Uint8Array, out: Float32Array): number {
    checkBytes(nextPacket, "nextPacket");
    return this.conceal(out);
  }

  destroy(): void {
    (this.#dec as { drop?: () => void } | null)?.drop?.();
    this.#dec = null;
  }
}

/** The fallback backend; throws CodecError("fallback-unavailable") when @evan/opus cannot load. */
export function createFallbackBackend(): CodecBackend {
  let lib: EvanOpus;
  let version = "?";
  try {
    const require = createRequire(import.meta.url);
    lib = require("@evan/opus") as EvanOpus;
    version = (require("@evan/opus/package.json") as { version: string }).version;
  } catch (e) {
    throw new CodecError("fallback-unavailable", `@evan/opus failed to load: ${(e as Error).message}`);
  }
  return {
    name: "fallback",
    description: `@evan/opus ${version} (prebuilt libopus; own pitch-repetition concealment, no FEC decoding)`,
    capabilities: { fec: false, plc: false },
    createEncoder: (opts) => new FallbackEncoder(lib, opts),
    createDecoder: (frameMs) => new FallbackDecoder(lib, frameMs),
  };
}
