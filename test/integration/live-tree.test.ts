/**
 * The live mixing tree end to end: a real signaling server, each singer a process of its own,
 * real WebRTC (werift) on loopback, real Opus. What every singer hears is analysed from the
 * audio itself (signature voices: mixer-node/src/signature.ts).
 */
import { describe, expect, it } from "vitest";
import { runChoir } from "@choirmesh/client/choir-run";
import type { ChoirNodeStats } from "@choirmesh/mixer-node/runtime/choir-node";

describe("live tree over real WebRTC", () => {
  it("9 singers in a tree of depth >= 2: everyone hears everyone else and not themselves; the root's mix holds every voice", async () => {
    // On the forwarded down path (the demo's): what a leaf hears comes as forwarded streams.
    // Own voice over 8 s: over 3 s the estimate's noise alone reads up to about -40 dB.
    const r = await runChoir({ singers: 9, fanout: 3, seconds: 3, ownVoiceSeconds: 8, frameMs: 10, topology: "tree", downPath: "forward" });
    expect(r.depth).toBeGreaterThanOrEqual(2);
    expect(r.tree.nodes).toHaveLength(9);
    const missing = r.pairs.filter((p) => !p.heard).map((p) => `${r.names.get(p.from)}->${r.names.get(p.to)} (corr ${p.correlation.toFixed(2)})`);
    expect(missing).toEqual([]);
    expect(r.heardAll).toBe(true);
    expect(r.selfLeakDb).toBeLessThan(-40);
    expect(r.rootMixHasAll).toBe(true);
    // Pairs through more hubs are later: each hub hop costs real time (a broken hop count or a
    // mixer that bypassed the tree would flatten this).
    expect(r.perHopMs).toBeGreaterThan(5);
    // A sanity bound with a wide margin for a loaded 2-core machine (the target, 25 ms a hop at
    // 10 ms frames, is measured by the demo and reported, not asserted here).
    expect(r.perHopMs).toBeLessThan(80);
    // Every node below the root hears in a phase of its own, after the stream from the root:
    // forwarded d - 1 times to a node at depth d (the hop count in each forwarded packet).
    const depthOf = new Map(r.tree.nodes.map((n) => [n.id, n.depth] as const));
    for (const { name, stats } of r.nodeStats as { name: string; stats: ChoirNodeStats }[]) {
      const d = depthOf.get(stats.id!)!;
      if (d === 0) continue;
      expect({ name, offsetOk: stats.hear !== null && stats.hear.offsetMs >= 0 && stats.hear.offsetMs < 10, topHops: stats.hear?.topHops }).toEqual({ name, offsetOk: true, topHops: d - 1 });
    }
    console.log(
      `live tree: depth ${r.depth}, delay p50 ${r.latencyMs.p50.toFixed(1)} ms, per hop ${r.perHopMs.toFixed(1)} ms, ` +
        `own voice ${r.selfLeakDb.toFixed(1)} dB, concealed ${(r.concealedShare * 100).toFixed(2)} %`,
    );
  }, 120_000);
});
