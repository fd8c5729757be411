/**
 * Signaling servers sharing rooms through a real Redis (Debian's redis-server on a free port):
 * joins split between two processes land in one tree, signals cross between them, limits hold
 * across them, the room's owner killed (SIGKILL) leaves the room as it was, and Redis going away
 * refuses joins without touching the members.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JoinedMessage, TreeMessage } from "@choirmesh/protocol";
import { spawnSignaling, type SignalingProcess } from "@choirmesh/signaling/server-process";
import { startRedis, type RedisProcess } from "@choirmesh/signaling/redis-process";
import type { SignalingServer } from "@choirmesh/signaling/server";
import { httpGet, HUB, OPEN_HUB, startServer, TestClient } from "./server.fixtures.js";

let redis: RedisProcess;
const open: { close(): unknown }[] = [];
const servers: (SignalingServer | SignalingProcess)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  for (const s of servers.splice(0)) await ("close" in s ? s.close() : s.kill());
  await redis.flush();
});
afterAll(async () => {
  await redis?.stop();
});

async function client(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  open.push(c);
  return c;
}

/** A room of `n`: a dedicated hub, two hubs, singers; joins alternate between the urls. */
async function choir(room: string, urls: string[], n: number): Promise<{ clients: TestClient[]; joined: JoinedMessage[] }> {
  const clients: TestClient[] = [];
  const joined: JoinedMessage[] = [];
  for (let i = 0; i < n; i++) {
    const c = await client(urls[i % urls.length]!);
    const as = i === 0 ? HUB : i < 3 ? { ...OPEN_HUB, name: `hub${i}` } : { name: `singer${i}` };
    joined.push(await c.join(room, as));
    clients.push(c);
  }
  return { clients, joined };
}

const shape = (t: TreeMessage) =>
  t.nodes
    .map((n) => `${n.id}<${n.parent ?? "-"}`)
    .sort()
    .join(" ");

async function treeVia(c: TestClient): Promise<TreeMessage> {
  c.send({ type: "tree" });
  return c.next("tree", 5000);
}

describe("signaling on Redis", () => {
  it("places joins split between two processes in one tree, and relays signals across them", async () => {
    const a = await startServer({ redis: redis.url, logLevel: process.env.DBG ? "info" : "silent" });
    const b = await startServer({ redis: redis.url, logLevel: process.env.DBG ? "info" : "silent" });
    servers.push(a, b);
    const { clients, joined } = await choir("split", [a.url, b.url], 10);
    expect(new Set(joined.map((j) => j.id)).size).toBe(10);
    const viaA = await treeVia(clients[0]!);
    const viaB = await treeVia(clients[1]!);
    expect(viaA.nodes).toHaveLength(10);
    expect(shape(viaB)).toBe(shape(viaA));
    // Everyone was told the place the tree has (no double placement, no lost update).
    await Promise.all(clients.map((c) => c.drain(100)));
    const byId = new Map(viaA.nodes.map((n) => [n.id, n]));
    for (const c of clients) expect(c.known!.parent, c.id).toBe(byId.get(c.id!)!.parent);
    // A singer on one process signals its parent on whichever process holds it.
    const singer = clients.find((c, i) => i >= 3 && clients.findIndex((p) => p.id === c.known!.parent) % 2 !== i % 2)!;
    const parent = clients.find((p) => p.id === singer.known!.parent)!;
    singer.send({ type: "signal", to: parent.id, kind: "offer", data: { sdp: "v=0 cross" } });
    const got = await parent.next("signal", 3000);
    expect(got.from).toBe(singer.id);
    expect(got.data).toEqual({ sdp: "v=0 cross" });
  });

  it("holds the join rate, the sockets and the rooms per address across processes", async () => {
    const opts = { redis: redis.url, joinRatePerIp: { burst: 4, perSec: 0.01 }, maxSocketsPerIp: 4, maxRoomsPerIp: 1 };
    const a = await startServer(opts);
    const b = await startServer(opts);
    servers.push(a, b);
    const cs = [await client(a.url), await client(b.url), await client(a.url), await client(b.url)];
    await cs[0]!.join("limits", HUB);
    await cs[1]!.join("limits");
    // The address opened a room on A already: not another one on B.
    await expect(cs[2]!.join("other", HUB)).rejects.toThrow(/address-limit/);
    await cs[2]!.join("limits");
    // Four joins from 127.0.0.1 over both processes: the bucket is empty.
    await expect(cs[3]!.join("limits")).rejects.toThrow(/join-rate-limited/);
    // Four sockets are open from 127.0.0.1, two on each process: a fifth is refused on either.
    await expect(TestClient.connect(b.url)).rejects.toThrow(/address-limit/);
    cs[3]!.close();
    await new Promise((r) => setTimeout(r, 200));
    open.push(await TestClient.connect(a.url));
  });

  it.each([
    ["the room's owner", 0],
    ["the other process", 1],
  ])("keeps the room as it was when %s is killed: its clients resume on the other process, nobody moves", async (_what, killed) => {
    const owner = await spawnSignaling(["--redis", redis.url]);
    const other = await spawnSignaling(["--redis", redis.url]);
    servers.push(owner, other);
    const [a, b] = killed === 0 ? [owner, other] : [other, owner];
    // The first join reaches the owner (it opens the room); the others alternate.
    const { clients, joined } = await choir("song", killed === 0 ? [a.url, b.url] : [b.url, a.url], 12);
    // Clients of the process to be killed: the even ones when it is the owner, the odd ones otherwise.
    const ofA = (i: number) => i % 2 === killed;
    const watcher = clients[killed === 0 ? 1 : 0]!;
    const before = await treeVia(watcher);
    expect(before.nodes).toHaveLength(12);
    await Promise.all(clients.map((c) => c.drain(50)));
    const killedAt = performance.now();
    await a.kill();
    // A's clients lose their socket; each reconnects to B and resumes with its token and its place.
    const resumed = await Promise.all(
      clients.map(async (c, i) => {
        if (!ofA(i)) return null;
        const again = await client(b.url);
        const k = c.known!;
        for (;;) {
          again.send({ type: "join", v: 1, room: "song", name: "x", section: "alto", canHub: i < 3, uploadKbps: i < 3 ? 100_000 : 1000, hasVoice: i !== 0, ...(i === 0 ? { dedicated: true } : {}), resume: joined[i]!.resumeToken, restore: { parent: k.parent, backup: k.backup, children: k.children } });
          const m = await again.nextOf(["joined", "error"], 8000);
          if (m.type === "joined") return { m, ms: performance.now() - killedAt, was: k };
          // The old socket is still counted until B sees A gone: try again shortly.
          if (m.type === "error" && m.code !== "resume-in-use") throw new Error(`${m.code}: ${m.message}`);
          await new Promise((r) => setTimeout(r, 150));
        }
      }),
    );
    for (const [i, r] of resumed.entries()) {
      if (!r) continue;
      expect(r.m.id).toBe(joined[i]!.id);
      expect(r.m.resumed).toBe(true);
      expect(r.m.parent).toBe(r.was.parent);
      expect([...r.m.children].sort()).toEqual([...r.was.children].sort());
    }
    const slowest = Math.max(...resumed.map((r) => r?.ms ?? 0));
    expect(slowest).toBeLessThan(3000);
    // B's own clients were told nothing: nobody moved.
    for (const [i, c] of clients.entries()) if (!ofA(i)) expect((await c.drain(300)).filter((m) => m.type === "tree-update")).toEqual([]);
    const after = await treeVia(watcher);
    expect(shape(after)).toBe(shape(before));
    expect(after.epoch).toBeGreaterThanOrEqual(before.epoch);
    // The survivor says what it did: took the room over (owner killed), or kept owning it.
    const metrics = (await httpGet(`${b.url}/metrics`)).body;
    expect(metrics).toContain(`choirmesh_signaling_takeovers_total ${killed === 0 ? 1 : 0}`);
  });

  it("hands the room over at once when its owner stops cleanly (SIGTERM): no wait for the lease", async () => {
    const a = await spawnSignaling(["--redis", redis.url]);
    const b = await spawnSignaling(["--redis", redis.url]);
    servers.push(a, b);
    const { clients, joined } = await choir("handover", [a.url, b.url], 4);
    const before = await treeVia(clients[1]!);
    const t0 = performance.now();
    await a.stop();
    // A's clients come back through B; the room is B's without waiting for A's lease to run out.
    const again = await client(b.url);
    again.send({ type: "join", v: 1, room: "handover", name: "x", section: "", canHub: true, uploadKbps: 100_000, hasVoice: false, dedicated: true, resume: joined[0]!.resumeToken });
    const m = await again.nextOf(["joined", "error"], 5000);
    expect(m.type).toBe("joined");
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(shape(await treeVia(clients[1]!))).toBe(shape(before));
  });

  it("refuses joins with 'unavailable' while Redis is away, leaves the members alone, and recovers when it is back", async () => {
    const a = await startServer({ redis: redis.url });
    const b = await startServer({ redis: redis.url });
    servers.push(a, b);
    const { clients } = await choir("outage", [a.url, b.url], 6);
    const before = await treeVia(clients[0]!);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 2000)); // beyond every lease
    const late = await client(b.url);
    await expect(late.join("outage")).rejects.toThrow(/unavailable/);
    const late2 = await client(a.url);
    await expect(late2.join("outage")).rejects.toThrow(/unavailable/);
    for (const c of clients) expect(c.socket.connected).toBe(true);
    // A new, empty Redis on the same port: the owner claims its room back and saves it again.
    await redis.restart();
    let m: JoinedMessage | undefined;
    for (let i = 0; i < 40 && !m; i++) {
      m = await late.join("outage").catch(() => undefined);
      if (!m) await new Promise((r) => setTimeout(r, 250));
    }
    expect(m, "a join after Redis came back").toBeDefined();
    const after = await treeVia(clients[1]!);
    expect(after.nodes).toHaveLength(7);
    expect(shape({ ...after, nodes: after.nodes.filter((n) => n.id !== m!.id) })).toBe(shape(before));
    for (const c of clients) {
      expect(c.socket.connected).toBe(true);
      const moved = (await c.drain(50)).filter((x) => x.type === "tree-update" && x.parent !== c.known?.parent);
      expect(moved).toEqual([]);
    }
  });
});
