import { describe, expect, it } from "vitest";
import { clearDownTiming, DOWN_HEADER_BYTES, newDownHeader, readDownHeader, writeDownHeader } from "@choirmesh/mixer-node/down-header";
import { TickAligner } from "@choirmesh/mixer-node/runtime/tick-aligner";
import { MixMinus } from "@choirmesh/mixer-node/mixer";
import { JitterBuffer } from "@choirmesh/mixer-node/jitter-buffer";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import { DownStreams } from "@choirmesh/mixer-node/down-streams";
import { ForwardProtect } from "@choirmesh/mixer-node/forward-protect";

describe("forwarded down path: the packet header", () => {
  it("round-trips tag, numbering and timing, and clears the timing of a forwarded packet", () => {
    const p = new Uint8Array(DOWN_HEADER_BYTES + 3);
    writeDownHeader(p, 0xbeef, 65535, 0xfffffff0, 0.37, -1.25, 0xfedc);
    const h = newDownHeader();
    expect(readDownHeader(p, h)).toBe(true);
    expect([h.tag, h.seq, h.ts, h.afterTickMs, h.slackMs, h.phase]).toEqual([0xbeef, 65535, 0xfffffff0, 0.37, -1.25, 0xfedc]);
    expect(h.hops).toBe(0);
    clearDownTiming(p);
    expect(readDownHeader(p, h)).toBe(true);
    expect([h.tag, Number.isNaN(h.afterTickMs), Number.isNaN(h.slackMs), h.hops, h.phase]).toEqual([0xbeef, true, true, 1, 0xfedc]);
    // Each hub that forwards it again counts a hop.
    clearDownTiming(p);
    clearDownTiming(p);
    expect(readDownHeader(p, h)).toBe(true);
    expect(h.hops).toBe(3);
    // A packet without timing and no count (what a hub that counts nothing sends): 1 hop from here.
    const q = new Uint8Array(DOWN_HEADER_BYTES + 3);
    writeDownHeader(q, 9, 1, 2, Number.NaN, Number.NaN, 0);
    expect(readDownHeader(q, h) && h.hops).toBe(0);
    clearDownTiming(q);
    expect(readDownHeader(q, h) && h.hops).toBe(1);
  });

  it("refuses what is not one: short, wrong magic, tag 0, no Opus after the header", () => {
    const h = newDownHeader();
    const ok = new Uint8Array(DOWN_HEADER_BYTES + 1);
    writeDownHeader(ok, 7, 1, 2, Number.NaN, Number.NaN, 0);
    expect(readDownHeader(ok, h)).toBe(true);
    expect(readDownHeader(ok.subarray(0, DOWN_HEADER_BYTES), h)).toBe(false);
    const bad = ok.slice();
    bad[0] = 0xf8;
    expect(readDownHeader(bad, h)).toBe(false);
    const zero = ok.slice();
    zero[1] = zero[2] = 0;
    expect(readDownHeader(zero, h)).toBe(false);
    expect(readDownHeader("x" as unknown as Uint8Array, h)).toBe(false);
  });
});

describe("forwarded down path: the mixer", () => {
  it("a forwarding child's output leaves the parent's down mix out exactly; a browser child's keeps it", () => {
    const n = 48;
    const m = new MixMinus({ frameSamples: n, maxChildren: 2, hasParent: true, limiter: false });
    m.attachChild(0);
    m.attachChild(1);
    m.setForwardedDown(0, true);
    for (let i = 0; i < n; i++) {
      m.downIn[i] = 0.1 * Math.sin(i);
      m.voiceIn[i] = 0.2 * Math.cos(i);
      m.childIn(0)[i] = 0.05 * ((i % 7) - 3);
      m.childIn(1)[i] = 0.03 * ((i % 5) - 2);
    }
    const [d, v, c1] = [m.downIn.slice(), m.voiceIn.slice(), m.childIn(1).slice()];
    m.mix();
    for (let i = 0; i < n; i++) {
      expect(m.childDownOut(0)[i]).toBe(Math.fround(v[i] + c1[i]));
      expect(m.childDownOut(1)[i]).toBe(Math.fround(d[i] + v[i] + m.childIn(0)[i]));
    }
  });
});

describe("forwarded down path: the tick aligner", () => {
  const F = 10;
  it("first moves sooner, by less than a frame, to put its frames 2 ms plus its send time before the parent's deadline", () => {
    const a = new TickAligner(F, 4);
    // Parent deadlines at 0 + 10k; mine at 3.3 + 10k; the parent's packet leaves 0.5 ms after its deadline.
    let move = 0;
    for (let k = 0; k < 4; k++) move = a.observe(3.3 + 10 * k, 10 * k + 0.5, 0.5, Number.NaN, 0.3);
    // Wanted: my deadline at -2.3 (mod 10) = 7.7: sooner by 3.3 + 2.3 = 5.6.
    expect(move).toBeCloseTo(-5.6, 9);
    expect(a.toJSON().aligned).toBe(true);
  });

  it("then trims on the parent's slack, both ways, at most every 500 ms; a frame or more is the parent's buffer's to drop", () => {
    const a = new TickAligner(F, 4);
    const feed = (t0: number, slack: number) => {
      let move = 0;
      for (let k = 0; k < 4; k++) move = a.observe(7.7 + 10 * k, t0 + 10 * k + 0.5, 0.5, slack, 0.3);
      return move;
    };
    expect(feed(0, Number.NaN)).toBeCloseTo(0, 9); // already where it wants to be
    expect(feed(1000, -0.5)).toBeCloseTo(-1, 9); // late by 0.5: sooner by it and 0.5 more
    expect(feed(1100, -0.5)).toBe(0); // at most every 500 ms
    expect(feed(2000, 1)).toBe(0); // within the band
    expect(feed(3000, 3)).toBeCloseTo(2.5, 9); // early by 3 ms: later, keeping 0.5
    expect(feed(4000, 25)).toBe(0); // beyond a frame, the parent's buffer drops by itself
  });
});

describe("forwarded down path: a sender's moves in the jitter buffer", () => {
  it("a move the sender announces is neither lateness nor drift; the same move unannounced is lateness", () => {
    const run = (announce: boolean) => {
      const jb = new JitterBuffer({ frameMs: 10, maxDrift: 0.0003 });
      const payload = new Uint8Array([0xf8, 1, 2]);
      for (let k = 0; k < 600; k++) {
        const later = k >= 300 ? 3 : 0;
        if (k === 300 && announce) jb.senderMoved(3);
        jb.push(k, (k * 480) >>> 0, payload, 5 + 10 * k + later);
        jb.pop(10 + 10 * k + 7);
      }
      return jb.toJSON();
    };
    const told = run(true);
    const untold = run(false);
    expect(told.latenessP99Ms).toBeLessThanOrEqual(0.25);
    expect(untold.latenessP99Ms).toBeGreaterThanOrEqual(3);
    expect(told.played).toBeGreaterThan(590);
  });
});

describe("forwarded down path: loss protection of forwarded streams", () => {
  it("a hub re-protects what it forwards for the child's link: frames lost there come back from the copies", () => {
    const backend = loadCodecBackend();
    const enc = backend.createEncoder({ frameMs: 10 });
    const pcm = new Float32Array(480);
    const opus = new Uint8Array(1275);
    const protect = new ForwardProtect();
    const streams = new DownStreams(backend, 10, {});
    const plainStreams = new DownStreams(backend, 10, {});
    for (let k = 0; k < 400; k++) {
      for (let i = 0; i < 480; i++) pcm[i] = 0.1 * Math.sin((2 * Math.PI * 440 * (k * 480 + i)) / 48_000);
      const n = enc.encode(pcm, opus);
      const pkt = new Uint8Array(DOWN_HEADER_BYTES + n);
      writeDownHeader(pkt, 42, k & 0xffff, (k * 480) >>> 0, Number.NaN, Number.NaN, 0);
      pkt.set(opus.subarray(0, n), DOWN_HEADER_BYTES);
      const m = protect.protect(pkt, pkt.length, 1);
      const sent = m > 0 ? protect.out.slice(0, m) : pkt;
      // Every 7th packet is lost on the child's link.
      if (k % 7 !== 3) {
        streams.push(sent, 10 * k + 2, true);
        plainStreams.push(pkt, 10 * k + 2, true);
      }
      streams.decodeNext(pcm, 10 * k + 25);
      plainStreams.decodeNext(pcm, 10 * k + 25);
    }
    const c = streams.primaryOrFirst()!.jb.counters;
    const p = plainStreams.primaryOrFirst()!.jb.counters;
    expect(c.redundant).toBeGreaterThan(50);
    expect(c.concealed + c.fecRecovered).toBeLessThanOrEqual(5); // of 57 lost: the copies ride one packet behind, a few come too late
    expect(p.concealed + p.fecRecovered).toBeGreaterThan(50);
    enc.destroy();
    streams.destroy();
    plainStreams.destroy();
  });
});

describe("forwarded down path: the aligner and a jump of the parent's target", () => {
  it("half a frame or more missing is the parent's buffer's to insert: the ticks stay", () => {
    const a = new TickAligner(10, 4);
    const feed = (t0: number, slack: number) => {
      let move = 0;
      for (let k = 0; k < 4; k++) move = a.observe(7.7 + 10 * k, t0 + 10 * k + 0.5, 0.5, slack, 0.3);
      return move;
    };
    feed(0, Number.NaN);
    expect(feed(1000, -9)).toBe(0);
    expect(feed(2000, -4)).toBeCloseTo(-4.5, 9);
  });
});
