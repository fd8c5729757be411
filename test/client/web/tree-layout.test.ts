import { describe, expect, it } from "vitest";
import { delayColour, hopEstimateMs, layoutTree, linkKey } from "@choirmesh/client/web/tree-layout";
import type { TreeNodeInfo } from "@choirmesh/protocol";

function node(id: string, parent: string | null, children: string[], depth: number, extra: Partial<TreeNodeInfo> = {}): TreeNodeInfo {
  return { id, name: id.toUpperCase(), section: "", parent, backup: null, children, depth, waiting: false, hasVoice: true, canHub: true, ...extra };
}

const TREE = [
  node("r", null, ["a", "b"], 0, { hasVoice: false }),
  node("a", "r", ["a1", "a2"], 1),
  node("b", "r", [], 1),
  node("a1", "a", [], 2),
  node("a2", "a", [], 2),
  node("w", null, [], -1, { waiting: true }),
];

describe("the tree view's layout", () => {
  it("puts leaves in order, parents over their children, depth by row, waiting nodes last", () => {
    const l = layoutTree(TREE, { columnWidth: 100, rowHeight: 50, margin: 10 });
    const at = new Map(l.nodes.map((n) => [n.id, n]));
    expect([at.get("a1")!.x, at.get("a2")!.x, at.get("b")!.x]).toEqual([10, 110, 210]);
    expect(at.get("a")!.x).toBe(60);
    expect(at.get("r")!.x).toBe(135);
    expect([at.get("r")!.y, at.get("a")!.y, at.get("a1")!.y]).toEqual([10, 60, 110]);
    expect(at.get("w")).toMatchObject({ waiting: true, depth: -1, y: 10 + 3.5 * 50 });
    expect(at.get("r")!.hub).toBe(true);
    expect(at.get("b")!.hub).toBe(false);
    expect(l.nodes).toHaveLength(6);
    expect(l.links.map((k) => `${k.from}>${k.to}`).sort()).toEqual(["a>a1", "a>a2", "r>a", "r>b"]);
  });

  it("colours measured links by their delay and the rest by depth", () => {
    const l = layoutTree(TREE, { frameMs: 10, self: "a1", measured: new Map([[linkKey("a", "a1"), 3]]) });
    const byKey = new Map(l.links.map((k) => [`${k.from}>${k.to}`, k]));
    expect(byKey.get("a>a1")).toMatchObject({ measured: true, delayMs: 3, colour: delayColour(3) });
    expect(byKey.get("a>a2")).toMatchObject({ measured: false, delayMs: 2 * hopEstimateMs(10) });
    expect(byKey.get("r>a")).toMatchObject({ measured: false, delayMs: hopEstimateMs(10) });
    expect(l.nodes.find((n) => n.self)!.id).toBe("a1");
    expect(delayColour(0)).toBe("hsl(130, 70%, 42%)");
    expect(delayColour(60)).toBe("hsl(0, 70%, 42%)");
    expect(delayColour(600)).toBe(delayColour(60));
  });

  it("survives a malformed tree: unknown children and a cycle", () => {
    const bad = [node("r", null, ["x", "ghost"], 0), node("x", "r", ["r"], 1)];
    const l = layoutTree(bad);
    expect(l.nodes.map((n) => n.id).sort()).toEqual(["r", "x"]);
    expect(layoutTree([]).nodes).toEqual([]);
  });
});
