/**
 * Median µs per encode and decode at 10 and 20 ms frames for each backend,
 * over a few thousand frames of a real signal at default settings. Printed
 * for the record; asserted only against real time (a frame must take far
 * less than its own duration), since the machine's two cores are shared.
 */
import { describe, expect, it } from "vitest";
import {
  MAX_PACKET_BYTES,
  frameSamplesFor,
  loadCodecBackend,
  nativeUnavailableReason,
  type FrameMs,
} from "@choirmesh/mixer-node/codec";
import { median, mulberry32 } from "../fixtures/signals.js";

const FRAMES = 3000;
const nativeReason = nativeUnavailableReason();
const BACKENDS = [
  { name: "native" as const, available: nativeReason === null },
  { name: "fallback" as const, available: true },
];

/** A voice-like test signal: three harmonics with vibrato plus a little noise. */
function voice(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const f = 220 * (1 + 0.01 * Math.sin((2 * Math.PI * 5 * i) / 48_000));
    phase += (2 * Math.PI * f) / 48_000;
    out[i] = 0.3 * Math.sin(phase) + 0.15 * Math.sin(2 * phase) + 0.08 * Math.sin(3 * phase) + 0.01 * (rand() - 0.5);
  }
  return out;
}

describe.each(BACKENDS)("$name codec timing", ({ name, available }) => {
  it.skipIf(!available).each([[10], [20]] as [FrameMs][])("median µs per frame at %s ms", (frameMs) => {
    const backend = loadCodecBackend(name);
    const n = frameSamplesFor(frameMs);
    const enc = backend.createEncoder({ frameMs });
    const dec = backend.createDecoder(frameMs);
    const signal = voice(n * FRAMES, 1);
    const frame = new Float32Array(n);
    const out = new Float32Array(n);
    const packets: Uint8Array[] = [];
    const pkt = new Uint8Array(MAX_PACKET_BYTES);
    const encUs: number[] = [];
    const decUs: number[] = [];
    for (let i = 0; i < FRAMES; i++) {
      frame.set(signal.subarray(i * n, (i + 1) * n));
      const t0 = process.hrtime.bigint();
      const len = enc.encode(frame, pkt);
      encUs.push(Number(process.hrtime.bigint() - t0) / 1000);
      packets.push(pkt.slice(0, len));
    }
    for (let i = 0; i < FRAMES; i++) {
      const t0 = process.hrtime.bigint();
      dec.decode(packets[i], out);
      decUs.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    const e = median(encUs);
    const d = median(decUs);
    console.log(
      `codec timing ${name} ${frameMs} ms (complexity 5, 64 kbit/s, ${FRAMES} frames): ` +
        `encode ${e.toFixed(1)} µs, decode ${d.toFixed(1)} µs (median)`,
    );
    // Real time with a wide margin: at 10 ms that is 1,000 µs of a 10,000 µs frame.
    expect(e + d).toBeLessThan(frameMs * 100);
    enc.destroy();
    dec.destroy();
  });
});
