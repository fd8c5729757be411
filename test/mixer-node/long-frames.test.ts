/**
 * A child whose packets are longer than the engine's frame (a browser, 10 ms at the least, in a
 * room at 5 or 2.5 ms): the engine buffers and decodes them at their own length and plays each
 * as two (or four) of its frames, so the child is heard whole; without it every packet is
 * rejected by a decoder set for the engine's frame and concealed.
 */
import { describe, expect, it } from "vitest";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { HubEngine } from "@choirmesh/mixer-node/hub-engine";
import { longFactor } from "@choirmesh/mixer-node/long-frames";

const HZ = 440;
const AMP = 0.15;

function toneDb(x: Float32Array, hz: number): number {
  const w = (2 * Math.PI * hz) / 48_000;
  let re = 0;
  let im = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const h = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (x.length - 1));
    re += x[i] * h * Math.cos(w * i);
    im -= x[i] * h * Math.sin(w * i);
    sum += h;
  }
  return 20 * Math.log10(Math.max((2 * Math.hypot(re, im)) / sum, 1e-10));
}

describe("an input whose packets hold several of the engine's frames", () => {
  it("counts how many frames a packet holds, where a buffer of that length exists", () => {
    expect(longFactor(480, 5)).toBe(2);
    expect(longFactor(480, 2.5)).toBe(4);
    expect(longFactor(960, 10)).toBe(2);
    expect(longFactor(480, 10)).toBe(1);
    expect(longFactor(2880, 10)).toBe(1); // 60 ms: no buffer of that length
    expect(longFactor(360, 5)).toBe(1); // not a whole number of frames
    expect(longFactor(-1, 5)).toBe(1); // a malformed packet
  });

  it.each([5, 2.5] as FrameMs[])("a %s ms engine hears a child's 10 ms packets whole: every frame from a packet, the tone at its level", (frameMs) => {
    const backend = loadCodecBackend("auto");
    const engine = new HubEngine({ backend, maxChildren: 2, frameMs, hasVoice: false, limiter: false, redundancy: "off" });
    engine.attachParent();
    engine.attachChild(0);
    const enc = backend.createEncoder({ frameMs: 10 });
    const pcm = new Float32Array(480);
    const pkt = new Uint8Array(1275);
    const k = 10 / frameMs;
    const up: number[] = [];
    const out = new Float32Array(engine.frameSamples * 40);
    let filled = 0;
    for (let p = 0; p < 60; p++) {
      for (let i = 0; i < 480; i++) pcm[i] = AMP * Math.sin((2 * Math.PI * HZ * (p * 480 + i)) / 48_000);
      const len = enc.encode(pcm, pkt);
      // Each packet arrives just before the engine frame it starts.
      engine.receive(0, p, (p * 480) >>> 0, pkt.slice(0, len), p * 10);
      for (let j = 0; j < k; j++) {
        engine.tick(p * 10 + j * frameMs + 0.5);
        if (p >= 40 && filled < out.length) {
          out.set(engine.mixer.upOut, filled);
          filled += engine.frameSamples;
        }
        up.push(engine.mixer.upOut.reduce((a, v) => a + v * v, 0));
      }
    }
    const child = engine.toJSON().children[0]!;
    expect(child.decodeErrors).toBe(0);
    // After the buffer's first fill, every frame of the last 20 packets comes from a packet, none concealed.
    expect(child.pops.conceal).toBeLessThanOrEqual(2);
    expect(child.pops.packet).toBeGreaterThan(50 * k - 20 * k);
    // The tone comes out at its level, continuous over 40 of the engine's frames.
    expect(Math.abs(toneDb(out, HZ) - 20 * Math.log10(AMP))).toBeLessThan(1.5);
    enc.destroy();
    engine.destroy();
  });
});
