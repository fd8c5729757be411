/** Growth-time head relocation (signaling/src/planner/growth.ts): the root and region heads move towards their singers. */
import { describe, expect, it } from "vitest";
import { DEFAULT_PLANNER_OPTIONS, TreePlanner, type PlannerNodeInfo } from "@choirmesh/signaling/planner";
import { checkTree, randomNodes, uploadFor } from "./planner-helpers.js";

/** Mean link from every placed singer's depth-1 ancestor to the root (what every pair meeting at the root pays twice). */
function meanTopLink(p: TreePlanner): number {
  const snap = p.snapshot();
  const byId = new Map(snap.nodes.map((v) => [v.id, v]));
  let sum = 0;
  let count = 0;
  for (const v of snap.nodes) {
    if (v.depth < 1) continue;
    let top = v;
    while (top.depth > 1) top = byId.get(top.parent!)!;
    sum += p.estimateLinkMs(top.id, snap.root!);
    count++;
  }
  return sum / count;
}

describe("head relocation during growth", () => {
  // The first joiner, a strong hub, sits in Lisbon; everybody else in central Europe.
  const first: PlannerNodeInfo = { id: "lisbon", section: "alto", canHub: true, uploadKbps: uploadFor(32), hasVoice: true, location: { lat: 38.7, lon: -9.1 } };
  const rest = randomNodes(2000, 5, { box: [47, 53, 5, 17], minCap: 8, maxCap: 32 });

  it("moves the root from an outlying first joiner towards the singers, and shortens the links to it", () => {
    const moving = new TreePlanner();
    const fixed = new TreePlanner({ rootCheckFactor: 1 });
    for (const n of [first, ...rest]) {
      moving.addNode(n);
      fixed.addNode(n);
    }
    expect(fixed.rootId).toBe("lisbon");
    expect(moving.rootId).not.toBe("lisbon");
    const root = rest.find((n) => n.id === moving.rootId)!;
    expect(root.location!.lat).toBeGreaterThan(47);
    expect(root.location!.lon).toBeGreaterThan(5);
    // Lisbon to central Europe is ~2,000 km, ~21 ms of fibre: the relocated root saves most of it.
    expect(meanTopLink(moving)).toBeLessThan(meanTopLink(fixed) - 10);
    expect(moving.depthOf("lisbon")).toBeGreaterThan(0);
    expect(checkTree(moving.snapshot())).toEqual([]);
    expect(moving.backupCoverage()).toBe(1);
  });

  it("keeps caps, connectivity, no cycles and valid backups at every relocation, and moves at most maxFanout + 2 others plus the join's own", () => {
    const p = new TreePlanner();
    const o = DEFAULT_PLANNER_OPTIONS;
    let relocations = 0;
    for (const n of [first, ...rest]) {
      const before = p.toJSON().headRelocations as number;
      const moves = p.addNode(n);
      const after = p.toJSON().headRelocations as number;
      if (after === before) continue;
      relocations++;
      expect(after).toBe(before + 1);
      const others = moves.filter((m) => m.reason !== "backup" && m.node !== n.id);
      // A join's own displacements, one relocation and one reviewed leaf.
      expect(others.length).toBeLessThanOrEqual(o.joinMoveBudget + o.maxFanout + 2 + 1);
      // At least the new head and the old one, which joins again.
      expect(others.length).toBeGreaterThanOrEqual(2);
      expect(checkTree(p.snapshot())).toEqual([]);
    }
    // 2,001 nodes: checks at 64, 128, 256, 512 and 1024 nodes; each relocates a hub at most once.
    expect(relocations).toBeGreaterThan(0);
    const hubsToDepth2 = p.snapshot().nodes.filter((v) => v.depth >= 0 && v.depth <= 2).length;
    expect(relocations).toBeLessThanOrEqual(5 * hubsToDepth2);
    expect(p.backupCoverage()).toBe(1);
  });

  it("moves a depth-2 hub towards its children: early hubs in Lisbon, their children in central Europe", () => {
    // maxFanout 4: a central root and four central heads fill depth 0-1; sixteen hubs from Lisbon
    // fill depth 2; the hundred central singers after them can only go below Lisbon (or deeper).
    const at = (id: string, lat: number, lon: number): PlannerNodeInfo => ({ id, section: "alto", canHub: true, uploadKbps: uploadFor(4), hasVoice: true, location: { lat, lon } });
    const early = [at("root", 50, 10), ...[0, 1, 2, 3].map((i) => at(`head${i}`, 50 + i * 0.2, 10)), ...Array.from({ length: 16 }, (_, i) => at(`lis${i}`, 38.7 + i * 0.01, -9.1))];
    const later = randomNodes(100, 9, { box: [48, 52, 8, 12], minCap: 4, maxCap: 4, hubShare: 1 });
    const meanLinkToParent = (p: TreePlanner, depth: number) => {
      const at3 = p.snapshot().nodes.filter((v) => v.depth === depth);
      return at3.reduce((s, v) => s + p.estimateLinkMs(v.id, v.parent!), 0) / at3.length;
    };
    const trees = [1, 2].map((relocateDepth) => {
      const p = new TreePlanner({ maxFanout: 4, relocateDepth });
      for (const n of [...early, ...later]) p.addNode(n);
      expect(checkTree(p.snapshot())).toEqual([]);
      expect(p.backupCoverage()).toBe(1);
      return p;
    });
    const [headsOnly, withDepth2] = trees;
    // Lisbon to central Europe: ~2,000 km, ~21 ms of fibre plus access on each depth-3 link.
    expect(meanLinkToParent(headsOnly, 3)).toBeGreaterThan(20);
    expect(meanLinkToParent(withDepth2, 3)).toBeLessThan(12);
    expect(withDepth2.toJSON().headRelocations as number).toBeGreaterThanOrEqual(headsOnly.toJSON().headRelocations as number + 8);
    // The Lisbon hubs left depth 2 and joined again like newcomers.
    expect(withDepth2.snapshot().nodes.filter((v) => v.id.startsWith("lis") && v.depth === 2).length).toBeLessThan(8);
  });

  it("reviews earlier joiners: a leaf that had to go under a far hub moves when a near one appears, one move a join", () => {
    const at = (id: string, cap: number, lat: number, lon: number): PlannerNodeInfo => ({ id, section: "alto", canHub: cap > 0, uploadKbps: cap > 0 ? uploadFor(cap) : 100, hasVoice: true, location: { lat, lon } });
    // Root and a head in Frankfurt, a head in Lisbon; two Frankfurt leaves fill the Frankfurt head,
    // so x (Frankfurt, no hub) can only go under Lisbon. Then y, a Frankfurt hub, joins (taking
    // l1's place below h1 and adopting l1), and has a slot left.
    const infos = [at("r", 2, 50.1, 8.7), at("h1", 2, 50.1, 8.7), at("h2", 1, 38.7, -9.1), at("l1", 0, 50.1, 8.7), at("l2", 0, 50.1, 8.7), at("x", 0, 50.2, 8.6), at("y", 2, 50.1, 8.7)];
    const runs = [0, 8].map((reviewPerJoin) => {
      const p = new TreePlanner({ reviewPerJoin });
      const moves = infos.map((n) => p.addNode(n));
      expect(checkTree(p.snapshot())).toEqual([]);
      return { p, last: moves[moves.length - 1] };
    });
    const [off, on] = runs;
    expect(off.p.parentOf("x")).toBe("h2");
    expect(on.p.parentOf("x")).toBe("y");
    expect(on.p.pairDelayMs("x", "l2")).toBeLessThan(off.p.pairDelayMs("x", "l2") - 15);
    expect(on.last.filter((m) => m.node === "x")).toEqual([expect.objectContaining({ node: "x", parent: "y", reason: "rebalance" })]);
    expect(on.p.toJSON().leafReviews).toBe(1);
    expect(off.p.toJSON().leafReviews).toBe(0);
  });

  it("does not move a node placed less than moveCooldownMs ago to gain delay; once it has cooled down, it moves", () => {
    const at = (id: string, cap: number, lat: number, lon: number): PlannerNodeInfo => ({ id, section: "alto", canHub: cap > 0, uploadKbps: cap > 0 ? uploadFor(cap) : 100, hasVoice: true, location: { lat, lon } });
    // As above: x can only go under Lisbon; then y, a Frankfurt hub, joins with slots left, and
    // later z, a Frankfurt singer, whose join reviews x again.
    const early = [at("r", 2, 50.1, 8.7), at("h1", 2, 50.1, 8.7), at("h2", 1, 38.7, -9.1), at("l1", 0, 50.1, 8.7), at("l2", 0, 50.1, 8.7), at("x", 0, 50.2, 8.6)];
    const y = at("y", 3, 50.1, 8.7);
    const z = at("z", 0, 50.1, 8.7);
    const run = (yJoinsAtMs: number, zJoinsAtMs: number) => {
      let now = 0;
      const p = new TreePlanner({ reviewPerJoin: 8, moveCooldownMs: 60_000, now: () => now });
      for (const n of early) p.addNode(n);
      now = yJoinsAtMs;
      p.addNode(y);
      const afterY = p.parentOf("x");
      now = zJoinsAtMs;
      p.addNode(z);
      expect(checkTree(p.snapshot())).toEqual([]);
      return { afterY, afterZ: p.parentOf("x") };
    };
    // y joins 10 s after x: x is cooling down and stays; z joins 61 s after x: the review moves it.
    expect(run(10_000, 61_000)).toEqual({ afterY: "h2", afterZ: "y" });
    // z joins 30 s after x: still cooling down.
    expect(run(10_000, 30_000)).toEqual({ afterY: "h2", afterZ: "h2" });
    // y joins 61 s after x: the join's review moves it at once.
    expect(run(61_000, 62_000).afterY).toBe("y");
  });

  it("never relocates with rootCheckFactor 1, and relocates nothing in a room that stays below rootCheckFirst", () => {
    const off = new TreePlanner({ rootCheckFactor: 1 });
    const small = new TreePlanner();
    for (const n of [first, ...rest]) off.addNode(n);
    for (const n of [first, ...rest.slice(0, DEFAULT_PLANNER_OPTIONS.rootCheckFirst - 2)]) small.addNode(n);
    expect(off.toJSON().headRelocations).toBe(0);
    expect(small.toJSON().headRelocations).toBe(0);
    expect(small.rootId).toBe("lisbon");
  });
});
