import { describe, expect, it } from "vitest";
import { boxcarEnvelope, findGaps } from "../../mixer-node/src/gap-analysis.js";
import { SignatureVoice } from "../../mixer-node/src/signature.js";

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
    // One delay only: the second half looks like holes (this is why every delay is passed).
    expect(findGaps(x, START, 7, [30]).gaps.length).toBeGreaterThan(3);
  });

  it("refuses an empty delay list", () => {
    expect(() => findGaps(new Float32Array(4800), START, 0, [])).toThrow(RangeError);
  });
});
