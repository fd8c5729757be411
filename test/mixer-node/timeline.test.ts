import { describe, expect, it } from "vitest";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import { HubEngine } from "@choirmesh/mixer-node/hub-engine";
import { INCIDENT, TARGET_NODE, TARGET_PARENT, Timeline } from "@choirmesh/mixer-node/timeline";

describe("Timeline", () => {
  it("keeps the newest entries, oldest first, on the wall clock", () => {
    const tl = new Timeline(3);
    for (let i = 0; i < 5; i++) tl.add(INCIDENT.tickLate, TARGET_NODE, 1000 + i, 10 + i);
    tl.add(INCIDENT.link, TARGET_NODE, 2000, 2, "n7");
    const e = tl.entries();
    expect(tl.total).toBe(6);
    expect(e.map((x) => x.value)).toEqual([13, 14, 2]);
    expect(e[2]).toMatchObject({ kind: "link", target: "node", peer: "n7" });
    expect(e[0].atMs).toBeCloseTo(performance.timeOrigin + 1003, 0);
    expect(tl.entries(performance.timeOrigin + 1004).map((x) => x.value)).toEqual([14, 2]);
  });
});

describe("HubEngine timeline", () => {
  it("notes a run of lost frames on the parent's stream once, with its length", () => {
    const backend = loadCodecBackend();
    const tl = new Timeline(64);
    const engine = new HubEngine({ backend, maxChildren: 2, frameMs: 10, timeline: tl, jitter: { adaptive: false, initialDepthFrames: 1 } });
    engine.attachParent();
    const enc = backend.createEncoder({ frameMs: 10 });
    const pcm = new Float32Array(480);
    const pkt = new Uint8Array(1275);
    let t = 0;
    // Frames 0..29 sent except 10, 11, 12 (lost); one tick per frame, 10 ms apart.
    for (let f = 0; f < 30; f++) {
      for (let i = 0; i < 480; i++) pcm[i] = 0.1 * Math.sin((2 * Math.PI * 440 * (f * 480 + i)) / 48_000);
      const len = enc.encode(pcm, pkt);
      if (f < 10 || f > 12) engine.receive("parent", f, f * 480, pkt.slice(0, len), t);
      engine.tick(t + 10);
      t += 10;
    }
    const runs = tl.entries().filter((e) => e.kind === "conceal");
    expect(runs).toHaveLength(1);
    expect(runs[0].target).toBe("parent");
    expect(runs[0].value).toBe(3);
    expect(TARGET_PARENT).toBe(-1);
    engine.destroy();
  });
});
