import { describe, expect, it } from "vitest";
import { median } from "@choirmesh/common/quantiles";
import dns from "node:dns";
import { isIP } from "node:net";
import { nativeRtp } from "@choirmesh/mixer-node/transport/native-rtp";
import { PeerLink } from "@choirmesh/mixer-node/transport/peer-link";
import type { TransportError } from "@choirmesh/mixer-node/transport/errors";
import { pair, sleep, pct, makePayload, record, stream } from "./transport.fixtures.js";

describe("PeerLink over werift on loopback", () => {
  it("connects in well under a second, trickle or not, and never looks up werift's public STUN server", async () => {
    // Make name lookups hang, as they did here: a link that still fell back to
    // werift's hard-coded STUN host would stall 5 s and show up in `names`.
    // (werift resolves through dns.promises; the callback API is covered too.)
    const names: string[] = [];
    const realLookup = dns.lookup;
    const realPromiseLookup = dns.promises.lookup;
    (dns as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => {
      if (isIP(host)) return (realLookup as (...a: unknown[]) => void)(host, ...rest);
      names.push(host);
    };
    (dns.promises as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => {
      if (isIP(host)) return (realPromiseLookup as (...a: unknown[]) => unknown)(host, ...rest);
      names.push(host);
      return new Promise(() => {});
    };
    try {
      await setupTimes();
    } finally {
      (dns as { lookup: unknown }).lookup = realLookup;
      (dns.promises as { lookup: unknown }).lookup = realPromiseLookup;
    }
    expect(names).toEqual([]);
  });

  async function setupTimes(): Promise<void> {
    const trickle: number[] = [];
    for (let k = 0; k < 5; k++) {
      const p = await pair({ offerer: { trickle: true }, answerer: { trickle: true }, timeoutMs: 2000 });
      trickle.push(p.setupMs);
      expect(p.offerer.getStats().setupMs).not.toBeNull();
      await p.close();
    }
    const full: number[] = [];
    for (let k = 0; k < 3; k++) {
      const p = await pair({ timeoutMs: 2000 }); // the default: no trickle without ICE servers
      full.push(p.setupMs);
      await p.close();
    }
    console.log(
      `setup ms: trickle median ${median(trickle).toFixed(0)} [${trickle.map((t) => t.toFixed(0))}], ` +
        `non-trickle median ${median(full).toFixed(0)} [${full.map((t) => t.toFixed(0))}]`,
    );
    // The STUN fallback stalls setup by 5 s; a healthy setup is ~150 ms here.
    for (const t of [...trickle, ...full]) expect(t).toBeLessThan(2000);
  }

  it("carries 500 packets each way complete, in order and intact, and measures RTT", async () => {
    const { offerer: a, answerer: b } = await pair();
    const atB = record(b);
    const atA = record(a);
    const [sentAB, sentBA] = await Promise.all([stream(a, 500, 2), stream(b, 500, 2)]);
    expect([sentAB, sentBA]).toEqual([500, 500]);
    await sleep(100);
    for (const got of [atB, atA]) {
      expect(got.length).toBe(500);
      expect(got.map((g) => g.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
      expect(got.every((g) => g.intact)).toBe(true);
      for (let k = 1; k < got.length; k++) {
        expect((got[k].seq - got[k - 1].seq) & 0xffff).toBe(1);
        expect((got[k].ts - got[k - 1].ts) >>> 0).toBe(480);
      }
    }
    const lat = [...atB, ...atA].map((g) => g.latencyMs);
    console.log(`one-way loopback latency ms: p50 ${median(lat).toFixed(2)} p95 ${pct(lat, 0.95).toFixed(2)} max ${Math.max(...lat).toFixed(2)}`);
    expect(median(lat)).toBeLessThan(20);

    // Skipped samples (DTX, silence) show as a timestamp jump on the next packet.
    const before = atB.length;
    a.skipSamples(960);
    a.sendOpus(makePayload(500), 480);
    await sleep(50);
    expect(atB.length).toBe(before + 1);
    expect((atB[before].ts - atB[before - 1].ts) >>> 0).toBe(480 + 960);
    // Frames a stalled clock skipped are numbered as lost: sequence numbers and samples used up.
    a.skipFrames(3, 480);
    a.sendOpus(makePayload(501), 480);
    await sleep(50);
    expect(atB.length).toBe(before + 2);
    expect((atB[before + 1].seq - atB[before].seq) & 0xffff).toBe(4);
    expect((atB[before + 1].ts - atB[before].ts) >>> 0).toBe(4 * 480);

    const sa = a.getStats();
    // The media went over the direct path, natively where the RTP binding is built.
    expect(sa.direct?.native).toBe(nativeRtp() !== null);
    expect(sa.direct?.sent).toBe(502);
    expect(b.getStats().direct?.received).toBe(501); // werift took the stream's first packet
    expect(sa.packetsSent).toBe(502);
    expect(sa.packetsReceived).toBe(500);
    expect(b.getStats().packetsReceived).toBe(502);

    // RTT needs a sender report and a receiver report that answers it (0.5-1.5 s cadence each).
    const t0 = performance.now();
    while (a.getStats().rttMs === null && performance.now() - t0 < 6000) {
      a.sendOpus(makePayload(0), 480);
      await sleep(20);
    }
    const rtt = a.getStats().rttMs;
    console.log(`RTCP RTT ms: ${rtt?.toFixed(2)} after ${(performance.now() - t0).toFixed(0)} ms more`);
    expect(rtt).not.toBeNull();
    expect(rtt!).toBeLessThan(100);
  });

  it.skipIf(!nativeRtp())("on the tick: packets wait in the socket until drain(), then arrive intact with the kernel's arrival time, and RTT stays true", async () => {
    const { offerer: a, answerer: b } = await pair({ offerer: { receiveOnTick: true }, answerer: { receiveOnTick: true } });
    const atA = record(a);
    const atB = record(b);
    // Both ends send (that is what moves a link onto the direct path) and drain every 10 ms.
    const drains = setInterval(() => {
      a.drain();
      b.drain();
    }, 10);
    try {
      // A first stream moves both ends onto the direct path and lets the kernel turn its receive
      // timestamps on (Linux does that from a work queue, a little after the first socket asks;
      // until then a datagram is stamped when it is read).
      await Promise.all([stream(a, 50, 2), stream(b, 50, 2)]);
      await sleep(60);
      atA.length = 0;
      atB.length = 0;
      const [sentAB] = await Promise.all([stream(a, 300, 2), stream(b, 300, 2)]);
      expect(sentAB).toBe(300);
      await sleep(60);
      expect(atB.length).toBe(300);
      expect(atB.map((g) => g.i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(atB.every((g) => g.intact)).toBe(true);
      expect(b.getStats().direct?.received).toBe(349); // werift took the first stream's first packet
      // Read up to 10 ms after they came, but stamped when they came: most well under a millisecond.
      const lat = atB.map((g) => g.latencyMs);
      console.log(`drained every 10 ms: one-way latency as stamped p50 ${median(lat).toFixed(2)} p95 ${pct(lat, 0.95).toFixed(2)} ms`);
      expect(median(lat)).toBeLessThan(2.5);
      const readLate = atB.map((g) => g.arrivalMs);
      expect(readLate.every((t, k) => k === 0 || t >= readLate[k - 1] - 0.001)).toBe(true);

      // Without drains nothing is read: the mode is real.
      clearInterval(drains);
      const before = atA.length;
      await stream(b, 20, 2);
      await sleep(50);
      expect(atA.length).toBe(before);
      a.drain();
      expect(atA.length).toBe(before + 20);

      // RTCP goes to werift at the drains; its round trip is corrected for the wait (loopback: ~0).
      const again = setInterval(() => {
        a.drain();
        b.drain();
      }, 10);
      try {
        const t0 = performance.now();
        while ((a.getStats().rttMs === null || b.getStats().rttMs === null) && performance.now() - t0 < 8000) {
          a.sendOpus(makePayload(0), 480);
          b.sendOpus(makePayload(0), 480);
          await sleep(20);
        }
      } finally {
        clearInterval(again);
      }
      const rtts = [a.getStats().rttMs, b.getStats().rttMs];
      console.log(`RTCP RTT with drains: ${rtts.map((r) => r?.toFixed(2)).join(", ")} ms`);
      for (const r of rtts) {
        expect(r).not.toBeNull();
        // werift's own figure on loopback is ~3 ms (its clock has 1 ms steps). Uncorrected, the
        // sender report and the receiver report would each wait 0-10 ms at a drain: ~10 ms more.
        expect(r!).toBeLessThan(7);
      }
    } finally {
      clearInterval(drains);
    }
  });

  it.skipIf(!nativeRtp())("a switch to reading on arrival made before the direct path is up holds once it is (a hub that forwards)", async () => {
    // A hub's first forwarding child can offer before the hub's own parent link has its direct
    // path: the switch must not be lost, or what comes from above waits up to a frame at this hub.
    const { offerer: a, answerer: b } = await pair({
      offerer: { receiveOnTick: true },
      answerer: { receiveOnTick: true },
      beforeStart: (_, answerer) => answerer.setReceiveOnTick(false),
    });
    const atB = record(b);
    const drains = setInterval(() => a.drain(), 10);
    try {
      await Promise.all([stream(a, 50, 2), stream(b, 50, 2)]);
      await sleep(60);
      expect(b.getStats().direct).not.toBeNull();
      atB.length = 0;
      // Nothing drains b: every packet must still arrive, as it comes.
      expect(await stream(a, 100, 2)).toBe(100);
      await sleep(60);
      expect(atB.length).toBe(100);
      expect(median(atB.map((g) => g.latencyMs))).toBeLessThan(2.5);
    } finally {
      clearInterval(drains);
    }
  });

  it("reports bad signals as errors without throwing, and the link carries on", async () => {
    const errors: TransportError[] = [];
    const lone = new PeerLink({ role: "answerer", loopbackOnly: true });
    lone.on("error", (e) => errors.push(e));
    const bad: unknown[] = [
      null,
      17,
      "offer",
      [],
      { kind: "nope" },
      { kind: "offer", sdp: 5 },
      { kind: "candidate", candidate: "x" },
    ];
    for (const s of bad) expect(() => lone.handleSignal(s)).not.toThrow();
    expect(errors.map((e) => e.code)).toEqual(Array(bad.length).fill("bad-signal"));
    // Looks like SDP, so werift parses it, and rejects it.
    lone.handleSignal({ kind: "offer", sdp: "v=0\r\nm=audio garbage\r\n" });
    lone.handleSignal({ kind: "answer", sdp: "v=0\r\nm=audio 9 x\r\n" });
    await sleep(100);
    // The misplaced answer is refused at once; werift's parse error comes back later.
    expect(errors.slice(bad.length).map((e) => e.code)).toEqual(["unexpected-signal", "negotiation-failed"]);
    await lone.close();

    const { offerer: a, answerer: b } = await pair();
    const linkErrors: string[] = [];
    a.on("error", (e) => linkErrors.push(`a:${e.code}`));
    b.on("error", (e) => linkErrors.push(`b:${e.code}`));
    b.handleSignal({ kind: "offer", sdp: "v=0\r\nm=audio garbage\r\n" });
    a.handleSignal({ kind: "answer", sdp: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" });
    a.handleSignal({ kind: "candidate", candidate: { candidate: "candidate:1 1 udp 1 10.0.0.1 99999999 typ host", sdpMid: "9" } });
    b.handleSignal({ kind: "restart" });
    await sleep(100);
    expect(linkErrors.sort()).toEqual(["a:negotiation-failed", "a:unexpected-signal", "b:negotiation-failed", "b:unexpected-signal"]);
    const atB = record(b);
    await stream(a, 20, 3);
    await sleep(50);
    expect(atB.length).toBe(20);
    expect([a.state, b.state]).toEqual(["connected", "connected"]);
  });

  it("keeps the packet path running when a listener throws", async () => {
    const { offerer: a, answerer: b } = await pair();
    const errors: TransportError[] = [];
    b.on("error", (e) => errors.push(e));
    b.onOpus(() => {
      throw new Error("listener bug");
    });
    const atB = record(b);
    b.on("error", () => {
      throw new Error("error listener bug too");
    });
    await stream(a, 50, 2);
    await sleep(50);
    expect(atB.length).toBe(50);
    // Reported once (rate-limited to one per second), counted every time.
    expect(errors.map((e) => e.code)).toEqual(["listener-threw"]);
    expect(b.getStats().listenerErrors).toBe(51);
  });
});
