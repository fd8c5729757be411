import { describe, expect, it } from "vitest";
import {
  DEFAULT_PLANNER_OPTIONS,
  PlannerError,
  TreePlanner,
  bfsFillBaseline,
  childCap,
  hubDelayFromTiming,
  streamKbpsFor,
  treePairDelayMs,
  type Move,
  type PlannerNodeInfo,
  type TreeDelayView,
} from "@choirmesh/signaling/planner";
import { Rng } from "@choirmesh/sim/rng";
import { checkTree, coverage, randomNodes, uploadFor } from "./planner-helpers.js";

const node = (id: string, children: number, extra: Partial<PlannerNodeInfo> = {}): PlannerNodeInfo => ({
  id,
  section: "",
  canHub: children > 0,
  uploadKbps: children > 0 ? uploadFor(children) : 500,
  hasVoice: true,
  ...extra,
});
const parentMoves = (moves: Move[]) => moves.filter((m) => m.reason !== "backup");

describe("child cap and timing", () => {
  it("derives the cap from upload: one stream up plus one per child, clamped", () => {
    const o = DEFAULT_PLANNER_OPTIONS;
    expect(o.streamKbps).toBe(104);
    expect(childCap(node("a", 0, { canHub: true, uploadKbps: 1000 }), o)).toBe(8); // (1000-104)/104 = 8.6
    expect(childCap(node("a", 0, { canHub: true, uploadKbps: 208 }), o)).toBe(1);
    expect(childCap(node("a", 0, { canHub: true, uploadKbps: 207 }), o)).toBe(0);
    expect(childCap(node("a", 0, { canHub: true, uploadKbps: 20000 }), o)).toBe(32);
    expect(childCap(node("a", 0, { canHub: false, uploadKbps: 20000 }), o)).toBe(0);
    expect(childCap(node("a", 0, { canHub: true, uploadKbps: NaN }), o)).toBe(0);
    expect(childCap(node("a", 0, { canHub: true, dedicated: true, hasVoice: false, uploadKbps: 1e6 }), o)).toBe(256);
  });

  it("exposes the hub delay and stream formulas", () => {
    expect(hubDelayFromTiming()).toBe(18.5);
    expect(hubDelayFromTiming({ frameMs: 5 })).toBe(16);
    expect(DEFAULT_PLANNER_OPTIONS.hubDelayMs).toBe(18.5);
    expect(streamKbpsFor(64, 10)).toBe(104);
    expect(streamKbpsFor(64, 20)).toBe(84);
  });
});

describe("delay model", () => {
  // R root; A, B under R; C under A. Links: A-R 5, B-R 7, C-A 2. Hub 10.
  const parent: Record<string, string | null> = { R: null, A: "R", B: "R", C: "A" };
  const depth: Record<string, number> = { R: 0, A: 1, B: 1, C: 2 };
  const link: Record<string, number> = { A: 5, B: 7, C: 2 };
  const view: TreeDelayView<string> = {
    parent: (n) => parent[n],
    depth: (n) => depth[n],
    linkMs: (c) => link[c],
    hubMs: () => 10,
  };
  it("charges links and the hubs passed, not the endpoints", () => {
    expect(treePairDelayMs(view, "A", "B")).toBe(5 + 10 + 7); // meet at R
    expect(treePairDelayMs(view, "R", "A")).toBe(5); // parent hears its child directly
    expect(treePairDelayMs(view, "C", "R")).toBe(2 + 10 + 5); // through A
    expect(treePairDelayMs(view, "C", "B")).toBe(2 + 10 + 5 + 10 + 7); // A and R
    expect(treePairDelayMs(view, "B", "C")).toBe(treePairDelayMs(view, "C", "B"));
    expect(treePairDelayMs(view, "C", "C")).toBe(0);
  });

  it("planner pair delay uses its own link estimates", () => {
    const p = new TreePlanner();
    p.addNode(node("r", 4, { location: { lat: 48.85, lon: 2.35 } }));
    p.addNode(node("a", 0, { location: { lat: 51.51, lon: -0.13 } }));
    p.addNode(node("b", 0, { location: { lat: 52.52, lon: 13.4 } }));
    expect(p.parentOf("a")).toBe("r");
    expect(p.parentOf("b")).toBe("r");
    const expected = p.estimateLinkMs("a", "r") + 18.5 + p.estimateLinkMs("b", "r");
    expect(p.pairDelayMs("a", "b")).toBeCloseTo(expected, 9);
    expect(p.estimateLinkMs("a", "r")).toBeGreaterThan(6); // both access delays plus distance
  });
});

describe("tree invariants under joins and leaves", () => {
  it("keeps caps, connectivity, no cycles and valid backups through 600 joins and 300 leaves", () => {
    const rng = new Rng(7);
    const infos = randomNodes(900, 11, { minCap: 1, maxCap: 12, hubShare: 0.7 });
    const p = new TreePlanner();
    const live: string[] = [];
    let next = 0;
    for (let step = 0; step < 900; step++) {
      if (next < infos.length && (live.length < 50 || rng.next() < 0.67)) {
        p.addNode(infos[next]);
        live.push(infos[next++].id);
      } else {
        const i = rng.int(live.length);
        p.removeNode(live[i]);
        live.splice(i, 1);
      }
      if (step % 10 === 0 || step > 880) expect(checkTree(p.snapshot())).toEqual([]);
    }
    expect(p.size).toBe(live.length);
    const snap = p.snapshot();
    expect(snap.waiting).toEqual([]);
    expect(coverage(snap)).toBe(1);
  });

  it("gives every node a valid backup in a 2,000-singer Europe room", () => {
    const p = new TreePlanner();
    for (const n of randomNodes(2000, 3)) p.addNode(n);
    expect(checkTree(p.snapshot())).toEqual([]);
    expect(p.backupCoverage()).toBe(1);
  });

  it("is deterministic", () => {
    const build = () => {
      const p = new TreePlanner();
      const infos = randomNodes(300, 5);
      for (const n of infos) p.addNode(n);
      for (let i = 0; i < 300; i += 7) p.removeNode(infos[i].id);
      return JSON.stringify(p.snapshot());
    };
    expect(build()).toBe(build());
  });
});

describe("incremental changes", () => {
  it("a join moves the new node first and at most joinMoveBudget others (one more for a reviewed leaf, maxFanout + 2 more when a hub is relocated)", () => {
    const p = new TreePlanner();
    const infos = randomNodes(1500, 21);
    let maxOthers = 0;
    let bigJoins = 0;
    let reviewed = 0;
    const o = DEFAULT_PLANNER_OPTIONS;
    for (const n of infos) {
      const heads = p.toJSON().headRelocations as number;
      const reviews = p.toJSON().leafReviews as number;
      const before = new Map(p.snapshot().nodes.map((v) => [v.id, v.parent]));
      const moves = p.addNode(n);
      expect(moves[0].node).toBe(n.id);
      expect(moves[0].reason).toBe("join");
      const others = parentMoves(moves).filter((m) => m.node !== n.id);
      const review = (p.toJSON().leafReviews as number) - reviews;
      expect(review).toBeLessThanOrEqual(1);
      reviewed += review;
      const relocated = (p.toJSON().headRelocations as number) - heads;
      expect(relocated).toBeLessThanOrEqual(1);
      if (relocated === 1) {
        // A hub relocation (growth.ts) moves the hub's children and two nodes.
        expect(others.length).toBeLessThanOrEqual(o.joinMoveBudget + review + o.maxFanout + 2);
        bigJoins++;
      } else {
        expect(others.length).toBeLessThanOrEqual(o.joinMoveBudget + review);
        maxOthers = Math.max(maxOthers, others.length - review);
      }
      // Nobody else's parent changed without a move.
      const moved = new Set(others.map((m) => m.node));
      for (const v of p.snapshot().nodes) {
        if (v.id !== n.id && before.get(v.id) !== v.parent) expect(moved.has(v.id)).toBe(true);
      }
    }
    expect(maxOthers).toBeLessThanOrEqual(o.joinMoveBudget);
    expect(reviewed).toBeGreaterThan(0);
    // Checks at 64, 128, ..., 1024 nodes: each reconsiders every hub down to depth 2 at most once.
    expect(bigJoins).toBeGreaterThan(0);
    expect(bigJoins).toBeLessThanOrEqual(5 * p.snapshot().nodes.filter((v) => v.depth >= 0 && v.depth <= 2).length);
  });

  it("a leave moves only the orphans, each with its subtree intact", () => {
    const p = new TreePlanner();
    const infos = randomNodes(800, 31, { minCap: 2, maxCap: 6 });
    for (const n of infos) p.addNode(n);
    const rng = new Rng(99);
    for (let k = 0; k < 60; k++) {
      const snap = p.snapshot();
      const hubs = snap.nodes.filter((v) => v.children.length > 0 && v.id !== snap.root);
      const gone = hubs[rng.int(hubs.length)];
      const before = new Map(snap.nodes.map((v) => [v.id, v]));
      const moves = p.removeNode(gone.id);
      const moved = parentMoves(moves).map((m) => m.node);
      for (const id of moved) expect(gone.children).toContain(id);
      const after = p.snapshot();
      for (const v of after.nodes) {
        const old = before.get(v.id)!;
        if (!gone.children.includes(v.id)) expect(v.parent).toBe(old.parent);
        if (gone.children.includes(v.id)) expect(v.children).toEqual(old.children.filter((c) => c !== gone.id));
      }
      expect(checkTree(after)).toEqual([]);
    }
  });

  it("re-attaches orphans to their backups while those have room", () => {
    const p = new TreePlanner();
    for (const n of randomNodes(600, 41, { minCap: 3, maxCap: 8 })) p.addNode(n);
    let toBackup = 0;
    for (let k = 0; k < 30; k++) {
      const snap = p.snapshot();
      const hub = snap.nodes.find((v) => v.depth === 2 && v.children.length >= 2)!;
      const backups = new Map(hub.children.map((c) => [c, p.backupOf(c)]));
      p.removeNode(hub.id);
      for (const [c, b] of backups) {
        if (b === null) continue;
        if (p.parentOf(c) === b) toBackup++;
        else {
          // Only when the backup is gone or now full.
          const bv = p.snapshot().nodes.find((v) => v.id === b);
          expect(bv === undefined || bv.children.length >= bv.maxChildren).toBe(true);
        }
      }
    }
    expect(toBackup).toBeGreaterThan(30);
  });

  it("hands the root over to its strongest child and keeps everyone connected", () => {
    const p = new TreePlanner();
    const infos = randomNodes(400, 51, { minCap: 2, maxCap: 10 });
    for (const n of infos) p.addNode(n);
    for (let k = 0; k < 5; k++) {
      const snap = p.snapshot();
      const root = snap.nodes.find((v) => v.id === snap.root)!;
      const kids = root.children.map((c) => snap.nodes.find((v) => v.id === c)!);
      const strongest = Math.max(...kids.map((v) => v.maxChildren));
      const moves = p.removeNode(root.id);
      const newRoot = p.snapshot().root!;
      expect(root.children).toContain(newRoot);
      expect(kids.find((v) => v.id === newRoot)!.maxChildren).toBe(strongest);
      expect(moves.find((m) => m.node === newRoot)).toMatchObject({ parent: null, backup: null, reason: "repair" });
      for (const m of parentMoves(moves)) expect(root.children).toContain(m.node);
      expect(checkTree(p.snapshot())).toEqual([]);
      expect(p.snapshot().waiting).toEqual([]);
    }
  });
});

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
