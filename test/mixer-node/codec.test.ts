/**
 * The Opus codec backends with real signals: round trip at every frame size,
 * caller-owned buffers, concealment under random loss, FEC recovery.
 * Both backends run the same tests; the native one must be present when CI=true.
 */
import { describe, expect, it } from "vitest";
import {
  FRAME_MS_ALLOWED,
  MAX_PACKET_BYTES,
  frameSamplesFor,
  loadCodecBackend,
  nativeUnavailableReason,
  type CodecBackend,
  type EncoderOptions,
  type FrameMs,
} from "@choirmesh/mixer-node/codec";
import { chirp, mulberry32, peakFrequency, rms, sine, snrDb, toneDb } from "../fixtures/signals.js";

const nativeReason = nativeUnavailableReason();
const BACKENDS = [
  { name: "native" as const, available: nativeReason === null },
  { name: "fallback" as const, available: true },
];

it("native backend is available (required when CI=true)", (ctx) => {
  if (nativeReason === null) return;
  if (process.env.CI === "true") throw new Error(`native Opus backend missing in CI: ${nativeReason}`);
  console.log(`skipping native codec tests: ${nativeReason}`);
  ctx.skip();
});

/** Encodes `signal` frame by frame; returns one packet (copied) per frame. */
function encodeAll(b: CodecBackend, signal: Float32Array, opts: EncoderOptions): Uint8Array[] {
  const enc = b.createEncoder(opts);
  const n = enc.frameSamples;
  const frame = new Float32Array(n);
  const out = new Uint8Array(MAX_PACKET_BYTES);
  const packets: Uint8Array[] = [];
  for (let off = 0; off + n <= signal.length; off += n) {
    frame.set(signal.subarray(off, off + n));
    packets.push(out.slice(0, enc.encode(frame, out)));
  }
  enc.destroy();
  return packets;
}

/**
 * Decodes packets into one signal; frames where lost(i) is true are concealed,
 * or recovered from the next packet's FEC data when `fec` is set.
 */
function decodeAll(
  b: CodecBackend,
  frameMs: FrameMs,
  packets: Uint8Array[],
  lost: (i: number) => boolean = () => false,
  fec = false,
): Float32Array {
  const dec = b.createDecoder(frameMs);
  const n = dec.frameSamples;
  const out = new Float32Array(n * packets.length);
  for (let i = 0; i < packets.length; i++) {
    const dst = out.subarray(i * n, (i + 1) * n);
    const got = !lost(i)
      ? dec.decode(packets[i], dst)
      : fec && i + 1 < packets.length
        ? dec.decodeFec(packets[i + 1], dst)
        : dec.conceal(dst);
    expect(got).toBe(n);
  }
  dec.destroy();
  return out;
}

describe.each(BACKENDS)("$name backend", ({ name, available }) => {
  describe.skipIf(!available)("", () => {
    const backend = available ? loadCodecBackend(name) : (undefined as unknown as CodecBackend);

    it("reports its name and capabilities", () => {
      expect(backend.name).toBe(name);
      expect(backend.capabilities).toEqual({ fec: name === "native", plc: name === "native" });
      expect(backend.description).toMatch(name === "native" ? /^libopus \d+\.\d+/ : /^@evan\/opus \d+\.\d+\.\d+/);
    });

    it("encoder defaults: restricted-lowdelay with 2.5 ms lookahead", () => {
      const enc = backend.createEncoder({ frameMs: 10 });
      expect(enc.frameSamples).toBe(480);
      expect(enc.lookaheadSamples).toBe(120);
      enc.destroy();
      const voip = backend.createEncoder({ frameMs: 10, application: "voip" });
      expect(voip.lookaheadSamples).toBe(312);
      voip.destroy();
    });

    // Floor measured for libopus (~25 dB at defaults) minus a margin; a broken
    // conversion, wrong channel count or misaligned frames lands far below.
    const SNR_FLOOR_DB = 20;

    it.each(FRAME_MS_ALLOWED.map((f) => [f]))("codec delay is the 2.5 ms lookahead at %s ms frames", (frameMs) => {
      // A chirp has one unambiguous alignment (a steady tone aligns at every period).
      const signal = chirp(24_000, 200, 4000, 0.5);
      const decoded = decodeAll(backend, frameMs, encodeAll(backend, signal, { frameMs }));
      const { snrDb: snr, delay } = snrDb(signal, decoded, { maxDelay: 1000, skip: 2400 });
      expect(delay).toBe(120);
      // A chirp up to 4 kHz codes worse than a tone at 2.5 / 5 ms (~16 dB measured); a wrong
      // alignment would give ~0 dB.
      expect(snr).toBeGreaterThan(12);
    });

    it.each(FRAME_MS_ALLOWED.map((f) => [f]))("round trip of a 440 Hz tone at %s ms frames", (frameMs) => {
      const tone = sine(48_000, 440, 0.5);
      const decoded = decodeAll(backend, frameMs, encodeAll(backend, tone, { frameMs }));
      const { snrDb: snr } = snrDb(tone, decoded, { delay: 120, skip: 4800 });
      expect(snr).toBeGreaterThan(SNR_FLOOR_DB);
      expect(peakFrequency(decoded.subarray(4800), 400, 480, 1)).toBe(440);
      expect(toneDb(decoded, 440, 4800, 38_400)).toBeCloseTo(toneDb(tone, 440, 4800, 38_400), 0);
    });

    it("decode, conceal and decodeFec write into the caller's buffer and return frameSamples", () => {
      for (const frameMs of FRAME_MS_ALLOWED) {
        const n = frameSamplesFor(frameMs);
        const packets = encodeAll(backend, sine(n * 4, 440, 0.5), { frameMs });
        const dec = backend.createDecoder(frameMs);
        const SENTINEL = 7;
        const out = new Float32Array(n + 16).fill(SENTINEL);
        const calls = [
          () => dec.decode(packets[0], out),
          () => dec.decode(packets[1], out),
          () => dec.conceal(out),
          () => dec.decodeFec(packets[3], out),
        ];
        for (const call of calls) {
          out.fill(SENTINEL);
          expect(call()).toBe(n);
          expect(out.subarray(0, n).every((v) => v !== SENTINEL && Math.abs(v) <= 1)).toBe(true);
          expect(out.subarray(n).every((v) => v === SENTINEL)).toBe(true);
        }
        dec.destroy();
      }
    });

    it.each(FRAME_MS_ALLOWED.map((f) => [f]))(
      "concealment keeps a tone continuous through 10 percent random loss (%s ms frames)",
      (frameMs) => {
        const n = frameSamplesFor(frameMs);
        const freq = 330;
        const delay = 120;
        const tone = sine(4 * 48_000, freq, 0.5);
        const rand = mulberry32(2024);
        const lostSet = new Set<number>();
        const frames = Math.floor(tone.length / n);
        for (let i = 10; i < frames; i++) if (rand() < 0.1) lostSet.add(i);
        expect(lostSet.size).toBeGreaterThan(0.07 * frames);
        expect(lostSet.size).toBeLessThan(0.13 * frames);
        const out = decodeAll(backend, frameMs, encodeAll(backend, tone, { frameMs }), (i) => lostSet.has(i));
        const refDb = toneDb(tone, freq, 0, 48_000);
        // Every frame carries the tone at nearly its level: nothing near silence.
        let lowestRatioDb = Infinity;
        for (let i = 10; i < frames; i++) {
          const ratio = rms(out, i * n, n) / rms(tone, i * n - delay, n);
          lowestRatioDb = Math.min(lowestRatioDb, 20 * Math.log10(ratio));
        }
        // Around each loss (20 ms windows), the tone keeps its level and little else appears.
        let worstLevel = 0;
        let worstResidualDb = -Infinity;
        for (const i of lostSet) {
          const start = Math.min(Math.max(0, i * n + n / 2 - 480), out.length - 960);
          const level = toneDb(out, freq, start, 960);
          if (Math.abs(level - refDb) > Math.abs(worstLevel)) worstLevel = level - refDb;
          const amp = 10 ** (level / 20);
          const r = rms(out, start, 960);
          const residual = Math.sqrt(Math.max(r * r - (amp * amp) / 2, 0));
          worstResidualDb = Math.max(worstResidualDb, 20 * Math.log10(residual / (amp / Math.SQRT2)));
        }
        console.log(
          `${name} ${frameMs} ms, ${lostSet.size} of ${frames} frames lost: lowest frame level ${lowestRatioDb.toFixed(1)} dB, ` +
            `worst tone level near a loss ${worstLevel.toFixed(2)} dB, worst residual ${worstResidualDb.toFixed(1)} dB`,
        );
        // Silence or a dropped tone would read -20 dB and below.
        expect(lowestRatioDb).toBeGreaterThan(-10);
        expect(Math.abs(worstLevel)).toBeLessThan(3);
        // Clicks and noise around a loss: measured -7 to -1 dB at 2.5 / 5 ms frames (weak,
        // see the codec notes), asserted at the 10 and 20 ms frames the engine uses.
        if (frameMs >= 10) expect(worstResidualDb).toBeLessThan(-10);
        expect(Math.abs(toneDb(out, freq, 4800, out.length - 4800) - refDb)).toBeLessThan(1);
      },
    );

    it("with restricted-lowdelay (CELT only) decodeFec equals concealment: there is no FEC data", () => {
      const packets = encodeAll(backend, chirp(48_000, 200, 2000), { frameMs: 10, fec: true, expectedLossPct: 10 });
      const lost = (i: number) => i % 10 === 5;
      const viaFec = decodeAll(backend, 10, packets, lost, true);
      const viaPlc = decodeAll(backend, 10, packets, lost, false);
      expect(viaFec).toEqual(viaPlc);
    });

    it.skipIf(name !== "native").each([[10], [20]] as [FrameMs][])(
      "FEC recovers single losses far better than PLC (voip, %s ms, chirp)",
      (frameMs) => {
        const n = frameSamplesFor(frameMs);
        const signal = chirp(3 * 48_000, 200, 2000, 0.5);
        const opts: EncoderOptions = { frameMs, application: "voip", fec: true, expectedLossPct: 10 };
        const packets = encodeAll(backend, signal, opts);
        const lost = (i: number) => i > 10 && i % 10 === 5;
        const reference = decodeAll(backend, frameMs, packets);
        const viaFec = decodeAll(backend, frameMs, packets, lost, true);
        const viaPlc = decodeAll(backend, frameMs, packets, lost, false);
        let sig = 0;
        let errFec = 0;
        let errPlc = 0;
        let fecWins = 0;
        let losses = 0;
        for (let i = 0; i < packets.length; i++) {
          if (!lost(i)) continue;
          losses++;
          let ef = 0;
          let ep = 0;
          for (let k = i * n; k < (i + 1) * n; k++) {
            sig += reference[k] ** 2;
            ef += (viaFec[k] - reference[k]) ** 2;
            ep += (viaPlc[k] - reference[k]) ** 2;
          }
          errFec += ef;
          errPlc += ep;
          if (ef < ep / 2) fecWins++;
        }
        const fecSnr = 10 * Math.log10(sig / errFec);
        const plcSnr = 10 * Math.log10(sig / errPlc);
        console.log(`${frameMs} ms: lost-frame SNR vs lossless decode: FEC ${fecSnr.toFixed(1)} dB, PLC ${plcSnr.toFixed(1)} dB`);
        expect(fecSnr).toBeGreaterThan(plcSnr + 10);
        expect(fecWins).toBeGreaterThanOrEqual(Math.ceil(0.8 * losses));
      },
    );
  });
});
