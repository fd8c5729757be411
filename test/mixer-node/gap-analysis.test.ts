import { describe, expect, it } from "vitest";
import { boxcarEnvelope, findGaps } from "@choirmesh/mixer-node/gap-analysis";
import { SignatureVoice } from "@choirmesh/mixer-node/signature";

const START = 1_700_000_000_000 * 48; // an absolute sample index like the ones nodes use
const MS = 48;

/** What a listener hears of voice `index` sung `delayMs` earlier, for `seconds`. */
function heardVoice(index: number, delayMs: number, seconds: number, start = START): Float32Array {
  const out = new Float32Array(seconds * 48_000);
  new SignatureVoice(index).render(start - delayMs * MS, out);
  return out;
}

/** First heard position (ms from the start, after `fromMs`) where the voice's key is on for `lenMs` straight. */
function onStretch(index: number, delayMs: number, fromMs: number, lenMs: number): number {
  const v = new SignatureVoice(index);
  for (let t = fromMs; t < fromMs + 5000; t++) {
    let ok = true;
    for (let k = 0; k < lenMs && ok; k++) ok = v.envelope(START + (t + k) * MS - delayMs * MS) === 1;
    if (ok) return t;
  }
  throw new Error("no on-stretch found");
}

describe("boxcarEnvelope", () => {
  it("reads a steady tone's amplitude and nulls other 100 Hz multiples", () => {
    const x = new Float32Array(48_000);
    for (let s = 0; s < x.length; s++) x[s] = 0.3 * Math.sin((2 * Math.PI * 700 * s) / 48_000) + 0.3 * Math.sin((2 * Math.PI * 1100 * s) / 48_000);
    const e7 = boxcarEnvelope(x, 700, 0);
    const e11 = boxcarEnvelope(x, 1100, 0);
    const e3 = boxcarEnvelope(x, 300, 0);
    expect(e7[500]).toBeCloseTo(0.3, 4);
    expect(e11[500]).toBeCloseTo(0.3, 4);
    expect(e3[500]).toBeLessThan(1e-6);
  });
});

describe("findGaps", () => {
  it("finds no gap in an intact voice, at its delay", () => {
    const r = findGaps(heardVoice(3, 42, 3), START, 3, [42]);
    expect(r.gaps).toEqual([]);
    expect(r.maxMs).toBe(0);
    expect(r.level).toBeCloseTo(0.08, 2);
    expect(r.heardMs).toBeGreaterThan(300);
  });

  it("measures a 200 ms hole to within a chip", () => {
    const x = heardVoice(2, 25, 3);
    const at = 1000;
    x.fill(0, at * MS, (at + 200) * MS);
    const r = findGaps(x, START, 2, [25]);
    expect(r.gaps).toHaveLength(1);
    expect(r.maxMs).toBeGreaterThanOrEqual(200 - 40);
    expect(r.maxMs).toBeLessThanOrEqual(200 + 12);
    const g = r.gaps[0];
    expect(Math.abs(g.startAbs - (START + at * MS)) / MS).toBeLessThanOrEqual(40);
    expect(Math.abs(g.endAbs - (START + (at + 200) * MS)) / MS).toBeLessThanOrEqual(40);
  });

  it("sees a 30 ms hole where the key is on, and reads it as about 30 ms", () => {
    const x = heardVoice(5, 31, 3);
    const at = onStretch(5, 31, 600, 60) + 15;
    x.fill(0, at * MS, (at + 30) * MS);
    const r = findGaps(x, START, 5, [31]);
    expect(r.gaps).toHaveLength(1);
    expect(r.maxMs).toBeGreaterThanOrEqual(22);
    expect(r.maxMs).toBeLessThanOrEqual(40);
  });

  it("is not fooled by other voices in the mix filling the hole", () => {
    const a = heardVoice(0, 20, 3);
    const b = heardVoice(10, 20, 3); // 500 Hz, next to voice 0's 300 Hz
    const at = onStretch(0, 20, 800, 80) + 10;
    a.fill(0, at * MS, (at + 50) * MS);
    const mix = a.map((v, i) => v + b[i]);
    expect(findGaps(mix, START, 0, [20]).maxMs).toBeGreaterThanOrEqual(40);
    expect(findGaps(mix, START, 10, [20]).gaps).toEqual([]);
  });

  it("does not take a change of delay for a gap when both delays are given", () => {
    // The listener moved: the first half at 30 ms, the second at 75 ms (no audio missing).
    const before = heardVoice(7, 30, 4);
    const after = heardVoice(7, 75, 4);
    const half = 2000 * MS;
    const x = new Float32Array(before.length);
    x.set(before.subarray(0, half));
    x.set(after.subarray(half), half);
    expect(findGaps(x, START, 7, [30, 75]).maxMs).toBeLessThanOrEqual(12);
    expect(findGaps(x, START, 7, [30, 75], { track: false }).maxMs).toBeLessThanOrEqual(12);
    // Held to one delay, the second half looks like holes; tracked, it is found.
    expect(findGaps(x, START, 7, [30], { track: false }).gaps.length).toBeGreaterThan(3);
    const r = findGaps(x, START, 7, [30]);
    expect(r.maxMs).toBeLessThanOrEqual(12);
    expect(Math.abs(r.delaysMs[100] - 30)).toBeLessThanOrEqual(2);
    expect(Math.abs(r.delaysMs[300] - 75)).toBeLessThanOrEqual(2);
  });

  /** Voice `index` heard at `base` ms, but `extra` ms later during [fromMs, toMs): a jitter buffer that grew and shrank. */
  function delayedStretch(index: number, base: number, extra: number, fromMs: number, toMs: number): Float32Array {
    const x = heardVoice(index, base, 4);
    const late = heardVoice(index, base + extra, 4);
    x.set(late.subarray(fromMs * MS, toMs * MS), fromMs * MS);
    return x;
  }

  it("follows a jitter buffer's delay: 30 ms later for 600 ms is no gap", () => {
    const x = delayedStretch(4, 40, 30, 1500, 2100);
    expect(findGaps(x, START, 4, [40], { track: false }).maxMs).toBeGreaterThanOrEqual(20);
    const r = findGaps(x, START, 4, [40]);
    expect(r.maxMs).toBeLessThanOrEqual(12);
    expect(Math.abs(r.delaysMs[180] - 70)).toBeLessThanOrEqual(2);
  });

  it("still finds holes of 30 to 100 ms while the delay is longer, wherever they fall", () => {
    for (const [voice, len, from] of [[1, 40, 1800], [2, 30, 1600], [8, 60, 2000], [12, 100, 1700], [5, 40, 2300]]) {
      const x = delayedStretch(voice, 40, 30, 1500, 2500);
      const at = onStretch(voice, 70, from, Math.min(len + 30, 70)) + 10;
      x.fill(0, at * MS, (at + len) * MS);
      const r = findGaps(x, START, voice, [40]);
      const hit = r.gaps.filter((g) => g.endAbs > START + at * MS && g.startAbs < START + (at + len) * MS);
      expect(hit, `voice ${voice}, ${len} ms at ${at}`).toHaveLength(1);
      expect(hit[0].ms).toBeGreaterThanOrEqual(len - 20); // trimmed to where the key is on: within a chip
      expect(hit[0].ms).toBeLessThanOrEqual(len + 12);
      expect(r.gaps.filter((g) => !hit.includes(g)).every((g) => g.ms <= 12)).toBe(true);
    }
  });

  it("measures a 500 ms outage in full, holding the delay through it", () => {
    const x = heardVoice(6, 35, 4);
    x.fill(0, 2000 * MS, 2500 * MS);
    const r = findGaps(x, START, 6, [35]);
    expect(r.maxMs).toBeGreaterThanOrEqual(460);
    expect(r.maxMs).toBeLessThanOrEqual(512);
  });

  it("refuses an empty delay list", () => {
    expect(() => findGaps(new Float32Array(4800), START, 0, [])).toThrow(RangeError);
  });
});
