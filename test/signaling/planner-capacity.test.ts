import { describe, expect, it } from "vitest";
import {
  PlannerError,
  TreePlanner,
  bfsFillBaseline,
} from "@choirmesh/signaling/planner";
import { checkTree, randomNodes, node, parentMoves } from "./planner-helpers.js";

describe("no root, no capacity", () => {
  it("a non-hub first joiner waits; the first hub becomes root and adopts it", () => {
    const p = new TreePlanner();
    expect(p.addNode(node("a", 0))).toEqual([{ node: "a", parent: null, backup: null, reason: "join", waiting: true }]);
    expect(p.addNode(node("b", 0))[0]).toMatchObject({ node: "b", parent: null, waiting: true });
    expect(p.snapshot()).toMatchObject({ root: null, waiting: ["a", "b"] });
    expect(p.snapshot().nodes.map((v) => v.depth)).toEqual([-1, -1]);
    const moves = p.addNode(node("h", 4));
    expect(moves[0]).toMatchObject({ node: "h", parent: null, reason: "join" });
    expect(moves[0].waiting).toBeUndefined();
    expect(moves.filter((m) => m.node === "a" || m.node === "b").map((m) => [m.node, m.parent, m.reason])).toEqual([
      ["a", "h", "join"],
      ["b", "h", "join"],
    ]);
    expect(p.snapshot().waiting).toEqual([]);
    expect(checkTree(p.snapshot())).toEqual([]);
  });

  it("with every slot taken a non-hub waits; a hub that joins later makes room", () => {
    const p = new TreePlanner();
    p.addNode(node("r", 1));
    p.addNode(node("a", 0));
    expect(p.parentOf("a")).toBe("r");
    expect(p.addNode(node("b", 0))[0]).toMatchObject({ node: "b", parent: null, backup: null, waiting: true });
    expect(p.isWaiting("b")).toBe(true);
    expect(p.snapshot().waiting).toEqual(["b"]);
    expect(p.pairDelayMs("a", "b")).toBe(Infinity);
    const moves = p.addNode(node("h", 2));
    // h (two slots) takes the non-hub a's place under r and adopts it; b goes under h.
    expect(moves[0]).toMatchObject({ node: "h", parent: "r", reason: "join" });
    expect(p.parentOf("a")).toBe("h");
    expect(p.parentOf("b")).toBe("h");
    expect(parentMoves(moves).map((m) => m.node).sort()).toEqual(["a", "b", "h"]);
    expect(checkTree(p.snapshot())).toEqual([]);
    p.removeNode("b");
    expect(checkTree(p.snapshot())).toEqual([]);
  });

  it("a much stronger hub that joins early takes over a weak root with few children", () => {
    const p = new TreePlanner();
    p.addNode(node("r", 1));
    p.addNode(node("a", 0));
    const moves = p.addNode(node("h", 8));
    expect(p.rootId).toBe("h");
    expect(p.parentOf("r")).toBe("h");
    expect(p.parentOf("a")).toBe("h");
    expect(parentMoves(moves).map((m) => m.node)).toEqual(["h", "a", "r"]);
    expect(checkTree(p.snapshot())).toEqual([]);
  });

  it("removing a waiting node or an unknown id changes nothing else", () => {
    const p = new TreePlanner();
    p.addNode(node("a", 0));
    expect(p.removeNode("a")).toEqual([]);
    expect(p.removeNode("nobody")).toEqual([]);
    expect(p.size).toBe(0);
    expect(p.snapshot()).toEqual({ root: null, nodes: [], waiting: [] });
  });

  it("rejects duplicate and empty ids with coded errors", () => {
    const p = new TreePlanner();
    p.addNode(node("a", 2));
    expect(() => p.addNode(node("a", 2))).toThrowError(PlannerError);
    try {
      p.addNode(node("a", 2));
    } catch (e) {
      expect((e as PlannerError).code).toBe("duplicate-node");
    }
    expect(() => p.addNode(node("", 2))).toThrow(/non-empty/);
    expect(p.size).toBe(1);
  });
});

describe("placement quality", () => {
  it("keeps sections together: siblings share a section far more often than in a breadth-first fill", () => {
    // One city: geography is neutral, so only the section affinity can group singers.
    const infos = randomNodes(600, 61, { box: [50.1, 50.1, 8.7, 8.7], minCap: 6, maxCap: 6, hubShare: 0.6 });
    const p = new TreePlanner();
    for (const n of infos) p.addNode(n);
    const purity = (nodes: { id: string; parent: string | null; section: string }[]) => {
      const byParent = new Map<string, string[]>();
      for (const v of nodes) if (v.parent) (byParent.get(v.parent) ?? byParent.set(v.parent, []).get(v.parent)!).push(v.section);
      let same = 0;
      let all = 0;
      for (const secs of byParent.values())
        for (let i = 0; i < secs.length; i++)
          for (let j = i + 1; j < secs.length; j++) {
            all++;
            if (secs[i] === secs[j]) same++;
          }
      return same / all;
    };
    const ours = purity(p.snapshot().nodes);
    const base = purity(bfsFillBaseline(infos).nodes);
    expect(base).toBeLessThan(0.35); // four sections at random: about 1 in 4
    expect(ours).toBeGreaterThan(0.6);
    expect(ours).toBeGreaterThan(2 * base);
  });

  it("keeps nearby singers under common hubs: shorter links and lower pair delay than breadth-first fill", () => {
    const infos = randomNodes(3000, 71);
    const p = new TreePlanner();
    for (const n of infos) p.addNode(n);
    const base = bfsFillBaseline(infos);
    const meanLink = (nodes: { id: string; parent: string | null }[]) => {
      let s = 0;
      let k = 0;
      for (const v of nodes) if (v.parent) (s += p.estimateLinkMs(v.id, v.parent)), k++;
      return s / k;
    };
    expect(meanLink(p.snapshot().nodes)).toBeLessThan(0.6 * meanLink(base.nodes));
  });

  it("puts a dedicated hub that joins first at the root with its large cap", () => {
    const p = new TreePlanner();
    p.addNode({ id: "dc", section: "", canHub: true, uploadKbps: 1e6, hasVoice: false, dedicated: true, location: { lat: 50.1, lon: 8.7 } });
    for (const n of randomNodes(200, 81)) p.addNode(n);
    expect(p.rootId).toBe("dc");
    expect(p.childrenOf("dc").length).toBeGreaterThan(32);
    expect(p.estimateLinkMs("dc", p.childrenOf("dc")[0])).toBeLessThan(3.6 + 40);
  });
});

describe("rebalance", () => {
  it("is bounded by maxMoves and keeps the tree sound", () => {
    const p = new TreePlanner();
    for (const n of randomNodes(1000, 91)) p.addNode(n);
    expect(parentMoves(p.rebalance(0))).toEqual([]);
    const moves = parentMoves(p.rebalance(5));
    expect(moves.length).toBeLessThanOrEqual(5);
    expect(moves.length).toBeGreaterThan(0);
    expect(checkTree(p.snapshot())).toEqual([]);
    expect(p.backupCoverage()).toBe(1);
  });

  it("lets a strong hub replace a weak root", () => {
    const p = new TreePlanner();
    const at = (lon: number) => ({ location: { lat: 48, lon } });
    p.addNode(node("weak", 5, at(2)));
    for (let i = 0; i < 5; i++) p.addNode(node(`w${i}`, 2, at(2 + i)));
    for (let i = 0; i < 10; i++) p.addNode(node(`l${i}`, 0, at(2 + (i % 5))));
    p.addNode(node("strong", 30, at(3)));
    expect(p.rootId).toBe("weak"); // too many children to take over during a join
    const moves = parentMoves(p.rebalance(10));
    expect(moves.length).toBeLessThanOrEqual(10);
    expect(p.rootId).toBe("strong");
    expect(p.parentOf("weak")).toBe("strong");
    for (let i = 0; i < 5; i++) expect(p.parentOf(`w${i}`)).toBe("strong");
    expect(checkTree(p.snapshot())).toEqual([]);
  });
});

describe("latency reports", () => {
  it("ignores garbage RTTs", () => {
    const p = new TreePlanner();
    p.addNode(node("a", 2, { location: { lat: 48, lon: 2 } }));
    p.addNode(node("b", 0, { location: { lat: 52, lon: 13 } }));
    const before = p.estimateLinkMs("a", "b");
    for (const bad of [NaN, -1, 0, Infinity, 1e9]) p.reportRtt("a", "b", bad);
    p.reportRtt("a", "a", 10);
    p.reportRtt("a", "ghost", 10);
    for (let i = 0; i < 10; i++) p.reportRtt("a", "b", NaN);
    expect(p.estimateLinkMs("a", "b")).toBe(before);
    expect(() => p.estimateLinkMs("a", "ghost")).toThrow(PlannerError);
  });

  it("switches from the geographic estimate to network coordinates once they have samples", () => {
    const p = new TreePlanner();
    // Three nodes in Paris by their hints, but the network says a-b is 80 ms round trip.
    const loc = { lat: 48.85, lon: 2.35 };
    p.addNode(node("a", 4, { location: loc }));
    p.addNode(node("b", 4, { location: loc }));
    p.addNode(node("c", 4, { location: loc }));
    expect(p.estimateLinkMs("a", "b")).toBeCloseTo(6, 6);
    for (let i = 0; i < 200; i++) {
      p.reportRtt("a", "b", 80);
      p.reportRtt("b", "c", 80);
      p.reportRtt("a", "c", 80);
    }
    expect(p.estimateLinkMs("a", "b")).toBeGreaterThan(36);
    expect(p.estimateLinkMs("a", "b")).toBeLessThan(44);
  });
});

describe("speed", () => {
  it("places 10,000 joins well within budget (a guard against quadratic work)", () => {
    const infos = randomNodes(10000, 101);
    const p = new TreePlanner();
    const t0 = performance.now();
    for (const n of infos) p.addNode(n);
    expect(performance.now() - t0).toBeLessThan(6000);
    expect(p.backupCoverage()).toBe(1);
  });
});
