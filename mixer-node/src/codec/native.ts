/**
 * The fast codec backend: our own N-API binding (mixer-node/native) over the
 * system libopus, built at `npm install`. Encode and decode write straight
 * into the caller's typed arrays; nothing here allocates per frame.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT } from "@choirmesh/common/repo-root";
import { PlcGuard } from "./conceal.js";
import { OPUS_APPLICATION_CODE, checkBitrate, checkComplexity, checkLoss, resolveEncoderOptions } from "./defaults.js";
import {
  CodecError,
  frameSamplesFor,
  type CodecBackend,
  type Decoder,
  type Encoder,
  type EncoderOptions,
  type FrameMs,
} from "./types.js";

/** What the compiled addon exports (see mixer-node/native/opus_binding.c). */
interface NativeEncoderHandle {
  encode(pcm: Float32Array, out: Uint8Array): number;
  setBitrate(bps: number): number;
  setComplexity(c: number): number;
  setExpectedLoss(pct: number): number;
  setFec(on: boolean): number;
  setDtx(on: boolean): number;
  lookahead(): number;
  destroy(): void;
}
interface NativeDecoderHandle {
  decode(packet: Uint8Array, out: Float32Array): number;
  decodeFec(nextPacket: Uint8Array, out: Float32Array): number;
  conceal(out: Float32Array): number;
  destroy(): void;
}
export interface NativeBinding {
  Encoder: new (application: number, frameSamples: number) => NativeEncoderHandle;
  Decoder: new (frameSamples: number) => NativeDecoderHandle;
  /** e.g. "libopus 1.3.1" */
  version: string;
  strerror(code: number): string;
}

export const NATIVE_BINDING_PATH = join(REPO_ROOT, "mixer-node", "native", "build", "Release", "choirmesh_opus.node");

const OPUS_BAD_ARG = -1;
const OPUS_INVALID_PACKET = -4;

/** Loads the compiled addon; throws CodecError("native-unavailable") saying why it could not. */
export function loadNativeBinding(path = NATIVE_BINDING_PATH): NativeBinding {
  if (!existsSync(path)) {
    throw new CodecError(
      "native-unavailable",
      `native Opus binding not built (${path} missing): install libopus-dev and a C compiler, then run \`npm run build:native\``,
    );
  }
  try {
    return createRequire(import.meta.url)(path) as NativeBinding;
  } catch (e) {
    throw new CodecError("native-unavailable", `native Opus binding failed to load: ${(e as Error).message}`);
  }
}

function opusError(binding: NativeBinding, code: number, what: string): CodecError {
  return new CodecError("opus-error", `${what}: ${binding.strerror(code)}`, code);
}

function wrapDestroyed(e: unknown): unknown {
  return (e as { code?: string }).code === "ERR_DESTROYED"
    ? new CodecError("destroyed", (e as Error).message)
    : e;
}

class NativeEncoder implements Encoder {
  readonly frameSamples: number;
  readonly lookaheadSamples: number;
  readonly #h: NativeEncoderHandle;
  readonly #b: NativeBinding;

  constructor(b: NativeBinding, opts: EncoderOptions) {
    const o = resolveEncoderOptions(opts);
    this.#b = b;
    this.frameSamples = o.frameSamples;
    this.#h = new b.Encoder(OPUS_APPLICATION_CODE[o.application], o.frameSamples);
    this.#ctl(this.#h.setBitrate(o.bitrate), "bitrate");
    this.#ctl(this.#h.setComplexity(o.complexity), "complexity");
    this.#ctl(this.#h.setFec(o.fec), "fec");
    this.#ctl(this.#h.setExpectedLoss(o.expectedLossPct), "expected loss");
    this.#ctl(this.#h.setDtx(o.dtx), "dtx");
    const la = this.#h.lookahead();
    this.#ctl(la, "lookahead");
    this.lookaheadSamples = la;
  }

  #ctl(r: number, what: string): void {
    if (r < 0) throw opusError(this.#b, r, `setting ${what}`);
  }

  encode(pcm: Float32Array, out: Uint8Array): number {
    let n: number;
    try {
      n = this.#h.encode(pcm, out);
    } catch (e) {
      throw wrapDestroyed(e);
    }
    if (n < 0) throw opusError(this.#b, n, "opus_encode_float");
    return n;
  }

  setBitrate(bps: number): void {
    this.#ctl(this.#h.setBitrate(checkBitrate(bps)), "bitrate");
  }
  setComplexity(c: number): void {
    this.#ctl(this.#h.setComplexity(checkComplexity(c)), "complexity");
  }
  setExpectedLoss(pct: number): void {
    this.#ctl(this.#h.setExpectedLoss(checkLoss(pct)), "expected loss");
  }
  destroy(): void {
    this.#h.destroy();
  }
}

class NativeDecoder implements Decoder {
  readonly frameSamples: number;
  readonly #guard = new PlcGuard();
  readonly #h: NativeDecoderHandle;
  readonly #b: NativeBinding;

  constructor(b: NativeBinding, frameMs: FrameMs) {
    this.#b = b;
    this.frameSamples = frameSamplesFor(frameMs);
    this.#h = new b.Decoder(this.frameSamples);
  }

  #check(n: number): number {
    if (n >= 0) return n;
    if (n === OPUS_INVALID_PACKET) throw new CodecError("invalid-packet", "empty or corrupt Opus packet", n);
    // The binding reports a valid packet of another duration as OPUS_BAD_ARG (every other
    // argument was already checked there).
    if (n === OPUS_BAD_ARG) {
      throw new CodecError("frame-mismatch", `packet is not one ${this.frameSamples}-sample frame`, n);
    }
    throw opusError(this.#b, n, "opus_decode_float");
  }

  decode(packet: Uint8Array, out: Float32Array): number {
    let n: number;
    try {
      n = this.#h.decode(packet, out);
    } catch (e) {
      throw wrapDestroyed(e);
    }
    this.#check(n);
    this.#guard.decoded(packet, out, n);
    return n;
  }

  conceal(out: Float32Array): number {
    let n: number;
    try {
      n = this.#h.conceal(out);
    } catch (e) {
      throw wrapDestroyed(e);
    }
    this.#check(n);
    this.#guard.concealed(out, n);
    return n;
  }

  decodeFec(nextPacket: Uint8Array, out: Float32Array): number {
    let n: number;
    try {
      n = this.#h.decodeFec(nextPacket, out);
    } catch (e) {
      throw wrapDestroyed(e);
    }
    this.#check(n);
    // A CELT-only packet carries no FEC data: libopus concealed instead.
    if (nextPacket[0] >> 3 >= 16) this.#guard.concealed(out, n);
    else this.#guard.decoded(nextPacket, out, n);
    return n;
  }

  destroy(): void {
    this.#h.destroy();
  }
}

/** The native backend; throws CodecError("native-unavailable") when the addon cannot load. */
export function createNativeBackend(binding: NativeBinding = loadNativeBinding()): CodecBackend {
  return {
    name: "native",
    description: `${binding.version} (native N-API binding over the system libopus)`,
    capabilities: { fec: true, plc: true },
    createEncoder: (opts) => new NativeEncoder(binding, opts),
    createDecoder: (frameMs) => new NativeDecoder(binding, frameMs),
  };
}
