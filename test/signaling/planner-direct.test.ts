/**
 * Who hears whom directly (signaling/planner/direct.ts): close leaf singers under one hub pair
 * up, closest first, within the distance, each within its cap and upload; the meshed top tier
 * pairs every dedicated child of a dedicated root. Exact, on a hand-made view.
 */
import { describe, expect, it } from "vitest";
import { directPairsUnder, type DirectView } from "@choirmesh/signaling/planner/direct";
import { TreePlanner } from "@choirmesh/signaling/planner";
import type { PlannerNodeInfo } from "@choirmesh/signaling/planner/types";

const info = (id: string, extra: Partial<PlannerNodeInfo> = {}): PlannerNodeInfo => ({ id, section: "", canHub: true, uploadKbps: 10_000, hasVoice: true, ...extra });

function view(children: Record<string, string[]>, infos: PlannerNodeInfo[], ms: (a: string, b: string) => number): DirectView {
  const parent = new Map<string, string>();
  for (const [p, cs] of Object.entries(children)) for (const c of cs) parent.set(c, p);
  const byId = new Map(infos.map((i) => [i.id, i]));
  return { parentOf: (id) => parent.get(id) ?? null, childrenOf: (id) => children[id] ?? [], info: (id) => byId.get(id) ?? null, estimateLinkMs: ms };
}

// Leaves on a line: a at 0 km, b at 1, c at 2, d at 10, e at 11 (ms apart = distance).
const pos: Record<string, number> = { a: 0, b: 1, c: 2, d: 10, e: 11 };
const dist = (x: string, y: string) => Math.abs(pos[x] - pos[y]);
const opts = { directPerSinger: 2, directMaxMs: 5, streamKbps: 100 };

describe("direct neighbours", () => {
  it("pairs close leaves under one hub, closest first, symmetric, each within its cap", () => {
    const v = view({ h: ["a", "b", "c", "d", "e", "x"], x: ["y"] }, ["h", "a", "b", "c", "d", "e", "x", "y"].map((id) => info(id)), dist);
    const p = directPairsUnder(v, "h", opts);
    // x has a child: not a leaf, never paired. d and e pair; a, b, c form a triangle (cap 2 each).
    expect(Object.fromEntries(p)).toEqual({ a: ["b", "c"], b: ["a", "c"], c: ["b", "a"], d: ["e"], e: ["d"] });
    for (const [n, peers] of p) for (const q of peers) expect(p.get(q)).toContain(n);
  });

  it("leaves out pairs beyond the distance, over the cap, without the upload, and dedicated hubs", () => {
    const infos = [info("h"), info("a"), info("b", { uploadKbps: 150 }), info("c"), info("d", { hasVoice: false, dedicated: true }), info("e")];
    const v = view({ h: ["a", "b", "c", "d", "e"] }, infos, dist);
    const p = directPairsUnder(v, "h", { ...opts, directPerSinger: 1 });
    // b can upload its own stream only; a's one pair is c (2 ms); e's nearest leaf is 9+ ms away.
    expect(Object.fromEntries(p)).toEqual({ a: ["c"], b: [], c: ["a"], e: [] });
    expect(directPairsUnder(v, "h", { ...opts, directPerSinger: 0 }).size).toBe(0);
  });

  it("a meshed top tier: every dedicated child of a dedicated root with every other, none of the root's singers unless asked", () => {
    const infos = [info("r", { hasVoice: false, dedicated: true }), info("t1", { hasVoice: false, dedicated: true }), info("t2", { hasVoice: false, dedicated: true }), info("t3", { hasVoice: false, dedicated: true }), info("s")];
    const v = view({ r: ["t1", "t2", "t3", "s"], t1: ["q"] }, infos, () => 1);
    const p = directPairsUnder(v, "r", { ...opts, directPerSinger: 0, meshTops: true });
    expect(Object.fromEntries(p)).toEqual({ t1: ["t2", "t3"], t2: ["t1", "t3"], t3: ["t1", "t2"] });
    // Below the root, the tier is not formed.
    expect(directPairsUnder(v, "t1", { ...opts, directPerSinger: 0, meshTops: true }).size).toBe(0);
  });

  it("the planner pairs by its own estimates (geography here) and only when asked", () => {
    const mk = (o: Record<string, unknown>) => new TreePlanner({ maxFanout: 8, ...o });
    for (const [o, want] of [[{}, 0], [{ directPerSinger: 3, directMaxMs: 15 }, 2]] as const) {
      const p = mk(o);
      p.addNode(info("hub", { location: { lat: 50.11, lon: 8.68 } }));
      p.addNode(info("paris1", { location: { lat: 48.86, lon: 2.35 }, uploadKbps: 1000, canHub: false }));
      p.addNode(info("paris2", { location: { lat: 48.8, lon: 2.13 }, uploadKbps: 1000, canHub: false }));
      p.addNode(info("moscow", { location: { lat: 55.76, lon: 37.62 }, uploadKbps: 1000, canHub: false }));
      const pairs = p.directPairsUnder("hub");
      expect([...pairs.values()].reduce((a, x) => a + x.length, 0)).toBe(want);
      if (want > 0) expect(pairs.get("paris1")).toEqual(["paris2"]);
    }
  });
});
