import { describe, expect, it } from "vitest";
import { SignatureVoice, estimateDelay, signatureFrequency } from "@choirmesh/mixer-node/signature";

const SR = 48_000;

/** Mixes voices, each delayed by a known number of samples, as a listener would hear them. */
function mixDelayed(startAbs: number, seconds: number, delays: Map<number, number>): Float32Array {
  const n = Math.round(seconds * SR);
  const out = new Float32Array(n);
  const tmp = new Float32Array(n);
  for (const [index, delaySamples] of delays) {
    new SignatureVoice(index).render(startAbs - delaySamples, tmp);
    for (let i = 0; i < n; i++) out[i] += tmp[i];
  }
  return out;
}

describe("signature voices", () => {
  it("gives each voice its own multiple of 100 Hz, one per Opus band", () => {
    expect(signatureFrequency(0)).toBe(300);
    expect(signatureFrequency(8)).toBe(8800);
    expect(new Set(Array.from({ length: 20 }, (_, i) => signatureFrequency(i))).size).toBe(20);
  });

  it("is a pure function of the absolute sample clock", () => {
    const v = new SignatureVoice(3);
    const a = new Float32Array(960);
    const b = new Float32Array(480);
    v.render(1_000_000, a);
    v.render(1_000_480, b);
    expect(Array.from(a.subarray(480))).toEqual(Array.from(b));
  });

  it("keys the tone on about half of the time", () => {
    const v = new SignatureVoice(5);
    let on = 0;
    const chips = 2000;
    for (let c = 0; c < chips; c++) on += v.envelope(c * 1920 + 1000) > 0.5 ? 1 : 0;
    expect(on / chips).toBeGreaterThan(0.4);
    expect(on / chips).toBeLessThan(0.6);
  });

  it("finds every voice of a mix and its delay to within a millisecond", () => {
    const start = 81_234_567_890;
    const delays = new Map<number, number>();
    for (let i = 0; i < 12; i++) delays.set(i, Math.round((7 + 9.3 * i) * 48));
    const heard = mixDelayed(start, 4, delays);
    for (const [index, d] of delays) {
      const est = estimateDelay(heard, start, index, { maxDelayMs: 300 });
      expect(est.heard).toBe(true);
      expect(Math.abs(est.delayMs - d / 48)).toBeLessThan(1);
    }
  });

  it("measures a voice's level coherently, far below broadband noise", () => {
    const start = 7_000_000;
    const heard = mixDelayed(start, 4, new Map([[0, 1000], [1, 2000]]));
    // White noise (about the level of the voices in all), and voice 2 at -30 dB.
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
    const quiet = new Float32Array(heard.length);
    new SignatureVoice(2).render(start - 700, quiet);
    for (let i = 0; i < heard.length; i++) heard[i] += 0.05 * rnd() + quiet[i] * 10 ** (-30 / 20);
    const est = estimateDelay(heard, start, 2, { maxDelayMs: 300 });
    expect(Math.abs(est.gainDb + 30)).toBeLessThan(2);
    expect(Math.abs(est.delayMs - 700 / 48)).toBeLessThan(1);
    const absent = estimateDelay(heard, start, 5, { maxDelayMs: 300 });
    expect(absent.coherentGainDb).toBeLessThan(-40);
  });

  it("checks an own voice among 31 others: one block over the whole recording lowers the floor and still measures a leak across a frame shift", () => {
    const start = 123_456_789;
    const seconds = 8;
    const n = seconds * SR;
    const own = 20;
    const others = new Map<number, number>();
    for (let i = 0; i < 32; i++) if (i !== own) others.set(i, 480 + i * 700);
    const heard = mixDelayed(start, seconds, others);
    let seed = 99;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
    for (let i = 0; i < n; i++) heard[i] += 0.05 * rnd();
    // The own voice leaking back at -35 dB, one 10 ms frame later from halfway (a play-out shift).
    const leaky = Float32Array.from(heard);
    const early = new Float32Array(n);
    const late = new Float32Array(n);
    new SignatureVoice(own).render(start - 3000, early);
    new SignatureVoice(own).render(start - 3480, late);
    for (let i = 0; i < n; i++) leaky[i] += 10 ** (-35 / 20) * (i < n / 2 ? early[i] : late[i]);
    const opts = { maxDelayMs: 800, skipMs: 100 };
    const floor2s = estimateDelay(heard, start, own, opts).coherentGainDb;
    const floorWhole = estimateDelay(heard, start, own, { ...opts, blockMs: seconds * 1000 }).coherentGainDb;
    expect(floorWhole).toBeLessThan(floor2s - 2);
    expect(floorWhole).toBeLessThan(-43);
    const leak = estimateDelay(leaky, start, own, { ...opts, blockMs: seconds * 1000 }).coherentGainDb;
    expect(Math.abs(leak + 35)).toBeLessThan(3);
  });

  it("with a shift tolerance, hears a voice whose delay moved by a frame mid-recording, and still not an absent one", () => {
    const start = 55_555_555;
    const seconds = 6;
    const n = seconds * SR;
    const others = new Map<number, number>();
    for (let i = 0; i < 32; i++) if (i !== 7 && i !== 9) others.set(i, 480 + i * 700);
    const heard = mixDelayed(start, seconds, others);
    // Voice 7 at 30 ms, then from 2.5 s (inside the second block) at 40 ms: a jitter buffer inserted a frame.
    const early = new Float32Array(n);
    const late = new Float32Array(n);
    new SignatureVoice(7).render(start - 1440, early);
    new SignatureVoice(7).render(start - 1920, late);
    for (let i = 0; i < n; i++) heard[i] += i < 2.5 * SR ? early[i] : late[i];
    const strict = estimateDelay(heard, start, 7, { maxDelayMs: 300 });
    const tolerant = estimateDelay(heard, start, 7, { maxDelayMs: 300, shiftToleranceMs: 10 });
    expect(tolerant.correlation).toBeGreaterThan(strict.correlation + 0.05);
    expect(tolerant.heard).toBe(true);
    expect(tolerant.delayMs).toBeGreaterThan(29);
    expect(tolerant.delayMs).toBeLessThan(41);
    const absent = estimateDelay(heard, start, 9, { maxDelayMs: 300, shiftToleranceMs: 10 });
    expect(absent.heard).toBe(false);
    expect(absent.correlation).toBeLessThan(0.2);
  });

  it("reports a voice that is not in the mix as not heard, tens of dB down", () => {
    const start = 5_000_000;
    const delays = new Map([[0, 480], [1, 960], [3, 1440]]);
    const heard = mixDelayed(start, 3, delays);
    const absent = estimateDelay(heard, start, 2, { maxDelayMs: 300 });
    expect(absent.heard).toBe(false);
    const present = estimateDelay(heard, start, 1, { maxDelayMs: 300 });
    expect(Math.abs(present.gainDb)).toBeLessThan(0.5);
    expect(absent.coherentGainDb).toBeLessThan(present.gainDb - 40);
  });
});
