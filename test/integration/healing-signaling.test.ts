/**
 * The server side of healing over real sockets: link-lost reports (a dead neighbour removed at
 * once, a move to the backup on request), and a restarted server rebuilding a room from what its
 * nodes report, without moving anyone. Also the planner's restore/reparent and the rebuild
 * bookkeeping on their own.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TreePlanner } from "@choirmesh/signaling/planner/tree-planner";
import { MAX_RESTORE_CHILDREN, parseClientMessage } from "@choirmesh/protocol";
import type { TreeMessage } from "@choirmesh/protocol";
import { RoomRebuild } from "@choirmesh/signaling/room-rebuild";
import type { SignalingServer } from "@choirmesh/signaling/server";
import { roundTrip, startServer, TestClient, toldMatchesTree } from "../signaling/server.fixtures.js";

const HUBBY = { canHub: true, uploadKbps: 20_000, hasVoice: true };
const info = (id: string) => ({ id, section: "", canHub: true, uploadKbps: 20_000, hasVoice: true });

let servers: SignalingServer[] = [];
let clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function server(opts: Parameters<typeof startServer>[0] = {}): Promise<SignalingServer> {
  const s = await startServer({ planner: { maxFanout: 2 }, ...opts });
  servers.push(s);
  return s;
}
async function client(s: SignalingServer): Promise<TestClient> {
  const c = await TestClient.connect(s.url);
  clients.push(c);
  return c;
}

/** Resume tokens of every join, by node id. */
const resumeTokens = new Map<string, string>();

/** Joins n hub-capable singers in order; returns the clients (ids set). */
async function choir(s: SignalingServer, room: string, n: number): Promise<TestClient[]> {
  const out: TestClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await client(s);
    const j = await c.join(room, { ...HUBBY, name: `s${i}` });
    resumeTokens.set(j.id, j.resumeToken);
    out.push(c);
  }
  for (const c of out) await roundTrip(c);
  for (const c of out) await c.drain(30);
  return out;
}

const parents = (t: TreeMessage) => Object.fromEntries(t.nodes.map((n) => [n.id, n.parent]));

describe("protocol: link-lost and restore", () => {
  const limits = { maxBytes: 65_536, maxDepth: 8, maxSignalBytes: 32_768 };
  const join = { type: "join", v: 1, room: "r", name: "a", section: "", canHub: true, uploadKbps: 1, hasVoice: true, resume: "t" };
  it("accepts link-lost with and without move, and a join with restore", () => {
    expect(parseClientMessage({ type: "link-lost", peer: "nA1" }, limits)).toMatchObject({ ok: true });
    expect(parseClientMessage({ type: "link-lost", peer: "nA1", move: true, ref: 3 }, limits)).toMatchObject({ ok: true });
    expect(parseClientMessage({ ...join, restore: { parent: null, backup: null, children: [] } }, limits)).toMatchObject({ ok: true });
  });
  it("refuses bad fields", () => {
    expect(parseClientMessage({ type: "link-lost" }, limits)).toMatchObject({ ok: false, code: "invalid-message" });
    expect(parseClientMessage({ type: "link-lost", peer: "nA1", move: "yes" }, limits)).toMatchObject({ ok: false, code: "invalid-message" });
    expect(parseClientMessage({ ...join, restore: { parent: "nA1", children: [] } }, limits)).toMatchObject({ ok: false, code: "invalid-message" });
    const many = Array.from({ length: MAX_RESTORE_CHILDREN + 1 }, (_, i) => `n${i}`);
    expect(parseClientMessage({ ...join, restore: { parent: null, backup: null, children: many } }, limits)).toMatchObject({ ok: false, code: "invalid-message" });
  });
});

describe("TreePlanner: restore and repair (recovery.ts)", () => {
  it("restores nodes at their reported places, root first, within each hub's cap", () => {
    const p = new TreePlanner({ maxFanout: 2 });
    p.restoreNode(info("r"), null);
    p.restoreNode(info("a"), "r");
    p.restoreNode(info("b"), "r");
    // A third child of a fanout-2 hub is a claim the planner's rules refuse.
    expect(p.restoreRefusal("r")).toMatch(/most children/);
    expect(() => p.restoreNode(info("c"), "r")).toThrow(/most children/);
    p.restoreNode(info("d"), "a", "b");
    expect(parents({ type: "tree", room: "x", root: null, epoch: 0, nodes: p.snapshot().nodes as never })).toEqual({ r: null, a: "r", b: "r", d: "a" });
    expect(p.backupOf("d")).toBe("b");
    expect(() => p.restoreNode(info("e"), "nobody")).toThrow(/no node nobody/);
    // A second root is placed as an ordinary join instead.
    p.restoreNode(info("f"), null);
    expect(p.parentOf("f")).not.toBeNull();
  });

  it("moves a node with its subtree to its backup, or to another hub outside its subtree", () => {
    const p = new TreePlanner({ maxFanout: 3 });
    for (const id of ["r", "a", "b", "c", "d"]) p.addNode(info(id));
    const moved = p.snapshot().nodes.find((n) => n.depth === 2)!;
    const old = moved.parent!;
    const backup = p.backupOf(moved.id);
    const moves = p.reparentToBackup(moved.id);
    expect(moves.find((m) => m.node === moved.id)?.reason).toBe("repair");
    expect(p.parentOf(moved.id)).not.toBe(old);
    if (backup !== null) expect(p.parentOf(moved.id)).toBe(backup);
    expect(p.reparentToBackup("r")).toEqual([]); // the root has no parent to leave
  });
});

describe("RoomRebuild", () => {
  it("holds a node until its parent is back, then drains the whole fragment", () => {
    const p = new TreePlanner({ maxFanout: 3 });
    const rb = new RoomRebuild(p);
    rb.add(info("d"), { parent: "a", backup: null, children: [] });
    rb.add(info("a"), { parent: "r", backup: null, children: ["d"] });
    expect(p.has("a")).toBe(false);
    expect(rb.complete).toBe(false);
    rb.add(info("r"), { parent: null, backup: null, children: ["a"] });
    expect(p.parentOf("a")).toBe("r");
    expect(p.parentOf("d")).toBe("a");
    expect(rb.complete).toBe(true);
  });

  it("places a fragment whose parent never came back, keeping the fragment whole", () => {
    const p = new TreePlanner({ maxFanout: 3 });
    const rb = new RoomRebuild(p);
    rb.add(info("r"), { parent: null, backup: null, children: ["gone"] });
    rb.add(info("x"), { parent: "gone", backup: null, children: ["y"] });
    rb.add(info("y"), { parent: "x", backup: null, children: [] });
    expect(rb.complete).toBe(false);
    rb.finish();
    expect(p.parentOf("x")).toBe("r");
    expect(p.parentOf("y")).toBe("x");
  });
});

describe("link-lost", () => {
  it("a dead hub (socket gone, media gone) is removed at once, not after the grace period; its children go to their backups", async () => {
    const s = await server({ disconnectGraceMs: 30_000 });
    const cs = await choir(s, "lost", 7);
    const tree = s.tree("lost");
    const hub = tree.nodes.find((n) => n.parent !== null && n.children.length > 0)!;
    const hubClient = cs.find((c) => c.id === hub.id)!;
    const kids = cs.filter((c) => hub.children.includes(c.id!));
    const backups = new Map(kids.map((k) => [k.id!, tree.nodes.find((n) => n.id === k.id)!.backup]));
    hubClient.socket.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    // Within the grace period the hub keeps its place.
    expect(s.tree("lost").nodes.some((n) => n.id === hub.id)).toBe(true);
    const t0 = performance.now();
    kids[0].send({ type: "link-lost", peer: hub.id });
    const u = await kids[0].next("tree-update");
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(u.reason).toBe("repair");
    expect(s.tree("lost").nodes.some((n) => n.id === hub.id)).toBe(false);
    for (const k of kids) {
      await roundTrip(k);
      const b = backups.get(k.id!);
      if (b !== null && b !== undefined) expect(k.known!.parent).toBe(b);
      expect(k.known!.backup).not.toBe(hub.id);
    }
    expect(toldMatchesTree(s, "lost", cs.filter((c) => c !== hubClient))).toEqual([]);
  });

  it("a live parent: nothing happens without `move`; with `move` the reporter goes to its backup", async () => {
    const s = await server();
    const cs = await choir(s, "move", 7);
    const tree = s.tree("move");
    const n = tree.nodes.find((x) => x.depth === 2 && x.backup !== null)!;
    const me = cs.find((c) => c.id === n.id)!;
    me.send({ type: "link-lost", peer: n.parent });
    await roundTrip(me);
    expect(await me.drain(50)).toEqual([]);
    expect(s.tree("move").nodes.find((x) => x.id === n.id)!.parent).toBe(n.parent);
    me.send({ type: "link-lost", peer: n.parent, move: true });
    const u = await me.next("tree-update");
    expect(u).toMatchObject({ parent: n.backup, reason: "repair" });
    expect(u.backup).not.toBe(n.backup);
    // A stale report (no longer the parent) changes nothing.
    me.send({ type: "link-lost", peer: n.parent, move: true });
    await roundTrip(me);
    expect(s.tree("move").nodes.find((x) => x.id === n.id)!.parent).toBe(n.backup);
    for (const c of cs) await roundTrip(c);
    expect(toldMatchesTree(s, "move", cs)).toEqual([]);
  });

  it("refuses a malformed report with invalid-message", async () => {
    const s = await server();
    const [c] = await choir(s, "bad", 1);
    c.send({ type: "link-lost", peer: "x y" });
    expect(await c.next("error")).toMatchObject({ code: "invalid-message" });
  });
});

describe("restart: the room is rebuilt from what the nodes report", () => {
  it("every node back at its place, no tree-update before all are in, ids kept", async () => {
    const s1 = await startServer({ planner: { maxFanout: 2 }, resumeSecret: "k" });
    const port = s1.port;
    const cs = await choir(s1, "rb", 7);
    const before = s1.tree("rb");
    await s1.close();
    for (const c of cs) c.close();
    clients = [];
    const s2 = await startServer({ port, planner: { maxFanout: 2 }, resumeSecret: "k", restoreWindowMs: 5000 });
    servers.push(s2);
    // Nodes come back children first (the worst order for a rebuild).
    const order = [...before.nodes].sort((a, b) => b.depth - a.depth);
    const back: TestClient[] = [];
    for (const n of order) {
      const c = await client(s2);
      const token = resumeTokens.get(n.id)!;
      const j = await c.join("rb", { ...HUBBY, name: n.name, resume: token, restore: { parent: n.parent, backup: n.backup, children: n.children } });
      expect(j).toMatchObject({ id: n.id, parent: n.parent, children: n.children, resumed: true });
      back.push(c);
    }
    for (const c of back) await roundTrip(c);
    expect(parents(s2.tree("rb"))).toEqual(parents(before));
    // Told nothing that moves anyone: at most a new backup.
    for (const c of back) {
      for (const m of await c.drain(50)) {
        if (m.type !== "tree-update") continue;
        const n = before.nodes.find((x) => x.id === c.id)!;
        expect(m.parent).toBe(n.parent);
        expect([...m.children].sort()).toEqual([...n.children].sort());
      }
    }
    expect(toldMatchesTree(s2, "rb", back)).toEqual([]);
  });
});
