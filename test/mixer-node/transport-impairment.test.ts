import { describe, expect, it } from "vitest";
import { median } from "@choirmesh/common/quantiles";
import { PeerLink } from "@choirmesh/mixer-node/transport/peer-link";
import { pair, sleep, makePayload, record, stream, waitForState } from "./transport.fixtures.js";

describe("PeerLink over werift on loopback: impairment, repair and close", () => {
  it("shows ~10% missing with 10% random send loss, and receive delay as latency", async () => {
    const { offerer: a, answerer: b } = await pair({
      offerer: { impairment: { send: { loss: 0.1, seed: 4 } } },
      answerer: { impairment: { receive: { delayMs: 40 } } },
    });
    const atB = record(b);
    await stream(a, 600, 1);
    await sleep(150);
    const dropped = a.getStats().impairment.send!.dropped.loss;
    expect(atB.length).toBe(600 - dropped);
    const missingShare = dropped / 600;
    console.log(`10% loss: ${dropped} of 600 missing (${(missingShare * 100).toFixed(1)}%)`);
    expect(missingShare).toBeGreaterThan(0.06);
    expect(missingShare).toBeLessThan(0.14);
    // A drop consumes its sequence number, as a real loss does.
    const seqSpan = ((atB[atB.length - 1].seq - atB[0].seq) & 0xffff) + 1;
    expect(seqSpan - atB.length).toBe(atB[atB.length - 1].i - atB[0].i + 1 - atB.length);
    expect(atB.every((g) => g.intact)).toBe(true);
    const lat = atB.map((g) => g.latencyMs);
    expect(Math.min(...lat)).toBeGreaterThanOrEqual(40);
    expect(median(lat)).toBeLessThan(60);
  });

  it("a 300 ms cut shows as a 300 ms gap in arrivals", async () => {
    const { offerer: a, answerer: b } = await pair();
    const atB = record(b);
    const sentAt: number[] = [];
    let cutAt = 0;
    setTimeout(() => {
      cutAt = performance.now();
      a.cut(300);
    }, 300);
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      const wait = t0 + i * 10 - performance.now();
      if (wait > 1) await sleep(wait);
      sentAt.push(performance.now());
      a.sendOpus(makePayload(i), 480);
    }
    await sleep(50);
    const cutDrops = a.getStats().impairment.send!.dropped.cut;
    let gap = 0;
    for (let k = 1; k < atB.length; k++) gap = Math.max(gap, atB[k].arrivalMs - atB[k - 1].arrivalMs);
    console.log(`300 ms cut: ${cutDrops} packets dropped, largest arrival gap ${gap.toFixed(1)} ms`);
    expect(atB.length).toBe(100 - cutDrops);
    // Exactly the packets sent inside the window are missing (those within
    // 0.1 ms of an edge are left out: their fate depends on microseconds).
    const got = new Set(atB.map((g) => g.i));
    for (let i = 0; i < 100; i++) {
      const t = sentAt[i];
      if (Math.abs(t - cutAt) < 0.1 || Math.abs(t - cutAt - 300) < 0.1) continue;
      expect([i, got.has(i)]).toEqual([i, !(t >= cutAt && t < cutAt + 300)]);
    }
    expect(cutDrops).toBeGreaterThanOrEqual(28);
    expect(cutDrops).toBeLessThanOrEqual(31);
    // The gap is the cut plus up to one frame, with timer slack on busy cores.
    expect(gap).toBeGreaterThan(295);
    expect(gap).toBeLessThan(350);
  });

  it("repairs in place with an ICE restart from either side", async () => {
    const { offerer: a, answerer: b } = await pair();
    const atB = record(b);
    const states: string[] = [];
    a.on("state", (s) => states.push(`a:${s}`));
    b.on("state", (s) => states.push(`b:${s}`));
    const streaming = stream(a, 200, 5);
    await sleep(200);
    expect(a.restartIce()).toBe(true);
    await sleep(300);
    expect(b.restartIce()).toBe(true); // asks the offerer through a "restart" signal
    await streaming;
    await sleep(50);
    let gap = 0;
    for (let k = 1; k < atB.length; k++) gap = Math.max(gap, atB[k].arrivalMs - atB[k - 1].arrivalMs);
    const missing = 200 - atB.length;
    console.log(`ICE restart x2: ${missing} of 200 packets missing, largest gap ${gap.toFixed(1)} ms`);
    // Media flows after both restarts: the last packets arrived.
    expect(atB[atB.length - 1].i).toBe(199);
    // The offerer ran both restarts; the answerer asked for one.
    expect(a.getStats().iceRestarts).toBe(2);
    expect(b.getStats().iceRestarts).toBe(1);
    // werift keeps connectionState "connected" through a restart.
    expect(states).toEqual([]);
    expect(gap).toBeLessThan(500);
  });

  it("comes back to connected, with media, when an ICE restart repairs a failed link", async () => {
    const { offerer: a, answerer: b } = await pair();
    // Consent expiry takes werift 30 s: force its failure report instead.
    const failWerift = (l: PeerLink) =>
      (l as unknown as { pc: { secureManager: { setConnectionState(s: string): void } } }).pc.secureManager.setConnectionState(
        "failed",
      );
    failWerift(a);
    failWerift(b);
    expect([a.state, b.state]).toEqual(["failed", "failed"]);
    expect(a.sendOpus(makePayload(0), 480)).toBe(false);
    const back = Promise.all([waitForState(a, "connected", 3000), waitForState(b, "connected", 3000)]);
    const atB = record(b);
    const t0 = performance.now();
    a.restartIce();
    await back;
    const stateMs = performance.now() - t0;
    // werift reports "connected" as soon as the descriptions are applied; media
    // resumes once the new pair is nominated.
    await stream(a, 60, 5);
    await sleep(50);
    const firstMs = atB.length > 0 ? atB[0].arrivalMs - t0 : NaN;
    console.log(`failed -> "connected" after ${stateMs.toFixed(0)} ms, first packet after ${firstMs.toFixed(0)} ms`);
    expect(atB.length).toBeGreaterThan(30);
    const tail = atB.slice(-30).map((g) => g.i);
    expect(tail).toEqual(Array.from({ length: 30 }, (_, i) => 30 + i));
    expect(firstMs).toBeLessThan(300);
  });

  it("tells the peer when one side closes, and close is idempotent", async () => {
    const { offerer: a, answerer: b } = await pair();
    const t0 = performance.now();
    const seen = waitForState(b, "closed", 2000);
    const c1 = a.close();
    expect(a.close()).toBe(c1);
    await c1;
    const ms = (await seen) + 0;
    console.log(`peer saw the close after ${(performance.now() - t0).toFixed(1)} ms (via the bye signal)`);
    expect(b.getStats().closedBy).toBe("remote");
    expect(a.getStats().closedBy).toBe("local");
    expect(ms).toBeLessThan(500);
    expect(a.sendOpus(new Uint8Array(10), 480)).toBe(false);
    expect(() => a.handleSignal({ kind: "offer", sdp: "v=0" })).not.toThrow();
    expect(a.getStats().errors).toBe(0);
  });
});
