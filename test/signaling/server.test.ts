import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { metricValue } from "@choirmesh/signaling/metrics";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import type { SignalingServer } from "@choirmesh/signaling/server";
import { HUB, httpGet, roundTrip, startServer, TestClient, toldMatchesTree } from "./server.fixtures.js";

let server: SignalingServer;
const clients: TestClient[] = [];
async function client(): Promise<TestClient> {
  const c = await TestClient.connect(server.url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = await startServer({ planner: { maxFanout: 2 } });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await server.close();
});

describe("join flow", () => {
  it("answers a join with id, place, media settings and a resume token; tells the parent", async () => {
    const a = await client();
    a.send({ type: "join", v: 1, ref: "j1", room: "flow", ...HUB });
    const ja = await a.next("joined");
    expect(ja).toMatchObject({ type: "joined", v: 1, ref: "j1", room: "flow", parent: null, backup: null, children: [], resumed: false });
    expect(ja.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(ja.media).toEqual(DEFAULT_MEDIA);
    expect(ja.resumeToken.split(".")).toHaveLength(3);

    const b = await client();
    const jb = await b.join("flow", { name: "Bea", section: "soprano" });
    expect(jb.parent).toBe(ja.id);
    expect(jb.id).not.toBe(ja.id);
    const upd = await a.next("tree-update");
    expect(upd).toMatchObject({ type: "tree-update", parent: null, backup: null, children: [jb.id], reason: "join" });
    expect(upd.epoch).toBe(jb.epoch);

    const tree = server.tree("flow");
    expect(tree.root).toBe(ja.id);
    expect(tree.nodes.find((n) => n.id === jb.id)).toMatchObject({ name: "Bea", section: "soprano", parent: ja.id, depth: 1, hasVoice: true });
  });

  it("keeps every node told exactly its place as nodes join and leave", async () => {
    const all: TestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await client();
      await h.join("churn", { ...HUB, dedicated: false, name: `hub${i}` });
      all.push(h);
    }
    for (let i = 0; i < 6; i++) {
      const s = await client();
      await s.join("churn", { name: `s${i}`, section: i % 2 ? "alto" : "bass", canHub: true, uploadKbps: 2000 });
      all.push(s);
    }
    await Promise.all(all.map(roundTrip));
    expect(toldMatchesTree(server, "churn", all)).toEqual([]);
    const tree = server.tree("churn");
    expect(tree.nodes).toHaveLength(9);
    expect(Math.max(...tree.nodes.map((n) => n.depth))).toBeGreaterThanOrEqual(2);

    // A non-root node with children drops: its children must hear where they go now.
    const inner = tree.nodes.find((n) => n.parent !== null && n.children.length > 0)!;
    expect(inner).toBeDefined();
    const orphans = all.filter((c) => inner.children.includes(c.id!));
    for (const c of all) c.inbox.length = 0;
    all.find((c) => c.id === inner.id)!.close();
    for (const o of orphans) {
      const u = await o.next("tree-update");
      expect(u.parent).not.toBe(inner.id);
      expect(u.parent).not.toBe(null);
      expect(u.reason).toMatch(/^(leave|repair)$/);
    }
    const rest = all.filter((c) => c.id !== inner.id);
    await Promise.all(rest.map(roundTrip));
    expect(toldMatchesTree(server, "churn", rest)).toEqual([]);
    const after = server.tree("churn");
    expect(after.nodes).toHaveLength(8);
    expect(after.nodes.filter((n) => n.id === inner.id || n.children.includes(inner.id) || n.backup === inner.id)).toEqual([]);

    // The root leaves explicitly: it gets "left", and the room keeps one root.
    const root = rest.find((c) => c.id === after.root)!;
    root.send({ type: "leave", ref: 9 });
    expect(await root.next("left")).toEqual({ type: "left", ref: 9 });
    const left = rest.filter((c) => c !== root);
    await Promise.all(left.map(roundTrip));
    expect(toldMatchesTree(server, "churn", left)).toEqual([]);
    const final = server.tree("churn");
    expect(final.nodes).toHaveLength(7);
    expect(final.nodes.filter((n) => n.parent === null).map((n) => n.id)).toEqual([final.root]);
  });

  it("lets a singer wait until a hub arrives, then places it", async () => {
    const s = await client();
    const js = await s.join("wait", { canHub: false, uploadKbps: 500 });
    expect(js).toMatchObject({ parent: null, waiting: true, children: [] });
    expect(server.tree("wait").root).toBe(null);
    const h = await client();
    const jh = await h.join("wait", HUB);
    expect(jh).toMatchObject({ parent: null, waiting: false });
    const u = await s.next("tree-update");
    expect(u).toMatchObject({ parent: jh.id, waiting: false, reason: "join" });
    await roundTrip(h);
    expect(h.known!.children).toEqual([js.id]);
    expect(toldMatchesTree(server, "wait", [s, h])).toEqual([]);
  });

  it("closes an empty room and lets a socket join again after leave", async () => {
    const a = await client();
    await a.join("again", HUB);
    a.send({ type: "leave" });
    await a.next("left");
    expect(server.store.get("again")).toBe(undefined);
    const j = await a.join("again", HUB);
    expect(j.parent).toBe(null);
  });
});

describe("relay between tree neighbours", () => {
  it("relays offers, answers and candidates both ways with the sender's id", async () => {
    const a = await client();
    const ja = await a.join("relay", HUB);
    const b = await client();
    const jb = await b.join("relay");
    await a.next("tree-update");
    const offer = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" };
    b.send({ type: "signal", to: ja.id, kind: "offer", data: offer });
    expect(await a.next("signal")).toEqual({ type: "signal", from: jb.id, kind: "offer", data: offer });
    const answer = { type: "answer", sdp: "v=0\r\n" };
    a.send({ type: "signal", to: jb.id, kind: "answer", data: answer });
    expect(await b.next("signal")).toEqual({ type: "signal", from: ja.id, kind: "answer", data: answer });
    const cand = { candidate: { candidate: "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 } };
    b.send({ type: "signal", to: ja.id, kind: "candidate", data: cand });
    expect(await a.next("signal")).toEqual({ type: "signal", from: jb.id, kind: "candidate", data: cand });
    expect(await metricValue(server.metrics.signals, { kind: "offer" })).toBeGreaterThanOrEqual(1);
  });

  it("relays between a node and its backup parent, both ways", async () => {
    const hubs: TestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await client();
      await h.join("backup", { ...HUB, name: `hub${i}` });
      hubs.push(h);
    }
    const s = await client();
    const js = await s.join("backup");
    await Promise.all([...hubs, s].map(roundTrip));
    const node = server.tree("backup").nodes.find((n) => n.backup !== null && n.id !== js.id) ?? server.tree("backup").nodes.find((n) => n.backup !== null);
    expect(node).toBeDefined();
    const all = [...hubs, s];
    const child = all.find((c) => c.id === node!.id)!;
    const backup = all.find((c) => c.id === node!.backup)!;
    child.send({ type: "signal", to: backup.id, kind: "offer", data: { sdp: "warm" } });
    expect(await backup.next("signal")).toMatchObject({ from: child.id, data: { sdp: "warm" } });
    backup.send({ type: "signal", to: child.id, kind: "answer", data: { sdp: "ok" } });
    expect(await child.next("signal")).toMatchObject({ from: backup.id, data: { sdp: "ok" } });
  });

  it("refuses a signal to a sibling, to itself, to an unknown id and to another room's node", async () => {
    const a = await client();
    await a.join("fence", HUB);
    const b = await client();
    const jb = await b.join("fence");
    const c = await client();
    const jc = await c.join("fence");
    const d = await client();
    const jd = await d.join("fence-other", HUB);
    await Promise.all([a, b, c, d].map(roundTrip));
    a.inbox.length = 0;
    const tree = server.tree("fence");
    expect(tree.nodes.find((n) => n.id === jb.id)!.parent).toBe(tree.root);
    expect(tree.nodes.find((n) => n.id === jc.id)!.parent).toBe(tree.root);
    const before = await metricValue(server.metrics.signals, { kind: "offer" });
    for (const [to, ref] of [[jc.id, "sib"], [jb.id, "self"], ["nUnknown", "unk"], [jd.id, "other"]] as const) {
      b.send({ type: "signal", ref, to, kind: "offer", data: { sdp: "x" } });
      expect(await b.next("error")).toEqual({ type: "error", code: "not-neighbour", message: expect.any(String), ref });
    }
    // Nothing was relayed anywhere.
    const leaked = [...(await c.drain(150)), ...(await d.drain(0)), ...(await a.drain(0))].filter((m) => m.type === "signal");
    expect(leaked).toEqual([]);
    expect(await metricValue(server.metrics.signals, { kind: "offer" })).toBe(before);
  });
});

describe("tree request, rtt, http", () => {
  it("gives a director the room tree without joining, and takes rtt reports", async () => {
    const a = await client();
    const ja = await a.join("view", HUB);
    const b = await client();
    const jb = await b.join("view", { latency: { rtts: [{ to: ja.id, rttMs: 20 }], location: { lat: 52.5, lon: 13.4 } } });
    const before = await metricValue(server.metrics.rtts);
    b.send({ type: "rtt", samples: [{ to: ja.id, rttMs: 18 }, { to: "nGone", rttMs: 5 }] });
    const director = await client();
    director.send({ type: "tree", room: "view", ref: "t" });
    const t = await director.next("tree");
    expect(t).toMatchObject({ type: "tree", ref: "t", room: "view", root: ja.id });
    expect(t.nodes.map((n) => [n.id, n.parent, n.depth]).sort()).toEqual([[ja.id, null, 0], [jb.id, ja.id, 1]].sort());
    expect(await metricValue(server.metrics.rtts)).toBe(before + 1);
  });

  it("serves the public folder, /metrics, and nothing outside the folder", async () => {
    const index = await httpGet(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.type).toMatch(/text\/html/);
    expect(index.body).toMatch(/choirmesh/);
    const m = await httpGet(`${server.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/^choirmesh_signaling_rooms \d+$/m);
    expect(m.body).toMatch(/^choirmesh_signaling_joins_total \d+$/m);
    expect(m.body).toMatch(/^choirmesh_signaling_errors_total\{code="not-neighbour"\} 4$/m);
    expect(m.body).toMatch(/^choirmesh_signaling_signals_relayed_total\{kind="offer"\} [1-9]\d*$/m);
    for (const p of ["/../package.json", "/..%2fpackage.json", "/%2e%2e/%2e%2e/package.json", "/..%5c..%5cpackage.json", "/.git/config", "/%00", "/%E0%A4%A"]) {
      const r = await httpGet(`${server.url}${p}`);
      expect([400, 404]).toContain(r.status);
      expect(r.body).not.toMatch(/choirmesh|\[core\]/);
    }
  });
});
