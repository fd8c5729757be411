/**
 * Bad input to the codec: wrong types and lengths throw TypeError / RangeError,
 * corrupt packets throw CodecError, and nothing crashes the process.
 * Also the backend loader: selection, environment override, clear failures.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  BACKEND_ENV,
  CodecError,
  MAX_PACKET_BYTES,
  loadCodecBackend,
  nativeUnavailableReason,
  type CodecBackend,
} from "@choirmesh/mixer-node/codec";
import { loadNativeBinding } from "@choirmesh/mixer-node/codec/native";
import { opusPacketSamples } from "@choirmesh/mixer-node/codec/fallback";
import { mulberry32, sine } from "../fixtures/signals.js";

const nativeReason = nativeUnavailableReason();
const BACKENDS = [
  { name: "native" as const, available: nativeReason === null },
  { name: "fallback" as const, available: true },
];

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof CodecError ? `CodecError:${e.code}` : (e as Error).constructor.name;
  }
  return "no error";
}

describe.each(BACKENDS)("$name backend with bad input", ({ name, available }) => {
  describe.skipIf(!available)("", () => {
    const backend: CodecBackend = available ? loadCodecBackend(name) : (undefined as unknown as CodecBackend);

    it("rejects bad encoder options and arguments", () => {
      expect(codeOf(() => backend.createEncoder({ frameMs: 7 as never }))).toBe("RangeError");
      expect(codeOf(() => backend.createEncoder({ frameMs: 10, complexity: 11 }))).toBe("RangeError");
      expect(codeOf(() => backend.createEncoder({ frameMs: 10, bitrate: 1.5 }))).toBe("TypeError");
      expect(codeOf(() => backend.createEncoder({ frameMs: 10, application: "music" as never }))).toBe("RangeError");
      const enc = backend.createEncoder({ frameMs: 10 });
      const out = new Uint8Array(MAX_PACKET_BYTES);
      expect(codeOf(() => enc.encode(new Float32Array(479), out))).toBe("RangeError");
      expect(codeOf(() => enc.encode(new Float32Array(960), out))).toBe("RangeError");
      expect(codeOf(() => enc.encode(new Float64Array(480) as never, out))).toBe("TypeError");
      expect(codeOf(() => enc.encode(new Float32Array(480), new Uint8Array(100)))).toBe("RangeError");
      expect(codeOf(() => enc.encode(new Float32Array(480), new Int8Array(2000) as never))).toBe("TypeError");
      expect(codeOf(() => enc.encode(null as never, out))).toBe("TypeError");
      expect(codeOf(() => enc.setBitrate(0))).toBe("RangeError");
      expect(codeOf(() => enc.setComplexity(-1))).toBe("RangeError");
      expect(codeOf(() => enc.setExpectedLoss(101))).toBe("RangeError");
      enc.setBitrate(32_000);
      enc.setComplexity(10);
      enc.setExpectedLoss(20);
      expect(enc.encode(sine(480, 440), out)).toBeGreaterThan(0);
      enc.destroy();
      expect(codeOf(() => enc.encode(new Float32Array(480), out))).toBe("CodecError:destroyed");
    });

    it("rejects bad decoder arguments and packets, and keeps decoding afterwards", () => {
      const enc = backend.createEncoder({ frameMs: 10 });
      const pkt = new Uint8Array(MAX_PACKET_BYTES);
      const good = pkt.slice(0, enc.encode(sine(480, 440), pkt));
      const dec = backend.createDecoder(10);
      const out = new Float32Array(480);
      expect(codeOf(() => dec.decode(good, new Float32Array(479)))).toBe("RangeError");
      expect(codeOf(() => dec.conceal(new Float32Array(100)))).toBe("RangeError");
      expect(codeOf(() => dec.decodeFec(good, new Float32Array(10)))).toBe("RangeError");
      expect(codeOf(() => dec.decode(Array.from(good) as never, out))).toBe("TypeError");
      expect(codeOf(() => dec.decode(good, new Float64Array(480) as never))).toBe("TypeError");
      expect(codeOf(() => dec.decode(new Uint8Array(0), out))).toBe("CodecError:invalid-packet");
      // A valid 20 ms packet into a 10 ms decoder.
      const enc20 = backend.createEncoder({ frameMs: 20 });
      const p20 = pkt.slice(0, enc20.encode(sine(960, 440), pkt));
      expect(codeOf(() => dec.decode(p20, out))).toBe("CodecError:frame-mismatch");
      // Code-3 packets: one claiming 0 frames, one whose padding overruns the packet.
      expect(codeOf(() => dec.decode(Uint8Array.of((30 << 3) | 3, 0), out))).toBe("CodecError:invalid-packet");
      expect(codeOf(() => dec.decode(Uint8Array.of((30 << 3) | 3, 0x41, 200, 1, 2), out))).toBe(
        "CodecError:invalid-packet",
      );
      expect(dec.decode(good, out)).toBe(480);
      enc.destroy();
      enc20.destroy();
      dec.destroy();
      expect(codeOf(() => dec.conceal(out))).toBe("CodecError:destroyed");
    });

    it("survives 5000 random garbage packets: each decodes one frame or throws a CodecError", () => {
      const rand = mulberry32(7);
      const dec = backend.createDecoder(10);
      const out = new Float32Array(480);
      const counts: Record<string, number> = {};
      for (let k = 0; k < 5000; k++) {
        const p = new Uint8Array(1 + Math.floor(rand() * 300));
        for (let i = 0; i < p.length; i++) p[i] = Math.floor(rand() * 256);
        let r: string;
        try {
          const n = dec.decode(p, out);
          r = n === 480 && out.every((v) => Number.isFinite(v)) ? "frame" : `bad ${n}`;
        } catch (e) {
          r = e instanceof CodecError ? `CodecError:${e.code}` : `other:${(e as Error).message}`;
        }
        counts[r] = (counts[r] ?? 0) + 1;
      }
      console.log(`${name}: garbage packets ->`, JSON.stringify(counts));
      expect(Object.keys(counts).every((k) => k === "frame" || k.startsWith("CodecError:"))).toBe(true);
      expect(counts["CodecError:frame-mismatch"]).toBeGreaterThan(1000);
      expect(counts.frame).toBeGreaterThan(0);
      dec.destroy();
    });
  });
});

describe("packet duration from the TOC byte", () => {
  it("reads frame counts and durations (RFC 6716 section 3.1)", () => {
    expect(opusPacketSamples(Uint8Array.of(30 << 3))).toBe(480); // CELT FB 10 ms
    expect(opusPacketSamples(Uint8Array.of(28 << 3))).toBe(120); // CELT FB 2.5 ms
    expect(opusPacketSamples(Uint8Array.of((31 << 3) | 1))).toBe(1920); // two 20 ms frames
    expect(opusPacketSamples(Uint8Array.of((13 << 3) | 0))).toBe(960); // hybrid FB 20 ms
    expect(opusPacketSamples(Uint8Array.of((3 << 3) | 3, 2))).toBe(5760); // SILK 60 ms x2
    expect(opusPacketSamples(Uint8Array.of((3 << 3) | 3))).toBe(-1);
    expect(opusPacketSamples(new Uint8Array(0))).toBe(-1);
  });
});

describe("loadCodecBackend", () => {
  const saved = process.env[BACKEND_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[BACKEND_ENV];
    else process.env[BACKEND_ENV] = saved;
  });

  it("auto picks native when it loads, else fallback; each backend loads once", () => {
    delete process.env[BACKEND_ENV];
    const auto = loadCodecBackend();
    expect(auto.name).toBe(nativeReason === null ? "native" : "fallback");
    expect(loadCodecBackend("auto")).toBe(auto);
    expect(loadCodecBackend("fallback")).toBe(loadCodecBackend("fallback"));
  });

  it(`${BACKEND_ENV} overrides auto, not an explicit choice`, () => {
    process.env[BACKEND_ENV] = "fallback";
    expect(loadCodecBackend().name).toBe("fallback");
    if (nativeReason === null) expect(loadCodecBackend("native").name).toBe("native");
    process.env[BACKEND_ENV] = "opusscript";
    expect(codeOf(() => loadCodecBackend())).toBe("CodecError:unknown-backend");
  });

  it("an unavailable native binding gives a CodecError with the reason", () => {
    let err: unknown;
    try {
      loadNativeBinding("/nonexistent/choirmesh_opus.node");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe("native-unavailable");
    expect((err as CodecError).message).toMatch(/not built .*npm run build:native/);
  });
});
