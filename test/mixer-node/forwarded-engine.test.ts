import { describe, expect, it } from "vitest";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import { HubEngine } from "@choirmesh/mixer-node/hub-engine";

/**
 * Three engines on the forwarded down path, wired by hand: R (root) over H, H over the leaves A
 * and B. H forwards R's stream to A and B as it comes and mixes for each only its own voice and
 * the other leaf; each leaf sums its two streams. Every voice is a tone of its own.
 */
const N = 480;
const HZ = { R: 329.63, H: 440, A: 523.25, B: 659.25 } as const;
const AMP = 0.15;
const AMP_DB = 20 * Math.log10(AMP);

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

/**
 * R (root) over H, H over the leaves A and B, wired by hand. Packets are handed over after the
 * sender's tick (copied: the engines reuse their buffers); H forwards R's stream to the leaves on
 * arrival (onForward). Up streams keep the sink's numbering; down packets carry their own.
 */
function wire(hearPhase: boolean) {
  const backend = loadCodecBackend();
  const opts = { backend, maxChildren: 2, frameMs: 10 as const, downPath: "forward" as const, redundancy: "off" as const, limiter: false as const, hearPhase };
  const queue: (() => void)[] = [];
  const e: Record<string, HubEngine> = {};
  const at = { now: 0 };
  e.R = new HubEngine({ ...opts, onPacket: (t, b, n) => { const p = b.slice(0, n); queue.push(() => e.H.receive("parent", 0, 0, p, at.now)); } });
  e.H = new HubEngine({
    ...opts,
    onPacket: (t, b, n, seq, ts) => {
      const p = b.slice(0, n);
      queue.push(() => (t === "parent" ? e.R.receive(0, seq, ts, p, at.now) : e[t === 0 ? "A" : "B"].receive("parent", 0, 0, p, at.now)));
    },
    onForward: (t, b, n) => {
      const p = b.slice(0, n);
      e[t === 0 ? "A" : "B"].receive("parent", 0, 0, p, at.now);
    },
  });
  e.A = new HubEngine({ ...opts, onPacket: (_t, b, n, seq, ts) => { const p = b.slice(0, n); queue.push(() => e.H.receive(0, seq, ts, p, at.now)); } });
  e.B = new HubEngine({ ...opts, onPacket: (_t, b, n, seq, ts) => { const p = b.slice(0, n); queue.push(() => e.H.receive(1, seq, ts, p, at.now)); } });
  e.R.attachChild(0);
  e.R.setChildForwarded(0, true);
  e.H.attachParent();
  e.H.attachChild(0);
  e.H.attachChild(1);
  e.H.setChildForwarded(0, true);
  e.H.setChildForwarded(1, true);
  e.A.attachParent();
  e.B.attachParent();
  return { e, queue, at };
}

/**
 * Frame f: every voice a tone of its own, then each engine ticks top-down, its packets delivered
 * before the next one ticks (R's stream reaches H, and H forwards it to the leaves on arrival).
 */
function tickAll({ e, queue, at }: ReturnType<typeof wire>, f: number): void {
  at.now = f * 10;
  const names = ["R", "H", "A", "B"] as const;
  for (const name of names) {
    const v = e[name].voiceIn;
    const w = (2 * Math.PI * HZ[name]) / 48_000;
    for (let i = 0; i < N; i++) v[i] = AMP * Math.sin(w * (f * N + i));
  }
  for (const name of names) {
    e[name].tick(at.now);
    for (const run of queue.splice(0)) run();
  }
}

describe("HubEngine on the forwarded down path", () => {
  it("with a hear phase the parent's streams are heard after the tick, each voice once and never one's own; a hear can skip or hold a frame of them", () => {
    const w = wire(true);
    const { e } = w;
    const heardA = new Float32Array(N * 100);
    const heardH = new Float32Array(N * 100);
    // Frames the parent's stream gave (played or concealed in their place).
    const played = () => {
      const j = e.A.toJSON().parent!.jitter;
      return j.played + j.concealed;
    };
    let skipGain = -1;
    let holdGain = -1;
    for (let f = 0; f < 320; f++) {
      tickAll(w, f);
      // The root has no parent: its tick heard everything, and it has nothing to wait for.
      expect(e.R.hearPending).toBe(false);
      expect(e.A.hearPending).toBe(true);
      const before = played();
      // Frame 300 skips a frame of the streams, frame 310 holds them (see HearPhase.shift).
      for (const name of ["H", "A", "B"] as const) e[name].hear(w.at.now + 5, f === 300 ? 1 : f === 310 ? -1 : 0);
      if (f === 300) skipGain = played() - before;
      if (f === 310) holdGain = played() - before;
      expect(e.A.hearPending).toBe(false);
      if (f >= 200 && f < 300) {
        heardA.set(e.A.hearOut, (f - 200) * N);
        heardH.set(e.H.hearOut, (f - 200) * N);
      }
    }
    // A leaf hears the root, its hub and its sibling once each, at their level, and not itself.
    for (const voice of ["R", "H", "B"] as const) expect(Math.abs(toneDb(heardA, HZ[voice]) - AMP_DB)).toBeLessThan(1.5);
    expect(toneDb(heardA, HZ.A)).toBeLessThan(AMP_DB - 40);
    // The hub hears the root (its parent's stream, in the hear) and both leaves (from its tick).
    for (const voice of ["R", "A", "B"] as const) expect(Math.abs(toneDb(heardH, HZ[voice]) - AMP_DB)).toBeLessThan(1.5);
    expect(toneDb(heardH, HZ.H)).toBeLessThan(AMP_DB - 40);
    expect(skipGain).toBe(2);
    expect(holdGain).toBe(0);
    for (const x of Object.values(e)) x.destroy();
  });

  it("a leaf two levels down hears the root, its hub and its sibling at full level, and not itself; the hub forwards the root's stream packet by packet", () => {
    const w = wire(false);
    const { e } = w;
    const heard = new Float32Array(N * 100);
    let forwardedBefore = 0;
    for (let f = 0; f < 300; f++) {
      tickAll(w, f);
      if (f === 199) forwardedBefore = e.H.toJSON().children[0].forwarded ?? 0;
      if (f >= 200) heard.set(e.A.hearOut, (f - 200) * N);
    }
    const stats = e.H.toJSON();
    // One forwarded packet per frame to each leaf.
    expect((stats.children[0].forwarded ?? 0) - forwardedBefore).toBe(100);
    expect(e.A.toJSON().parent?.downStreams?.streams).toBe(2);
    // Each once, at its own level (a voice heard twice, forwarded and mixed in again, is 6 dB up).
    for (const voice of ["R", "H", "B"] as const) expect(Math.abs(toneDb(heard, HZ[voice]) - AMP_DB)).toBeLessThan(1.5);
    expect(toneDb(heard, HZ.A)).toBeLessThan(AMP_DB - 40);
    for (const x of Object.values(e)) x.destroy();
  });
});
