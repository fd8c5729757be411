import { describe, expect, it } from "vitest";
import { loadCodecBackend } from "../../mixer-node/src/codec/index.js";
import { HubEngine } from "../../mixer-node/src/hub-engine.js";
import { mulberry32 } from "../fixtures/signals.js";

/**
 * A parent engine and a child engine joined by an in-process wire that loses 10 % of packets
 * (seeded) both ways and delivers the rest 2 ms after they are sent; both tick every 10 ms.
 * Returns the child's jitter-buffer counters for the parent's stream over the last 20 s.
 */
function run(mode: "auto" | "off", seconds = 30) {
  const backend = loadCodecBackend();
  const rnd = mulberry32(77);
  const queue: { at: number; to: "parent" | "child"; seq: number; ts: number; bytes: Uint8Array }[] = [];
  let now = 0;
  const parent: HubEngine = new HubEngine({
    backend, maxChildren: 2, frameMs: 10, redundancy: mode,
    onPacket: (_t, bytes, len, seq, ts) => {
      if (rnd() >= 0.1) queue.push({ at: now + 2, to: "child", seq, ts, bytes: bytes.slice(0, len) });
    },
  });
  const child: HubEngine = new HubEngine({
    backend, maxChildren: 2, frameMs: 10, redundancy: mode,
    onPacket: (_t, bytes, len, seq, ts) => {
      if (rnd() >= 0.1) queue.push({ at: now + 2, to: "parent", seq, ts, bytes: bytes.slice(0, len) });
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
    if (k === 1000) mark = { ...(child.toJSON() as { parent: { jitter: Record<string, number> } }).parent.jitter };
  }
  const end = (child.toJSON() as { parent: { jitter: Record<string, number>; redundancy: boolean } }).parent;
  const d = (key: string) => end.jitter[key] - (mark?.[key] ?? 0);
  const frames = d("played") + d("concealed") - d("inserted") + d("fecRecovered");
  const r = { concealed: (d("concealed") - d("inserted") + d("fecRecovered")) / frames, redundant: d("redundant") / frames, on: parent.redundancyOn(0), childOn: child.redundancyOn("parent") };
  parent.destroy();
  child.destroy();
  return r;
}

describe("redundancy between two engines over a 10 % lossy wire", () => {
  it("auto: both ends turn it on and rebuild most lost frames instead of concealing them", () => {
    const off = run("off");
    const auto = run("auto");
    expect(off.on).toBe(false);
    expect(off.concealed).toBeGreaterThan(0.07); // ~10 % lost, all concealed
    expect(auto.on).toBe(true);
    expect(auto.childOn).toBe(true);
    expect(auto.redundant).toBeGreaterThan(0.07); // the lost frames come back from the next packet
    expect(auto.concealed).toBeLessThan(0.025); // only two losses in a row are concealed (~1 %)
  });
});
