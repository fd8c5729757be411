import { afterEach, describe, expect, it } from "vitest";
import { loadCodecBackend, nativeUnavailableReason, type CodecBackend, type Decoder, type Encoder } from "@choirmesh/mixer-node/codec";
import { HubEngine, type LinkTarget } from "@choirmesh/mixer-node/hub-engine";
import { mulberry32 } from "../fixtures/signals.js";

const F = 10;
const N = 480;
// Musical pitches, not a common 10 Hz lattice: Opus's frame-rate distortion of a mix of tones on
// one lattice lands on the lattice, i.e. on the very tone a child must not hear (measured: 41 dB
// down at 64 kbit/s), which would measure the codec rather than the mixer.
const DOWN_HZ = 329.63;
const VOICE_HZ = 440;
const CHILD_HZ = [523.25, 659.25, 783.99];
const AMP = 0.15;
const AMP_DB = 20 * Math.log10(AMP);

/** Level in dB of the `hz` component of x, through a Hann window (tones here share no period). */
function toneDb(x: Float32Array, hz: number): number {
  const n = x.length;
  const w = (2 * Math.PI * hz) / 48_000;
  let re = 0;
  let im = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const h = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    re += x[i] * h * Math.cos(w * i);
    im -= x[i] * h * Math.sin(w * i);
    sum += h;
  }
  return 20 * Math.log10(Math.max((2 * Math.hypot(re, im)) / sum, 1e-10));
}

function writeTone(out: Float32Array, hz: number, amp: number, frame: number): void {
  const w = (2 * Math.PI * hz) / 48_000;
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin(w * (frame * N + i));
}

/** The far end of one link: encodes a tone towards the engine and decodes what the engine sends back. */
class Peer {
  readonly enc: Encoder;
  readonly dec: Decoder;
  private readonly pcm = new Float32Array(N);
  private readonly pkt = new Uint8Array(1275);
  private readonly frame = new Float32Array(N);
  seq = 100;
  ts = 5000;
  heard: Float32Array[] = [];
  constructor(backend: CodecBackend, readonly hz: number) {
    this.enc = backend.createEncoder({ frameMs: F });
    this.dec = backend.createDecoder(F);
  }
  /** Encodes frame f of this peer's tone; returns a fresh copy of the packet. */
  packet(f: number): Uint8Array {
    writeTone(this.pcm, this.hz, AMP, f);
    const len = this.enc.encode(this.pcm, this.pkt);
    return this.pkt.slice(0, len);
  }
  hear(bytes: Uint8Array, length: number): void {
    this.dec.decode(bytes.subarray(0, length), this.frame);
    this.heard.push(Float32Array.from(this.frame));
  }
  /** The last `frames` frames heard, joined. */
  last(frames: number): Float32Array {
    const out = new Float32Array(frames * N);
    this.heard.slice(-frames).forEach((x, i) => out.set(x, i * N));
    return out;
  }
  destroy(): void {
    this.enc.destroy();
    this.dec.destroy();
  }
}

const backends: ("native" | "fallback")[] = ["native", "fallback"];

describe.each(backends)("HubEngine with the %s codec", (name) => {
  const reason = name === "native" ? nativeUnavailableReason() : null;
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  function build(opts: { children: number; parent: boolean; voice: boolean; lossOnChild0?: number }) {
    const backend = loadCodecBackend(name);
    const parent = new Peer(backend, DOWN_HZ);
    const kids = CHILD_HZ.slice(0, opts.children).map((hz) => new Peer(backend, hz));
    const engine = new HubEngine({
      backend,
      maxChildren: 4,
      frameMs: F,
      hasVoice: opts.voice,
      onPacket: (target: LinkTarget, bytes, length) => {
        if (target === "parent") parent.hear(bytes, length);
        else kids[target].hear(bytes, length);
      },
    });
    cleanup.push(() => {
      engine.destroy();
      parent.destroy();
      kids.forEach((k) => k.destroy());
    });
    if (opts.parent) engine.attachParent();
    kids.forEach((_, s) => engine.attachChild(s));
    const rnd = mulberry32(11);
    const hear: Float32Array[] = [];
    const ups: Float32Array[] = [];
    let f = 0;
    const run = (frames: number) => {
      for (const end = f + frames; f < end; f++) {
        const now = f * F;
        // Packets arrive 1–3 ms before the tick that plays them.
        if (opts.parent) engine.receive("parent", parent.seq++ & 0xffff, (parent.ts += N) >>> 0, parent.packet(f), now - 3);
        kids.forEach((k, s) => {
          if (!engine.isChildAttached(s)) return;
          const pkt = k.packet(f);
          const seq = k.seq++ & 0xffff;
          const ts = (k.ts += N) >>> 0;
          if (s === 0 && opts.lossOnChild0 && rnd() < opts.lossOnChild0) return;
          engine.receive(s, seq, ts, pkt, now - 1 - s * 0.5);
        });
        if (opts.voice) writeTone(engine.voiceIn, VOICE_HZ, AMP, f);
        engine.tick(now);
        hear.push(Float32Array.from(engine.hearOut));
        ups.push(Float32Array.from(engine.mixer.upOut));
      }
    };
    const join = (list: Float32Array[], frames: number) => {
      const out = new Float32Array(frames * N);
      list.slice(-frames).forEach((x, i) => out.set(x, i * N));
      return out;
    };
    const heard = (frames: number) => join(hear, frames);
    /** The up mix before encoding (a root has no parent to send it to). */
    const upMix = (frames: number) => join(ups, frames);
    return { engine, parent, kids, run, heard, upMix };
  }

  it.skipIf(reason !== null)("sends each child every voice but its own (>= 40 dB down after decoding) and the parent the whole subtree", () => {
    const { engine, parent, kids, run, heard } = build({ children: 3, parent: true, voice: true });
    run(130);
    const W = 100;
    kids.forEach((k, s) => {
      const d = k.last(W);
      const others = [DOWN_HZ, VOICE_HZ, ...CHILD_HZ.filter((_, j) => j !== s)].map((hz) => toneDb(d, hz));
      for (const l of others) expect(l).toBeGreaterThan(AMP_DB - 1.5);
      for (const l of others) expect(l).toBeLessThan(AMP_DB + 1);
      expect(toneDb(d, CHILD_HZ[s])).toBeLessThan(Math.min(...others) - 40);
    });
    const up = parent.last(W);
    const upLevels = [VOICE_HZ, ...CHILD_HZ].map((hz) => toneDb(up, hz));
    for (const l of upLevels) expect(l).toBeGreaterThan(AMP_DB - 1.5);
    expect(toneDb(up, DOWN_HZ)).toBeLessThan(Math.min(...upLevels) - 40);
    const h = heard(W);
    const hLevels = [DOWN_HZ, ...CHILD_HZ].map((hz) => toneDb(h, hz));
    for (const l of hLevels) expect(l).toBeGreaterThan(AMP_DB - 1.5);
    expect(toneDb(h, VOICE_HZ)).toBeLessThan(Math.min(...hLevels) - 40);

    const stats = engine.toJSON();
    expect(stats.ticks).toBe(130);
    expect(stats.children[0].sent).toBe(130);
    expect(stats.parent!.sent).toBe(130);
    expect(stats.children[1].pops.packet).toBeGreaterThan(120);
    expect(stats.children[1].decodeErrors).toBe(0);
  });

  it.skipIf(reason !== null)("conceals 10% random loss on a child's stream and keeps its tone in the mixes", () => {
    const { engine, parent, kids, run } = build({ children: 3, parent: true, voice: true, lossOnChild0: 0.1 });
    run(200);
    const stats = engine.toJSON();
    const pops = stats.children[0].pops;
    const lost = pops.conceal + pops.fec;
    expect(lost).toBeGreaterThanOrEqual(8);
    expect(pops.silence).toBeLessThanOrEqual(3); // only while the buffer first fills
    const W = 100;
    // Concealed frames continue the tone: its level over 1 s stays within 3 dB.
    expect(toneDb(parent.last(W), CHILD_HZ[0])).toBeGreaterThan(AMP_DB - 3);
    expect(toneDb(kids[1].last(W), CHILD_HZ[0])).toBeGreaterThan(AMP_DB - 3);
    // And child 0 still does not hear itself, loss or not: the subtraction uses what was mixed.
    expect(toneDb(kids[0].last(W), CHILD_HZ[0])).toBeLessThan(toneDb(kids[0].last(W), CHILD_HZ[1]) - 40);
  });

  it.skipIf(reason !== null)("fades a detached child out over one frame, then drops it from every mix", () => {
    const { engine, kids, run, upMix } = build({ children: 2, parent: false, voice: false });
    run(30);
    const before = Float32Array.from(engine.mixer.upOut);
    engine.detachChild(1);
    expect(engine.isChildAttached(1)).toBe(false);
    run(1);
    const fade = Float32Array.from(engine.mixer.upOut);
    // Child 1's input in the fade frame (gains are applied in place): its stream concealed, at
    // full level at the start and ramped to zero at the end.
    const gone = engine.mixer.childIn(1);
    const rmsOf = (x: Float32Array, from: number, to: number) => {
      let e = 0;
      for (let i = from; i < to; i++) e += x[i] * x[i];
      return Math.sqrt(e / (to - from));
    };
    expect(rmsOf(gone, 0, 48)).toBeGreaterThan(0.15 * Math.SQRT1_2 * 0.7);
    expect(rmsOf(gone, N - 48, N)).toBeLessThan(0.15 * Math.SQRT1_2 * 0.15);
    expect(gone[N - 1]).toBe(0);
    // The mix is continuous with the frame before and with the frame after.
    expect(Math.abs(fade[0] - before[N - 1])).toBeLessThan(0.05);
    run(1);
    const after = Float32Array.from(engine.mixer.upOut);
    expect(Math.abs(after[0] - fade[N - 1])).toBeLessThan(0.05);
    run(20);
    expect(toneDb(upMix(20), CHILD_HZ[1])).toBeLessThan(AMP_DB - 40);
    expect(toneDb(upMix(20), CHILD_HZ[0])).toBeGreaterThan(AMP_DB - 1.5);
    expect(toneDb(kids[0].last(20), CHILD_HZ[1])).toBeLessThan(AMP_DB - 40);
    expect(engine.childCount).toBe(1);
    // The slot is free for a new child.
    engine.attachChild(1);
    expect(engine.childCount).toBe(2);
  });

  it.skipIf(reason !== null)("switches to a new parent: the old down stream fades, the new one plays", () => {
    const { engine, run, heard } = build({ children: 1, parent: true, voice: true });
    run(30);
    expect(toneDb(heard(20), DOWN_HZ)).toBeGreaterThan(AMP_DB - 1.5);
    engine.attachParent(); // a new parent link; the peer keeps sending, now on the new link
    run(40);
    // The new link's jitter buffer restarts: same tone, heard again after it fills.
    expect(toneDb(heard(20), DOWN_HZ)).toBeGreaterThan(AMP_DB - 1.5);
    engine.detachParent();
    run(1);
    run(20);
    expect(engine.hasParent).toBe(false);
    expect(toneDb(heard(20), DOWN_HZ)).toBeLessThan(AMP_DB - 40);
    expect(toneDb(heard(20), CHILD_HZ[0])).toBeGreaterThan(AMP_DB - 1.5);
  });

  it.skipIf(reason !== null)("swaps to a prepared parent without a silent frame: warmed unheard, then a one-frame crossfade", () => {
    const { engine, parent } = build({ children: 0, parent: true, voice: false });
    const NEXT_HZ = 392;
    const next = new Peer(loadCodecBackend(name), NEXT_HZ);
    cleanup.push(() => next.destroy());
    const frames: Float32Array[] = [];
    let f = 0;
    const tick = (oldToo: boolean, nextToo: boolean, nextAs: "next" | "parent") => {
      const now = f * F;
      if (oldToo) engine.receive("parent", parent.seq++ & 0xffff, (parent.ts += N) >>> 0, parent.packet(f), now - 3);
      if (nextToo) {
        const pkt = next.packet(f);
        const seq = next.seq++ & 0xffff;
        const ts = (next.ts += N) >>> 0;
        if (nextAs === "next") engine.receiveNext(seq, ts, pkt, now - 2);
        else engine.receive("parent", seq, ts, pkt, now - 2);
      }
      engine.tick(now);
      frames.push(Float32Array.from(engine.hearOut));
      f++;
    };
    const joined = (from: number, to: number) => {
      const out = new Float32Array((to - from) * N);
      frames.slice(from, to).forEach((x, i) => out.set(x, i * N));
      return out;
    };
    const rms = (x: Float32Array) => Math.sqrt(x.reduce((e, v) => e + v * v, 0) / x.length);
    for (let i = 0; i < 30; i++) tick(true, false, "next");
    engine.prepareParent();
    for (let i = 0; i < 10; i++) tick(true, true, "next");
    // Warming is unheard: the old parent plays alone.
    expect(toneDb(joined(30, 40), DOWN_HZ)).toBeGreaterThan(AMP_DB - 1.5);
    expect(toneDb(joined(30, 40), NEXT_HZ)).toBeLessThan(AMP_DB - 35);
    const swapAt = f;
    engine.swapParent();
    for (let i = 0; i < 25; i++) tick(false, true, "parent");
    // No frame around the swap is silent (with attachParent, a fresh link's buffer: 1-2 near-silent frames).
    for (let i = swapAt - 2; i < swapAt + 5; i++) expect(rms(frames[i])).toBeGreaterThan(AMP * Math.SQRT1_2 * 0.5);
    // The crossfade frame starts on the old stream's level and the next frame joins it smoothly.
    expect(Math.abs(frames[swapAt][0] - frames[swapAt - 1][N - 1])).toBeLessThan(0.05);
    expect(Math.abs(frames[swapAt + 1][0] - frames[swapAt][N - 1])).toBeLessThan(0.05);
    // Then the new parent alone.
    expect(toneDb(joined(swapAt + 5, swapAt + 25), NEXT_HZ)).toBeGreaterThan(AMP_DB - 1.5);
    expect(toneDb(joined(swapAt + 5, swapAt + 25), DOWN_HZ)).toBeLessThan(AMP_DB - 35);
    expect(engine.hasParent).toBe(true);
  });

  it.skipIf(reason !== null)("counts packets for links that do not exist and rejects bad slots", () => {
    const { engine } = build({ children: 1, parent: false, voice: true });
    engine.receive(3, 1, 480, new Uint8Array([1, 2, 3]), 0);
    engine.receive("parent", 1, 480, new Uint8Array([1, 2, 3]), 0);
    expect(engine.toJSON().unroutable).toBe(2);
    expect(() => engine.attachChild(0)).toThrow(/slot-in-use/);
    expect(() => engine.attachChild(9)).toThrow(/bad-slot/);
    expect(() => engine.detachParent()).toThrow(/no-link/);
  });
});
