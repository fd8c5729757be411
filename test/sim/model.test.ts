/**
 * The model against hand-computed cases. Places sit on the equator, 1,000 km apart, so that
 * fibre costs exactly 1000 x 2.1 / 200 = 10.5 ms; a data-centre hub pays 0.5 ms of access and
 * every hub passed costs 18.5 ms (half a 10 ms frame of tick wait + 10 jitter buffer + 2.5 lookahead + 1 processing).
 */
import { describe, expect, it } from "vitest";
import { TreePlanner, treePairDelayMs, type TreeSnapshot } from "@choirmesh/signaling/planner";
import { downLevelMs, engineTiming, hubDelayMs } from "@choirmesh/sim/model/engine-timing";
import { MEASURED_ENGINE_TIMING } from "@choirmesh/signaling/planner/engine-timing";
import { makeDelayModel, linkEnd } from "@choirmesh/sim/model/delay";
import { effectiveAccessMs } from "@choirmesh/sim/model/population";
import { bestServerRegion, chainTopology, meshTopology, starTopology } from "@choirmesh/sim/topologies/central";
import { buildTree, topMeshTopology, treeTopology, type BuiltTree, type DedicatedHub } from "@choirmesh/sim/topologies/tree";
import type { PlannerLike } from "@choirmesh/sim/topologies/planner-port";
import { starWithDirectNeighbours } from "@choirmesh/sim/topologies/direct";
import { makeRng } from "@choirmesh/sim/ports";
import { lonForKm, region, singer } from "./fixtures.js";

// The formula's hop (the re-encoding engine's parts given), so that every figure here is by hand.
const timing = engineTiming({ downPath: "mix", jitterBufferMs: 10 });
const H = hubDelayMs(timing);
const model = makeDelayModel(H);
const X = 0;
const Y = lonForKm(1000);
const Z = -lonForKm(1000);

// A and B share city X (access 2 and 3 ms); C is in city Y, 1,000 km east (access 5 ms).
const A = singer(0, X, 2);
const B = singer(1, X, 3);
const C = singer(2, Y, 5);
const trio = [A, B, C];

describe("timing", () => {
  it("prices a hub hop as frame + jitter buffer + lookahead + processing", () => {
    expect(H).toBe(18.5);
    expect(downLevelMs(timing)).toBe(18.5);
    expect(timing.streamKbps).toBe(104);
  });

  it("reads the engine's measured hop by default: per hop up, per level down (the forwarded path)", () => {
    const live = engineTiming();
    expect(live.downPath).toBe("forward");
    expect(hubDelayMs(live)).toBe(MEASURED_ENGINE_TIMING.forward[10]!.perHopMs);
    expect(downLevelMs(live)).toBe(MEASURED_ENGINE_TIMING.forward[10]!.downLevelMs);
    expect(live.source.perHopMs).toMatch(/measured live/);
    // A frame not measured falls back to the formula, both ways, and says so.
    const unmeasured = engineTiming({ frameMs: 5, downPath: "mix" });
    expect(hubDelayMs(unmeasured)).toBe(downLevelMs(unmeasured));
    expect(unmeasured.source.perHopMs).toMatch(/formula/);
  });

  it("charges jitter beyond the buffer's depth as access delay", () => {
    // The buffer must hold the p99 of one-sided jitter, 4.6 sd: with a 10 ms buffer,
    expect(effectiveAccessMs(4, 2, timing)).toBe(4); // 4.6 x 2 ms is covered
    expect(effectiveAccessMs(4, 3, timing)).toBeCloseTo(4 + 4.6 * 3 - 10, 9);
    // The live hop (forward, 10 ms frames) holds what its buffers held on loopback, 3 ms.
    const live = engineTiming({ downPath: "forward" });
    expect(live.jitterBufferMs).toBe(3);
    expect(effectiveAccessMs(4, 0.5, live)).toBe(4); // 2.3 ms is covered
    expect(effectiveAccessMs(4, 1, live)).toBeCloseTo(4 + 4.6 - 3, 9);
  });
});

describe("links", () => {
  it("cost both access delays plus distance x 2.1 / 200 km per ms", () => {
    expect(model.linkMs(A, B)).toBeCloseTo(5, 9);
    expect(model.linkMs(A, C)).toBeCloseTo(17.5, 9);
    expect(model.linkMs(B, C)).toBeCloseTo(18.5, 9);
  });
});

describe("mesh", () => {
  it("is the direct path, and counts uplinks that cannot carry n - 1 streams", () => {
    const weak = singer(1, X, 3, { uploadKbps: 200 }); // needs 2 x 104 = 208
    const t = meshTopology([A, weak, C], model, timing);
    expect(t.pairDelayMs(0, 1)).toBeCloseTo(5, 9);
    expect(t.pairDelayMs(0, 2)).toBeCloseTo(17.5, 9);
    expect(t.pairDelayMs(1, 2)).toBeCloseTo(18.5, 9);
    expect(t.extra?.overloadedSingers).toBe(1);
    expect(t.uploadKbps[0]).toBe(208);
  });
});

describe("star", () => {
  it("puts the server where the median pair is fastest, and pays one hub", () => {
    const rx = region("X", X);
    const ry = region("Y", Y);
    // Server at X: 24.5, 37, 38 (median 37); at Y: 45.5, 37, 38 (median 38).
    const pairs = Int32Array.from([0, 1, 0, 2, 1, 2]);
    expect(bestServerRegion(trio, [ry, rx], model, pairs).id).toBe("X");
    const t = starTopology(trio, model, timing, rx);
    expect(t.pairDelayMs(0, 1)).toBeCloseTo(2.5 + 18.5 + 3.5, 9);
    expect(t.pairDelayMs(0, 2)).toBeCloseTo(2.5 + 18.5 + 16, 9);
    expect(t.pairDelayMs(1, 2)).toBeCloseTo(3.5 + 18.5 + 16, 9);
    expect(t.servers.uploadMbps).toBeCloseTo(0.312, 9);
    expect(t.servers.cores).toBeCloseTo(3 / timing.childrenPerCore, 12);
  });
});

describe("star with direct neighbours", () => {
  // D is in city Z, 1,000 km west (access 4): A-D 16.5, B-D 17.5, C-D 2,000 km = 30 ms.
  const D = singer(3, Z, 4);
  const four = [A, B, C, D];
  const star = starTopology(four, model, timing, region("X", X));
  // A direct pair pays its link and what the engine adds beyond the endpoints (mix path: half a frame).
  const extra = 5;

  it("pairs the closest first, each singer within its cap, none beyond the longest link", () => {
    const one = starWithDirectNeighbours(star, four, model, timing, { perSinger: 1, maxMs: 20 });
    expect(one.extra?.directPairs).toBe(1);
    expect(one.pairDelayMs(0, 1)).toBeCloseTo(5 + extra, 9);
    expect(one.pairDelayMs(1, 0)).toBeCloseTo(5 + extra, 9);
    expect(one.pairDelayMs(0, 3)).toBe(star.pairDelayMs(0, 3));
    // Two each: A-B, A-D, then B-D (A is full before A-C); C-D is beyond 20 ms.
    const two = starWithDirectNeighbours(star, four, model, timing, { perSinger: 2, maxMs: 20 });
    expect(two.extra?.directPairs).toBe(3);
    expect(two.pairDelayMs(3, 0)).toBeCloseTo(16.5 + extra, 9);
    expect(two.pairDelayMs(1, 3)).toBeCloseTo(17.5 + extra, 9);
    expect(two.pairDelayMs(0, 2)).toBe(star.pairDelayMs(0, 2));
    expect(two.pairDelayMs(2, 3)).toBe(star.pairDelayMs(2, 3));
    expect([...two.uploadKbps]).toEqual([312, 312, 104, 312]);
    expect([...two.downloadKbps]).toEqual([312, 312, 104, 312]);
  });

  it("takes no more neighbours than a singer's upload carries", () => {
    const weakA = singer(0, X, 2, { uploadKbps: 250 }); // its up stream and one more
    const t = starWithDirectNeighbours(starTopology([weakA, B, C, D], model, timing, region("X", X)), [weakA, B, C, D], model, timing, { perSinger: 3, maxMs: 20 });
    // A-B; then A is full, so B-D and B-C (B-D first).
    expect(t.pairDelayMs(0, 1)).toBeCloseTo(5 + extra, 9);
    expect(t.pairDelayMs(0, 3)).toBe(star.pairDelayMs(0, 3));
    expect(t.pairDelayMs(1, 3)).toBeCloseTo(17.5 + extra, 9);
    expect(t.pairDelayMs(1, 2)).toBeCloseTo(18.5 + extra, 9);
    expect(t.extra?.directPairs).toBe(3);
  });
});

describe("chain", () => {
  it("hears the earlier bucket one spacing later and never hears within a bucket", () => {
    const many = Array.from({ length: 200 }, (_, i) => singer(i, X, 2));
    const t = chainTopology(many, timing, region("X", X), makeRng(3), 3000, [0.5, 0.5]);
    const counts = t.extra?.bucketCounts as number[];
    expect(counts[0] + counts[1]).toBe(200);
    expect(counts[0]).toBeGreaterThan(60);
    const delays = new Set<number>();
    for (let b = 1; b < 200; b++) delays.add(t.pairDelayMs(0, b));
    expect([...delays].sort()).toEqual([3000, Infinity]);
  });
});

describe("tree and hybrid, through the planner", () => {
  it("tree: A (the only hub) at the root, B and C its children", () => {
    const planner = new TreePlanner({ streamKbps: timing.streamKbps, hubDelayMs: H });
    const b = buildTree(planner, [A, { ...B, uploadKbps: 50 }, { ...C, uploadKbps: 50 }], []);
    expect(planner.parentOf("s1")).toBe("s0");
    expect(planner.parentOf("s2")).toBe("s0");
    const t = treeTopology("tree", "t", b, trio, timing);
    expect(t.pairDelayMs(0, 1)).toBeCloseTo(5, 9); // A hears B's up mix directly
    expect(t.pairDelayMs(0, 2)).toBeCloseTo(17.5, 9);
    expect(t.pairDelayMs(1, 2)).toBeCloseTo(5 + 18.5 + 17.5, 9); // through A's hub
    // A uploads a down mix to each child; the leaves upload one stream each.
    expect(Array.from(t.uploadKbps)).toEqual([208, 104, 104]);
    expect(t.depth?.maxLevel).toBe(1);
  });

  it("hybrid: a dedicated hub at X carries all three; it costs like a server at X", () => {
    const planner = new TreePlanner({ streamKbps: timing.streamKbps, hubDelayMs: H });
    const hub: DedicatedHub = { id: "h0", region: region("X", X) };
    const leaves = trio.map((s) => ({ ...s, uploadKbps: 50 }));
    const b = buildTree(planner, leaves, [hub]);
    for (const s of trio) expect(planner.parentOf(s.id)).toBe("h0");
    const t = treeTopology("hybrid", "h", b, trio, timing);
    expect(t.pairDelayMs(0, 1)).toBeCloseTo(24.5, 9);
    expect(t.pairDelayMs(0, 2)).toBeCloseTo(37, 9);
    expect(t.pairDelayMs(1, 2)).toBeCloseTo(38, 9);
    expect(t.servers.count).toBe(1);
    expect(t.servers.maxChildren).toBe(3);
    expect(t.servers.uploadMbps).toBeCloseTo(0.312, 9);
  });
});

/** A fixed tree behind the planner port, priced with the planner's own delay functions. */
function fixedTree(parents: Record<string, string | null>, places: Record<string, { lon: number; access: number }>): PlannerLike {
  const ends = new Map(Object.entries(places).map(([id, p]) => [id, linkEnd(id, 0, p.lon, p.access)]));
  const children = (id: string) => Object.keys(parents).filter((k) => parents[k] === id);
  const depth = (id: string): number => (parents[id] === null ? 0 : 1 + depth(parents[id]!));
  const link = (a: string, b: string) => model.linkMs(ends.get(a)!, ends.get(b)!);
  const view = { parent: (n: string) => parents[n], depth, linkMs: link, hubMs: () => H };
  const unused = () => {
    throw new Error("not used");
  };
  return {
    addNode: unused,
    removeNode: unused,
    has: (id) => id in parents,
    size: Object.keys(parents).length,
    parentOf: (id) => parents[id],
    backupOf: () => null,
    childrenOf: children,
    snapshot: (): TreeSnapshot => ({
      root: Object.keys(parents).find((k) => parents[k] === null)!,
      nodes: Object.keys(parents).map((id) => ({
        id,
        parent: parents[id],
        backup: null,
        children: children(id),
        depth: depth(id),
        section: "",
        hasVoice: id.startsWith("s"),
        canHub: true,
        maxChildren: 8,
      })),
    }),
    estimateLinkMs: link,
    pairDelayMs: (a, b) => treePairDelayMs(view, a, b),
  };
}

describe("top mesh", () => {
  it("sends a cross-region pair through two top hubs instead of up to the root and down", () => {
    // h0 at X is the root; h1 at Y and h2 at Z, 1,000 km either side, are its children.
    // A, B at X under h0; C at Y under h1; E at Z (access 4) under h2.
    const E = singer(3, Z, 4);
    const singers = [A, B, C, E];
    const planner = fixedTree(
      { h0: null, h1: "h0", h2: "h0", s0: "h0", s1: "h0", s2: "h1", s3: "h2" },
      {
        h0: { lon: X, access: 0.5 },
        h1: { lon: Y, access: 0.5 },
        h2: { lon: Z, access: 0.5 },
        s0: { lon: X, access: 2 },
        s1: { lon: X, access: 3 },
        s2: { lon: Y, access: 5 },
        s3: { lon: Z, access: 4 },
      },
    );
    const snapshot = planner.snapshot();
    const built: BuiltTree = {
      planner,
      hubs: [
        { id: "h0", region: region("X", X) },
        { id: "h1", region: region("Y", Y) },
        { id: "h2", region: region("Z", Z) },
      ],
      snapshot,
      views: new Map(snapshot.nodes.map((v) => [v.id, v])),
      buildMs: 0,
      joinUs: [],
    };
    const hybrid = treeTopology("hybrid", "h", built, singers, timing);
    const mesh = topMeshTopology(built, singers, timing, H);
    // Tree: C -> h1 -> h0 -> h2 -> E: links 5.5 + 11.5 + 11.5 + 4.5, three hubs.
    expect(hybrid.pairDelayMs(2, 3)).toBeCloseTo(33 + 3 * 18.5, 9);
    // Mesh: C -> h1 -> h2 -> E: links 5.5 + (0.5 + 21 + 0.5) + 4.5, two hubs.
    expect(mesh.pairDelayMs(2, 3)).toBeCloseTo(32 + 2 * 18.5, 9);
    // A pair in the root's own region, and one between the root's region and another, are unchanged.
    expect(mesh.pairDelayMs(0, 1)).toBeCloseTo(24.5, 9);
    expect(mesh.pairDelayMs(0, 2)).toBeCloseTo(hybrid.pairDelayMs(0, 2), 9);
    expect(mesh.pairDelayMs(0, 2)).toBeCloseTo(2.5 + 18.5 + 11.5 + 18.5 + 5.5, 9);
    expect(mesh.extra?.topHubs).toBe(3);
  });
});
