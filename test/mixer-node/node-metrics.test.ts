/**
 * Per-input stats and metrics name the peer that is on each engine slot now. Regression: metrics
 * once labelled child slot N with the N-th child in the order children were added, but a freed
 * slot is handed out again first, so after a child left and another joined, the newcomer's
 * figures were shown under another peer's name.
 */
import { describe, expect, it } from "vitest";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import { HubEngine } from "@choirmesh/mixer-node/hub-engine";
import { ChildSlots } from "@choirmesh/mixer-node/runtime/child-slots";
import type { ChoirNodeStats } from "@choirmesh/mixer-node/runtime/choir-node";
import { createNodeMetrics } from "@choirmesh/mixer-node/runtime/metrics";
import { nodeInputs } from "@choirmesh/mixer-node/stats";

describe("per-input stats and metrics after slots were reused", () => {
  it("name each child slot after the peer on it, not after the order children came in", async () => {
    const engine = new HubEngine({ backend: loadCodecBackend(), maxChildren: 4, frameMs: 10, hasVoice: true, onPacket: () => {} });
    const slots = new ChildSlots<{ peer: string }>(4);
    const order: string[] = [];
    const add = (peer: string) => {
      const slot = slots.reserve()!;
      slots.assign(slot, { peer });
      engine.attachChild(slot);
      order.push(peer);
      return slot;
    };
    const remove = (peer: string, slot: number) => {
      slots.release(slot);
      engine.detachChild(slot);
      order.splice(order.indexOf(peer), 1);
    };
    const tick = (n: number) => {
      for (let i = 0; i < n; i++) engine.tick(i * 480);
    };

    const a = add("a");
    add("b");
    add("c");
    tick(5);
    remove("a", a);
    tick(3);
    const d = add("d");
    tick(2);
    expect(d).toBe(a); // the freed slot came back first ...
    expect(order).toEqual(["b", "c", "d"]); // ... so the n-th child added is not on slot n

    const engineStats = engine.toJSON();
    const inputs = nodeInputs(engineStats, null, (s) => slots.peerAt(s));
    expect(inputs.map((i) => [i.slot, i.peer])).toEqual([
      [0, "d"],
      [1, "b"],
      [2, "c"],
    ]);
    // d's own figures are on d: it was attached for the last 2 ticks, b and c for all 10.
    const framesOf = (peer: string) => {
      const p = inputs.find((i) => i.peer === peer)!.pops;
      return p.packet + p.fec + p.conceal + p.silence;
    };
    expect([framesOf("d"), framesOf("b"), framesOf("c")]).toEqual([2, 10, 10]);

    const stats: ChoirNodeStats = {
      id: "hub",
      name: "hub",
      parent: null,
      backup: null,
      children: order,
      frameMs: 10,
      backend: engineStats.backend,
      problems: { links: 0, signals: 0, server: 0, slots: 0 },
      clock: null,
      align: null,
      hear: null,
      engine: engineStats,
      inputs,
      links: [],
      standby: null,
      standbyFor: [],
      incoming: null,
      departing: [],
      slots: { b: 1, c: 2, d: 0 },
      monitors: {},
      healing: null,
      direct: null,
      timeline: { total: 0, entries: [] },
    };
    const text = await createNodeMetrics({ toJSON: () => stats }).metrics();
    const jitterLines = text.split("\n").filter((l) => l.startsWith("choirmesh_node_jitter_delay_ms{"));
    expect(jitterLines.map((l) => l.replace(/ \S+$/, "")).sort()).toEqual([
      'choirmesh_node_jitter_delay_ms{input="child0",peer="d"}',
      'choirmesh_node_jitter_delay_ms{input="child1",peer="b"}',
      'choirmesh_node_jitter_delay_ms{input="child2",peer="c"}',
    ]);
    engine.destroy();
  });
});
