import { describe, expect, it } from "vitest";
import { EngineError, MixMinus } from "@choirmesh/mixer-node/mixer";
import { Limiter } from "@choirmesh/mixer-node/limiter";
import { mulberry32, toneDb } from "../fixtures/signals.js";

const N = 480; // 10 ms at 48 kHz
// Multiples of 10 Hz: each holds a whole number of periods in a 4800-sample (100 ms) window,
// so the Goertzel level of one tone does not leak into another's.
const WINDOW_FRAMES = 10;
const DOWN_HZ = 330;
const VOICE_HZ = 440;
const CHILD_HZ = [520, 660, 780];
const AMP = 0.15; // five of them peak at 0.75: below the limiter's threshold
const AMP_DB = 20 * Math.log10(AMP);

function writeTone(out: Float32Array, hz: number, amp: number, frame: number): void {
  const w = (2 * Math.PI * hz) / 48_000;
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin(w * (frame * out.length + i));
}

/** Runs `frames` ticks, recording the outputs named in `record` over the last WINDOW_FRAMES frames. */
function run(
  m: MixMinus,
  frames: number,
  feed: (frame: number) => void,
  record: (string | number)[],
): Map<string | number, Float32Array> {
  const rec = new Map(record.map((r) => [r, new Float32Array(WINDOW_FRAMES * N)] as const));
  for (let f = 0; f < frames; f++) {
    feed(f);
    m.mix();
    const k = f - (frames - WINDOW_FRAMES);
    if (k < 0) continue;
    for (const [r, buf] of rec) {
      const out = r === "up" ? m.upOut : r === "hear" ? m.hearOut : m.childDownOut(r as number);
      buf.set(out, k * N);
    }
  }
  return rec;
}

function feedAll(m: MixMinus, amps = { down: AMP, voice: AMP, child: [AMP, AMP, AMP] }) {
  return (f: number) => {
    writeTone(m.downIn, DOWN_HZ, amps.down, f);
    writeTone(m.voiceIn, VOICE_HZ, amps.voice, f);
    CHILD_HZ.forEach((hz, s) => {
      if (m.isAttached(s)) writeTone(m.childIn(s), hz, amps.child[s], f);
    });
  };
}

function hub(): MixMinus {
  const m = new MixMinus({ frameSamples: N, maxChildren: 4 });
  for (let s = 0; s < 3; s++) m.attachChild(s);
  return m;
}

describe("MixMinus", () => {
  it("up mix holds the subtree, each down mix everything outside the child's subtree, H all but the singer", () => {
    const m = hub();
    const out = run(m, 12, feedAll(m), ["up", "hear", 0, 1, 2]);
    const level = (r: string | number, hz: number) => toneDb(out.get(r)!, hz);

    for (const hz of [VOICE_HZ, ...CHILD_HZ]) expect(level("up", hz)).toBeCloseTo(AMP_DB, 1);
    expect(level("up", DOWN_HZ)).toBeLessThan(AMP_DB - 40);

    for (const hz of [DOWN_HZ, ...CHILD_HZ]) expect(level("hear", hz)).toBeCloseTo(AMP_DB, 1);
    expect(level("hear", VOICE_HZ)).toBeLessThan(AMP_DB - 40);

    CHILD_HZ.forEach((own, s) => {
      for (const hz of [DOWN_HZ, VOICE_HZ, ...CHILD_HZ.filter((h) => h !== own)]) {
        expect(level(s, hz)).toBeCloseTo(AMP_DB, 1);
      }
      expect(level(s, own)).toBeLessThan(AMP_DB - 40);
    });
  });

  it("derives each down mix exactly: D(c) equals the float64 sum of the other inputs rounded to float32", () => {
    const m = new MixMinus({ frameSamples: N, maxChildren: 8, limiter: false });
    const rnd = mulberry32(7);
    for (let s = 0; s < 8; s++) m.attachChild(s);
    const inputs = [m.downIn, m.voiceIn, ...Array.from({ length: 8 }, (_, s) => m.childIn(s))];
    for (const x of inputs) for (let i = 0; i < N; i++) x[i] = rnd() * 0.2 - 0.1;
    const copies = inputs.map((x) => Float32Array.from(x));
    m.mix();
    for (let s = 0; s < 8; s++) {
      const d = m.childDownOut(s);
      for (let i = 0; i < N; i++) {
        let ref = 0;
        copies.forEach((x, j) => {
          if (j !== s + 2) ref += x[i];
        });
        expect(Math.abs(d[i] - Math.fround(ref))).toBeLessThanOrEqual(1e-7);
      }
    }
  });

  it("applies gain and mute before summing, so the subtraction stays exact", () => {
    const m = hub();
    m.setGain(1, 0.5); // child 1 (660 Hz) at -6 dB
    m.setMute(2, true); // child 2 (780 Hz) silenced
    m.setMute("voice", true);
    const out = run(m, 12, feedAll(m), ["up", "hear", 0, 1, 2]);
    const level = (r: string | number, hz: number) => toneDb(out.get(r)!, hz);

    expect(level(0, 660)).toBeCloseTo(AMP_DB - 6.02, 1);
    expect(level("up", 660)).toBeCloseTo(AMP_DB - 6.02, 1);
    expect(level(1, 660)).toBeLessThan(AMP_DB - 40);
    for (const r of ["up", "hear", 0, 1, 2]) expect(level(r, 780)).toBeLessThan(AMP_DB - 40);
    for (const r of ["up", "hear", 0, 1, 2]) expect(level(r, VOICE_HZ)).toBeLessThan(AMP_DB - 40);
    // A muted child still gets everything else.
    for (const hz of [DOWN_HZ, 520, 660]) expect(level(2, hz)).toBeGreaterThan(AMP_DB - 7);
    expect(m.getGain(1)).toBe(0.5);
    expect(m.isMuted(2)).toBe(true);
  });

  it("ramps a gain change over one frame instead of stepping", () => {
    const m = new MixMinus({ frameSamples: N, maxChildren: 1, hasParent: false, limiter: false });
    m.attachChild(0);
    m.voiceIn.fill(0);
    m.childIn(0).fill(0.5);
    m.mix();
    m.setGain(0, 0);
    m.childIn(0).fill(0.5);
    m.mix();
    const up = m.upOut;
    expect(up[0]).toBeCloseTo(0.5 * (1 - 1 / N), 6);
    expect(up[N / 2 - 1]).toBeCloseTo(0.25, 6);
    expect(up[N - 1]).toBe(0);
    let maxStep = 0;
    for (let i = 1; i < N; i++) maxStep = Math.max(maxStep, Math.abs(up[i] - up[i - 1]));
    expect(maxStep).toBeLessThan(0.5 / N + 1e-6);
  });

  it("fades an input out or in over the next frame only", () => {
    const m = new MixMinus({ frameSamples: N, maxChildren: 1, hasParent: false, hasVoice: false, limiter: false });
    m.attachChild(0);
    m.fadeNext(0, "out");
    m.childIn(0).fill(0.4);
    m.mix();
    expect(m.upOut[0]).toBeCloseTo(0.4 * (1 - 1 / N), 6);
    expect(m.upOut[N / 2 - 1]).toBeCloseTo(0.2, 6);
    expect(m.upOut[N - 1]).toBe(0);
    m.fadeNext(0, "in");
    m.childIn(0).fill(0.4);
    m.mix();
    expect(m.upOut[0]).toBeCloseTo(0.4 / N, 6);
    expect(m.upOut[N - 1]).toBeCloseTo(0.4, 6);
    m.childIn(0).fill(0.4);
    m.mix();
    expect(m.upOut.every((v) => v === Math.fround(0.4))).toBe(true);
  });

  it("removes a detached child from every mix and stops its down mix", () => {
    const m = hub();
    run(m, 3, feedAll(m), []);
    m.detachChild(1);
    expect(m.childCount).toBe(2);
    expect(m.isAttached(1)).toBe(false);
    const out = run(m, 12, feedAll(m), ["up", "hear", 0, 1, 2]);
    for (const r of ["up", "hear", 0, 2]) expect(toneDb(out.get(r)!, 660)).toBeLessThan(AMP_DB - 40);
    expect(toneDb(out.get(0)!, 780)).toBeCloseTo(AMP_DB, 1);
    expect(out.get(1)!.every((v) => v === 0)).toBe(true);
    expect(() => m.detachChild(1)).toThrow(EngineError);
    expect(() => m.attachChild(0)).toThrow(/slot-in-use/);
    expect(() => m.childIn(4)).toThrow(/bad-slot/);
  });

  it("at the root (no parent) up is the whole mix; a dedicated hub (no voice) hears everything", () => {
    const m = new MixMinus({ frameSamples: N, maxChildren: 3, hasParent: false, hasVoice: false });
    for (let s = 0; s < 3; s++) m.attachChild(s);
    const out = run(m, 12, feedAll(m), ["up", "hear", 0]);
    for (const r of ["up", "hear"]) {
      for (const hz of CHILD_HZ) expect(toneDb(out.get(r)!, hz)).toBeCloseTo(AMP_DB, 1);
      expect(toneDb(out.get(r)!, DOWN_HZ)).toBeLessThan(AMP_DB - 40);
      expect(toneDb(out.get(r)!, VOICE_HZ)).toBeLessThan(AMP_DB - 40);
    }
    expect(toneDb(out.get(0)!, 520)).toBeLessThan(AMP_DB - 40);
    expect(toneDb(out.get(0)!, 660)).toBeCloseTo(AMP_DB, 1);
  });

  it("keeps 64 full-scale voices within ±1 without wrap-around", () => {
    const K = 64;
    const m = new MixMinus({ frameSamples: N, maxChildren: K });
    for (let s = 0; s < K; s++) m.attachChild(s);
    // All in phase: the worst case, a sum of 66 at the peak.
    const hz = (s: number) => 200 + 10 * s;
    const feed = (f: number) => {
      writeTone(m.downIn, 100, 1, f);
      writeTone(m.voiceIn, 150, 1, f);
      for (let s = 0; s < K; s++) writeTone(m.childIn(s), hz(s), 1, f);
    };
    const outs = ["up", "hear", ...Array.from({ length: K }, (_, s) => s)];
    const rec = run(m, 20, feed, outs);
    // Sum of the inputs that feed child 5's down mix, to check signs (a wrap would flip them).
    for (const [r, x] of rec) {
      let maxAbs = 0;
      for (const v of x) maxAbs = Math.max(maxAbs, Math.abs(v));
      expect(maxAbs).toBeLessThanOrEqual(1);
      expect(maxAbs).toBeGreaterThan(0.85); // limited, not silenced
    }
    const d5 = rec.get(5)!;
    const start = 10 * N;
    let agree = 0;
    let strong = 0;
    for (let i = 0; i < d5.length; i++) {
      let ref = Math.sin((2 * Math.PI * 100 * (start + i)) / 48_000) + Math.sin((2 * Math.PI * 150 * (start + i)) / 48_000);
      for (let s = 0; s < K; s++) if (s !== 5) ref += Math.sin((2 * Math.PI * hz(s) * (start + i)) / 48_000);
      if (Math.abs(ref) > 2) {
        strong++;
        if (Math.sign(ref) === Math.sign(d5[i])) agree++;
      }
    }
    expect(strong).toBeGreaterThan(100);
    expect(agree).toBe(strong);
  });
});

describe("Limiter", () => {
  it("is bit-exact below the threshold", () => {
    const lim = new Limiter();
    const rnd = mulberry32(3);
    for (let f = 0; f < 50; f++) {
      const x = new Float32Array(N);
      for (let i = 0; i < N; i++) x[i] = (rnd() * 2 - 1) * 0.85;
      const before = Float32Array.from(x);
      lim.process(x, N);
      expect(x).toEqual(before);
    }
    expect(lim.toJSON().engagedBlocks).toBe(0);
  });

  it("brings a sudden 12 dB overload under 1 without distorting it, and releases afterwards", () => {
    const lim = new Limiter();
    const frames: Float32Array[] = [];
    for (let f = 0; f < 60; f++) {
      const amp = f >= 10 && f < 30 ? 3.6 : 0.5;
      const x = new Float32Array(N);
      writeTone(x, 440, amp, f);
      lim.process(x, N);
      frames.push(x);
    }
    const all = new Float32Array(60 * N);
    frames.forEach((x, f) => all.set(x, f * N));
    const maxAbs = (from: number, to: number) => {
      let m = 0;
      for (let i = from * N; i < to * N; i++) m = Math.max(m, Math.abs(all[i]));
      return m;
    };
    expect(maxAbs(0, 60)).toBeLessThan(1);
    // Only a frame's first sub-block can overshoot (the look-ahead does not cross frames): at the
    // onset by a lot (the soft clip takes it), in steady state by the envelope's release between
    // two crests, under 1%.
    expect(maxAbs(11, 30)).toBeLessThanOrEqual(lim.threshold * 1.01);
    // While overloaded the level sits just under the threshold, not far below it...
    const fundamental = toneDb(all, 440, 15 * N, 10 * N);
    expect(fundamental).toBeGreaterThan(20 * Math.log10(0.8));
    // ...and the waveform stays a sine: a hard clip at the threshold of this overload puts its
    // third harmonic about 10 dB under the fundamental; the limiter keeps it 30 dB further down.
    expect(toneDb(all, 1320, 15 * N, 10 * N)).toBeLessThan(fundamental - 40);
    expect(toneDb(all, 880, 15 * N, 10 * N)).toBeLessThan(fundamental - 40);
    // 300 ms after the overload (release 80 ms) the quiet tone is back at its own level.
    expect(toneDb(all, 440, 50 * N, 10 * N)).toBeCloseTo(20 * Math.log10(0.5), 1);
  });
});

describe("a three-level tree of MixMinus nodes wired by hand", () => {
  it("every leaf hears every other singer and not itself", () => {
    // root -> hubs A, B -> leaves a1, a2 (under A) and b1, b2 (under B). Every node sings.
    // Each link delays its stream by one tick, as the network would.
    const tone = { root: 260, A: 330, B: 390, a1: 440, a2: 520, b1: 660, b2: 780 } as const;
    type Name = keyof typeof tone;
    const amp = 0.12;
    const mk = (children: number, hasParent: boolean) => new MixMinus({ frameSamples: N, maxChildren: children, hasParent });
    const nodes: Record<Name, MixMinus> = {
      root: mk(2, false), A: mk(2, true), B: mk(2, true),
      a1: mk(0, true), a2: mk(0, true), b1: mk(0, true), b2: mk(0, true),
    };
    const parentOf: Partial<Record<Name, [Name, number]>> = {
      A: ["root", 0], B: ["root", 1], a1: ["A", 0], a2: ["A", 1], b1: ["B", 0], b2: ["B", 1],
    };
    for (const [parent, slot] of Object.values(parentOf)) nodes[parent].attachChild(slot);
    const names = Object.keys(tone) as Name[];
    const lastUp = new Map(names.map((n) => [n, new Float32Array(N)] as const));
    const lastDown = new Map(names.map((n) => [n, new Float32Array(N)] as const));
    const leaves: Name[] = ["a1", "a2", "b1", "b2"];
    const heard = new Map(leaves.map((n) => [n, new Float32Array(WINDOW_FRAMES * N)] as const));
    const frames = 20;
    for (let f = 0; f < frames; f++) {
      for (const n of names) {
        writeTone(nodes[n].voiceIn, tone[n], amp, f);
        const link = parentOf[n];
        if (link) {
          nodes[n].downIn.set(lastDown.get(n)!);
          nodes[link[0]].childIn(link[1]).set(lastUp.get(n)!);
        }
      }
      for (const n of names) nodes[n].mix();
      for (const n of names) {
        lastUp.get(n)!.set(nodes[n].upOut);
        const link = parentOf[n];
        if (link) lastDown.get(n)!.set(nodes[link[0]].childDownOut(link[1]));
      }
      const k = f - (frames - WINDOW_FRAMES);
      if (k >= 0) for (const l of leaves) heard.get(l)!.set(nodes[l].hearOut, k * N);
    }
    const ampDb = 20 * Math.log10(amp);
    for (const l of leaves) {
      const h = heard.get(l)!;
      for (const other of names) {
        if (other === l) expect(toneDb(h, tone[other])).toBeLessThan(ampDb - 40);
        else expect(toneDb(h, tone[other])).toBeCloseTo(ampDb, 1);
      }
    }
  });
});
