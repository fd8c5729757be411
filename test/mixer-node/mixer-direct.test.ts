/**
 * The mixer's two refinements for singers who hear some others directly (mixer.ts: setExcluded,
 * setPeer): a child's down mix leaves out the voices it hears peer to peer, exactly, and a direct
 * peer's input is heard but never part of the up mix.
 */
import { describe, expect, it } from "vitest";
import { EngineError, MAX_EXCLUDED, MixMinus } from "@choirmesh/mixer-node/mixer";
import { mulberry32 } from "../fixtures/signals.js";

const N = 480;

function randomInputs(m: MixMinus, children: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  const inputs = [m.downIn, m.voiceIn, ...Array.from({ length: children }, (_, s) => m.childIn(s))];
  for (const x of inputs) for (let i = 0; i < N; i++) x[i] = rnd() * 0.2 - 0.1;
  return inputs.map((x) => Float32Array.from(x));
}

/** The float64 sum of the inputs at `keep` (indices into [down, voice, child 0, ...]), rounded to float32. */
function sumOf(copies: Float32Array[], keep: (j: number) => boolean, i: number): number {
  let ref = 0;
  copies.forEach((x, j) => {
    if (keep(j)) ref += x[i];
  });
  return Math.fround(ref);
}

describe("MixMinus with direct neighbours", () => {
  it("a child's down mix leaves out exactly the children it hears directly; the others' mixes keep them", () => {
    const m = new MixMinus({ frameSamples: N, maxChildren: 6, limiter: false });
    for (let s = 0; s < 6; s++) m.attachChild(s);
    // Children 0, 1 and 2 hear each other directly; 3..5 hear everyone through the hub.
    m.setExcluded(0, [1, 2]);
    m.setExcluded(1, [0, 2]);
    m.setExcluded(2, [0, 1]);
    expect(m.excludedOf(0)).toEqual([1, 2]);
    const copies = randomInputs(m, 6, 11);
    m.mix();
    const child = (s: number) => s + 2;
    for (let s = 0; s < 6; s++) {
      const d = m.childDownOut(s);
      const out = s < 3 ? [0, 1, 2].map(child) : [child(s)];
      for (let i = 0; i < N; i++) expect(Math.abs(d[i] - sumOf(copies, (j) => !out.includes(j), i))).toBeLessThanOrEqual(1e-7);
    }
    // The up mix and what the hub's singer hears are unchanged.
    for (let i = 0; i < N; i++) {
      expect(Math.abs(m.upOut[i] - sumOf(copies, (j) => j !== 0, i))).toBeLessThanOrEqual(1e-7);
      expect(Math.abs(m.hearOut[i] - sumOf(copies, (j) => j !== 1, i))).toBeLessThanOrEqual(1e-7);
    }
  });

  it("a leaf's direct peers are heard and left out of its up mix; a detached slot forgets its role", () => {
    const m = new MixMinus({ frameSamples: N, maxChildren: 4, limiter: false });
    m.attachChild(2);
    m.attachChild(3);
    m.setPeer(2, true);
    m.setPeer(3, true);
    const rnd = mulberry32(5);
    for (const x of [m.downIn, m.voiceIn, m.childIn(2), m.childIn(3)]) for (let i = 0; i < N; i++) x[i] = rnd() * 0.2 - 0.1;
    const down = Float32Array.from(m.downIn);
    const voice = Float32Array.from(m.voiceIn);
    const p2 = Float32Array.from(m.childIn(2));
    const p3 = Float32Array.from(m.childIn(3));
    m.mix();
    for (let i = 0; i < N; i++) {
      // U(n) is the singer's voice alone; H(n) is the parent's side plus both peers.
      expect(Math.abs(m.upOut[i] - voice[i])).toBeLessThanOrEqual(1e-7);
      expect(Math.abs(m.hearOut[i] - Math.fround(down[i] + p2[i] + p3[i]))).toBeLessThanOrEqual(1e-7);
    }
    m.detachChild(2);
    expect(m.isPeer(2)).toBe(false);
    m.attachChild(2);
    m.childIn(2).fill(0.05);
    m.mix();
    // Slot 2 is an ordinary child again: its up mix counts.
    expect(m.upOut[0]).toBeCloseTo(voice[0] + 0.05, 6);
  });

  it("refuses a slot that excludes itself, too many exclusions and slots out of range", () => {
    const m = new MixMinus({ frameSamples: N, maxChildren: 12 });
    expect(() => m.setExcluded(1, [1])).toThrow(EngineError);
    expect(() => m.setExcluded(1, Array.from({ length: MAX_EXCLUDED + 1 }, (_, k) => k + 2))).toThrow(EngineError);
    expect(() => m.setExcluded(1, [12])).toThrow(EngineError);
    expect(() => m.setPeer(-1, true)).toThrow(EngineError);
  });
});
