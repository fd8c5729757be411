import { describe, expect, it } from "vitest";
import { checkRunFile, emulateLoopback, loopbackLink, type LoopbackRunFile } from "@choirmesh/sim/emulate/loopback";
import { modelPairDelays } from "@choirmesh/signaling/planner/loopback-model";
import { MEASURED_ENGINE_TIMING } from "@choirmesh/signaling/planner/engine-timing";

/** A demo-like file: a chain root -> a -> {b, c}, every node a singer, live delays as given. */
function chainFile(liveMs: number): LoopbackRunFile {
  const nodes = [
    { id: "r", parent: null, depth: 0, hasVoice: true, voice: 0 },
    { id: "a", parent: "r", depth: 1, hasVoice: true, voice: 1 },
    { id: "b", parent: "a", depth: 2, hasVoice: true, voice: 2 },
    { id: "c", parent: "a", depth: 2, hasVoice: true, voice: 3 },
  ];
  const pairs = nodes.flatMap((x) => nodes.filter((y) => y !== x).map((y) => ({ from: x.id, to: y.id, heard: true, delayMs: liveMs })));
  return { frameMs: 10, downPath: "forward", tree: { nodes, pairs, latenessP99Ms: 3 }, star: null };
}

describe("the live demo's trees in virtual time", () => {
  it("checks a tree file field by field", () => {
    const good = chainFile(15);
    expect(checkRunFile(JSON.parse(JSON.stringify(good)), "f").tree.nodes).toHaveLength(4);
    const bad = (mut: (f: any) => void) => {
      const f = JSON.parse(JSON.stringify(good));
      mut(f);
      return () => checkRunFile(f, "f");
    };
    expect(bad((f) => (f.frameMs = 7))).toThrow(/bad frameMs/);
    expect(bad((f) => (f.downPath = "up"))).toThrow(/bad downPath/);
    expect(bad((f) => (f.tree.nodes[1].parent = "nobody"))).toThrow(/parent is not in the tree/);
    expect(bad((f) => (f.tree.nodes[1].parent = null))).toThrow(/one root/);
    expect(bad((f) => (f.tree.nodes[2].id = "a"))).toThrow(/unique id/);
    expect(bad((f) => (f.tree.nodes[2].voice = 99))).toThrow(/bad voice/);
    expect(bad((f) => (f.tree.pairs[0].from = "zz"))).toThrow(/malformed pair/);
    expect(bad((f) => (f.tree.latenessP99Ms = -1))).toThrow(/latenessP99Ms/);
    expect(bad((f) => (f.tree = null))).toThrow(/nodes and pairs/);
  });

  it("draws the links' jitter so that its 99th percentile is the live lateness", () => {
    // Exponential: p99 = mean x ln(100).
    expect(loopbackLink(4.6).jitterSdMs * Math.log(100)).toBeCloseTo(4.6, 6);
    expect(loopbackLink(0).jitterSdMs).toBeGreaterThan(0);
  });

  it("runs the tree through the engine: every pair heard, the median pair near the model's", () => {
    const model = modelPairDelays(chainFile(0).tree, 10, "forward");
    const m = MEASURED_ENGINE_TIMING.forward[10]!;
    // r hears b through a (one hub up): endpoints + one hop; b hears r through a (one level down).
    expect(model.delayMs("b", "r")).toBeCloseTo(m.endpointsMs + m.perHopMs, 6);
    expect(model.delayMs("r", "b")).toBeCloseTo(m.endpointsMs + m.downLevelMs, 6);
    // b hears c through a, a pair that meets below the root: a hop and the wait for the top stream.
    expect(model.delayMs("c", "b")).toBeCloseTo(m.endpointsMs + m.perHopMs + m.belowRootMs, 6);
    const r = emulateLoopback(chainFile(15), { seed: 1, warmupS: 2, recordS: 2 });
    const t = r.topologies.tree!;
    expect(t.liveHeard).toBe(12);
    expect(t.emulatedHeard).toBe(12);
    expect(t.modelP50Ms).toBeGreaterThan(0);
    // The engine in virtual time against the model: within a third (both are the same engine's
    // timing; a broken hop or a lost forwarded stream would be a frame and more off).
    expect(Math.abs(t.modelVsEmulatedPct), JSON.stringify(t)).toBeLessThan(33);
  });
});
