import { describe, expect, it } from "vitest";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import { HubEngine } from "@choirmesh/mixer-node/hub-engine";
import { mulberry32 } from "../fixtures/signals.js";

/**
 * A parent engine and a child engine joined by an in-process wire that loses 10 % of packets
 * (seeded) both ways and delivers the rest 2 ms after they are sent; both tick every 10 ms.
 * Returns the child's jitter-buffer counters for the parent's stream over the last 20 s.
 */
function run(mode: "auto" | "off", seconds = 30, lossAt: (ms: number) => number = () => 0.1, delayAt: (ms: number) => number = () => 2) {
  const backend = loadCodecBackend();
  const rnd = mulberry32(77);
  const queue: { at: number; to: "parent" | "child"; seq: number; ts: number; bytes: Uint8Array }[] = [];
  let now = 0;
  const parent: HubEngine = new HubEngine({
    backend, maxChildren: 2, frameMs: 10, redundancy: mode,
    onPacket: (_t, bytes, len, seq, ts) => {
      if (rnd() >= lossAt(now)) queue.push({ at: now + delayAt(now), to: "child", seq, ts, bytes: bytes.slice(0, len) });
    },
  });
  const child: HubEngine = new HubEngine({
    backend, maxChildren: 2, frameMs: 10, redundancy: mode,
    onPacket: (_t, bytes, len, seq, ts) => {
      if (rnd() >= lossAt(now)) queue.push({ at: now + delayAt(now), to: "parent", seq, ts, bytes: bytes.slice(0, len) });
    },
  });
  parent.attachChild(0);
  child.attachParent();
  let mark: Record<string, number> | null = null;
  for (let k = 0; k < seconds * 100; k++) {
    for (let i = 0; i < 480; i++) {
      parent.voiceIn[i] = 0.1 * Math.sin((2 * Math.PI * 330 * (k * 480 + i)) / 48_000);
      child.voiceIn[i] = 0.1 * Math.sin((2 * Math.PI * 550 * (k * 480 + i)) / 48_000);
    }
    now = k * 10;
    parent.tick(now);
    child.tick(now);
    // Deliver what is due before the next tick.
    for (let q = 0; q < queue.length; ) {
      const p = queue[q];
      if (p.at <= now + 9) {
        if (p.to === "child") child.receive("parent", p.seq, p.ts, p.bytes, p.at);
        else parent.receive(0, p.seq, p.ts, p.bytes, p.at);
        queue.splice(q, 1);
      } else q++;
    }
    if (k % 100 === 99) {
      parent.adaptRedundancy(now);
      child.adaptRedundancy(now);
    }
    if (k === 1000) mark = { ...child.toJSON().parent!.jitter };
  }
  const end = child.toJSON().parent!;
  const d = (key: "played" | "concealed" | "inserted" | "fecRecovered" | "redundant") => end.jitter[key] - (mark?.[key] ?? 0);
  const frames = d("played") + d("concealed") - d("inserted") + d("fecRecovered");
  const r = { concealed: (d("concealed") - d("inserted") + d("fecRecovered")) / frames, redundant: d("redundant") / frames, on: parent.redundancyOf(0), childOn: child.redundancyOf("parent") };
  parent.destroy();
  child.destroy();
  return r;
}

describe("redundancy between two engines over a 10 % lossy wire", () => {
  it("auto: both ends turn it on and rebuild the lost frames instead of concealing them", () => {
    const off = run("off");
    const auto = run("auto");
    expect(off.on).toBe(0);
    expect(off.concealed).toBeGreaterThan(0.07); // ~10 % lost, all concealed
    expect(auto.on).toBe(2); // 10 % loss: two earlier frames ride along
    expect(auto.childOn).toBe(2);
    expect(auto.redundant).toBeGreaterThan(0.08); // the lost frames come back from later packets
    expect(auto.concealed).toBeLessThan(0.005); // only three losses in a row are concealed (~0.1 %)
  });

  it("takes one frame or two at 3 % (a window of 100 frames may look heavy), none once the link is clean for 10 s", () => {
    const moderate = run("auto", 20, () => 0.03);
    expect(moderate.on).toBeGreaterThanOrEqual(1);
    expect(moderate.concealed).toBeLessThan(0.005);
    expect(run("auto", 45, (ms) => (ms < 15_000 ? 0.1 : 0)).on).toBe(0); // two steps of 10 s each, once the average has fallen
    expect(run("auto", 20, (ms) => (ms < 15_000 ? 0.1 : 0)).on).toBe(2); // 5 s clean: not yet
  });

  it("stays off on a clean link that stalls: underruns are not loss", () => {
    // Every packet sent in [5.0, 5.3) s arrives at 5.3 s; the jitter buffer runs dry meanwhile.
    const stalled = run("auto", 8, () => 0, (ms) => (ms >= 5000 && ms < 5300 ? 5302 - ms : 2));
    expect(stalled.on).toBe(0);
    expect(stalled.childOn).toBe(0);
  });
});
