/**
 * A room's tree as plain data, for a store that holds rooms outside one process: what
 * TreePlanner.toData writes survives JSON, and TreePlanner.fromData rebuilds the same tree.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import { TreePlanner } from "@choirmesh/signaling/planner";
import { InMemoryRoomStore } from "@choirmesh/signaling/room-store";
import { checkTree, node, randomNodes } from "./planner-helpers.js";

describe("TreePlanner.toData / fromData", () => {
  it("rebuilds the same places, children order and backups after joins, leaves and a rebalance", () => {
    const p = new TreePlanner({ maxFanout: 6 });
    const nodes = randomNodes(400, 7);
    for (const n of nodes) p.addNode(n);
    for (let i = 0; i < 60; i++) p.removeNode(nodes[(i * 37) % nodes.length].id);
    p.rebalance(20);
    const before = p.snapshot();
    const data = JSON.parse(JSON.stringify(p.toData()));
    const q = TreePlanner.fromData(data);
    const after = q.snapshot();
    const byId = (s: typeof before) => new Map(s.nodes.map((n) => [n.id, n]));
    expect(after.root).toBe(before.root);
    expect(after.nodes.length).toBe(before.nodes.length);
    const b = byId(before);
    for (const n of after.nodes) {
      const was = b.get(n.id)!;
      expect([n.id, n.parent, n.children, n.depth, n.backup]).toEqual([was.id, was.parent, was.children, was.depth, was.backup]);
    }
    expect(checkTree(after)).toEqual([]);
    // The rebuilt planner goes on like the first: a join lands where the first would put it.
    expect(q.addNode(node("late", 2))[0].parent).toBe(p.addNode(node("late", 2))[0].parent);
  });

  it("keeps the waiting waiting", () => {
    const p = new TreePlanner();
    p.addNode(node("a", 0));
    p.addNode(node("b", 0));
    const q = TreePlanner.fromData(JSON.parse(JSON.stringify(p.toData())));
    expect(q.snapshot().waiting).toEqual(["a", "b"]);
    expect(q.addNode(node("h", 3)).find((m) => m.node === "a")?.parent).toBe("h");
  });
});

describe("RoomRecord: a room as plain data", () => {
  it("a room taken over from its record has the same members, epoch and tree", () => {
    const a = new InMemoryRoomStore();
    const room = a.create("r", DEFAULT_MEDIA, { maxFanout: 3 });
    for (const n of randomNodes(40, 3)) {
      room.planner.addNode(n);
      room.addMember({ id: n.id, name: n.id, section: n.section, canHub: n.canHub, uploadKbps: n.uploadKbps, hasVoice: n.hasVoice, dedicated: false, joinedAt: 1 });
      room.bumpEpoch();
    }
    const record = JSON.parse(JSON.stringify(room.toRecord()));
    const b = new InMemoryRoomStore();
    const again = b.load(record);
    expect(again.epoch).toBe(40);
    expect([...again.members()].map((m) => m.id)).toEqual([...room.members()].map((m) => m.id));
    // The same tree (the snapshot lists nodes in the order they were added: breadth-first now).
    const sorted = (t: TreePlanner) => ({ ...t.snapshot(), nodes: [...t.snapshot().nodes].sort((x, y) => x.id.localeCompare(y.id)) });
    expect(sorted(again.planner)).toEqual(sorted(room.planner));
    expect(() => b.load(record)).toThrow(/exists/);
  });
});
