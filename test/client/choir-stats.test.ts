import { describe, expect, it } from "vitest";
import { fitHops, fitHopsBelowRoot, pathHubs } from "@choirmesh/client/choir-stats";
import type { TreeMessage } from "@choirmesh/protocol";

//   r
//   ├ a ─ a1, a2
//   └ b ─ b1
const info = (id: string, parent: string | null) => ({ id, name: id, section: "", parent, backup: null, children: [], depth: 0, waiting: false, hasVoice: true, canHub: true });
const tree: TreeMessage = {
  type: "tree",
  room: "r",
  root: "r",
  epoch: 1,
  nodes: [info("r", null), info("a", "r"), info("b", "r"), info("a1", "a"), info("a2", "a"), info("b1", "b")],
};

describe("the hubs between two singers, up and down", () => {
  it("counts the mixing hubs up (the meeting point included) and the levels down", () => {
    const cases: Array<[string, string, number, number]> = [
      ["a1", "a2", 1, 0], // siblings meet at a
      ["a1", "b1", 2, 1], // up through a, meet at r, down through b
      ["b1", "a1", 2, 1],
      ["a1", "a", 0, 0], // a child and its parent
      ["a", "a1", 0, 0],
      ["a1", "r", 1, 0], // r hears a1 in a's up mix
      ["r", "a1", 0, 1], // r's voice goes down through a
      ["a", "b1", 1, 1], // meet at r, down through b
    ];
    for (const [from, to, up, down] of cases) expect([from, to, (({ up: u, down: d }) => ({ up: u, down: d }))(pathHubs(tree, from, to))]).toEqual([from, to, { up, down }]);
    // Meeting at the root: across its subtrees, or with the root itself; not within a subtree.
    expect(["a1:b1", "a:b1", "r:a1", "a1:a2", "a1:a"].map((p) => pathHubs(tree, p.split(":")[0], p.split(":")[1]).meetsAtRoot)).toEqual([true, true, true, false, false]);
  });

  it("fits what a hub adds up and a level adds down, exactly on exact data", () => {
    const pairs = [
      [1, 0],
      [2, 1],
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [2, 0],
    ].map(([up, down]) => ({ up, down, delayMs: 10 + 16 * up + 3 * down }));
    const f = fitHops(pairs);
    expect(f.perHopMs).toBeCloseTo(16, 9);
    expect(f.downLevelMs).toBeCloseTo(3, 9);
    expect(f.baseMs).toBeCloseTo(10, 9);
  });

  it("fits what meeting below the root adds too, exactly on exact data; without such pairs, as fitHops", () => {
    const rows: [number, number, boolean][] = [
      [1, 0, true],
      [2, 1, true],
      [0, 0, false],
      [1, 0, false],
      [0, 1, true],
      [1, 1, false],
      [2, 0, true],
      [0, 2, false],
    ];
    const pairs = rows.map(([up, down, meetsAtRoot]) => ({ up, down, meetsAtRoot, delayMs: 10 + 5 * up + 1.5 * down + (meetsAtRoot ? 0 : 4) }));
    const f = fitHopsBelowRoot(pairs);
    expect(f.perHopMs).toBeCloseTo(5, 9);
    expect(f.downLevelMs).toBeCloseTo(1.5, 9);
    expect(f.belowRootMs).toBeCloseTo(4, 9);
    expect(f.baseMs).toBeCloseTo(10, 9);
    const atRoot = pairs.map((p) => ({ ...p, meetsAtRoot: true, delayMs: 10 + 5 * p.up + 1.5 * p.down }));
    expect(fitHopsBelowRoot(atRoot)).toEqual({ ...fitHops(atRoot), belowRootMs: NaN });
  });

  it("falls back to one slope on all hubs when up and down never vary apart", () => {
    const pairs = [0, 1, 2, 3].map((h) => ({ up: h, down: h, delayMs: 5 + 8 * h }));
    const f = fitHops(pairs);
    expect(f.perHopMs).toBeCloseTo(4, 9); // 8 ms per pair of hubs, 4 per hub
    expect(f.downLevelMs).toBeNaN();
    expect(fitHops([{ up: 1, down: 0, delayMs: 30 }, { up: 1, down: 0, delayMs: 32 }])).toEqual({ baseMs: 31, perHopMs: NaN, downLevelMs: NaN });
  });
});
