/**
 * The server as an attacker sees it, over real socket.io: restore only while a room is rebuilt
 * and only within the planner's rules, resume tokens that cannot displace a live node, limits in
 * bytes as sent, floods cut, limits per address, reserved dedicated hubs, rate-limited moves.
 * One describe per finding of the hardening review (docs/protocol.md states each rule).
 */
import { metricValue } from "@choirmesh/signaling/metrics";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerMessage } from "@choirmesh/protocol";
import type { SignalingServer, StartOptions } from "@choirmesh/signaling/server";
import { createResumeToken, createRoomToken } from "@choirmesh/signaling/tokens";
import { HUB, httpGet, OPEN_HUB, roundTrip, startServer, TestClient } from "./server.fixtures.js";

let server: SignalingServer | undefined;
const clients: TestClient[] = [];
async function start(opts: StartOptions = {}): Promise<SignalingServer> {
  server = await startServer(opts);
  return server;
}
async function client(localAddress?: string): Promise<TestClient> {
  const c = await TestClient.connect(server!.url, localAddress ? { localAddress } : {});
  clients.push(c);
  return c;
}
const SINGER = { type: "join", v: 1, name: "x", section: "", canHub: false, uploadKbps: 500, hasVoice: true };
/** Sends a join and returns the reply: the joined message or the error. */
async function joinReply(c: TestClient, room: string, extra: Record<string, unknown> = {}): Promise<ServerMessage> {
  c.send({ ...SINGER, room, ...extra });
  return c.nextOf(["joined", "error"]);
}
async function refusal(c: TestClient, room: string, extra: Record<string, unknown> = {}): Promise<string> {
  const m = await joinReply(c, room, extra);
  return m.type === "error" ? m.code : `joined as ${m.type === "joined" ? m.id : "?"}`;
}
const RESUME_KEY = "resume-key";
const resumeFor = (room: string, node: string) => createResumeToken({ room, node, secret: RESUME_KEY, ttlSec: 600 });

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  if (server) expect((await httpGet(`${server.url}/healthz`)).status).toBe(200);
  await server?.close();
  server = undefined;
});

describe("1. restore only while a room is rebuilt, within the planner's rules", () => {
  it("refuses a restore into a room the server holds, and a restore without resume", async () => {
    await start({ resumeSecret: RESUME_KEY });
    const h = await client();
    const jh = await h.join("r", HUB);
    const s = await client();
    const js = await s.join("r");
    s.close();
    await h.next("tree-update");
    const back = await client();
    const restore = { parent: jh.id, backup: null, children: [] };
    expect(await refusal(back, "r", { resume: js.resumeToken, restore })).toBe("restore-refused");
    expect(await refusal(back, "r", { restore })).toBe("restore-refused");
    // The same node without restore takes its id back at a place the planner picks.
    expect(await joinReply(back, "r", { resume: js.resumeToken })).toMatchObject({ type: "joined", id: js.id, resumed: true });
  });

  it("refuses restores under a singer that cannot hub, past a hub's cap and past the room size", async () => {
    await start({ resumeSecret: RESUME_KEY, maxRoomSize: 5, planner: { maxFanout: 2, maxFanoutDedicated: 2 }, restoreWindowMs: 2000 });
    const h = await client();
    const jh = await joinReply(h, "rb", { ...HUB, resume: resumeFor("rb", "h1"), restore: { parent: null, backup: null, children: ["a1", "a2", "a3"] } });
    expect(jh).toMatchObject({ type: "joined", id: "h1", parent: null });
    const a = [await client(), await client(), await client()];
    expect(await joinReply(a[0]!, "rb", { resume: resumeFor("rb", "a1"), restore: { parent: "h1", backup: null, children: [] } })).toMatchObject({ type: "joined", id: "a1", parent: "h1" });
    expect(await joinReply(a[1]!, "rb", { resume: resumeFor("rb", "a2"), restore: { parent: "h1", backup: null, children: [] } })).toMatchObject({ type: "joined", id: "a2", parent: "h1" });
    // A third child of a hub whose cap is two.
    expect(await refusal(a[2]!, "rb", { resume: resumeFor("rb", "a3"), restore: { parent: "h1", backup: null, children: [] } })).toBe("restore-refused");
    // Under a singer that carries nobody.
    const u = await client();
    expect(await refusal(u, "rb", { resume: resumeFor("rb", "u1"), restore: { parent: "a1", backup: null, children: [] } })).toBe("restore-refused");
    // Room size: three in the room, room of five; two more restores fit, the next does not.
    const more = [await client(), await client(), await client()];
    await joinReply(more[0]!, "rb", { ...HUB, name: "m1", resume: resumeFor("rb", "m1"), restore: { parent: null, backup: null, children: [] } });
    await joinReply(more[1]!, "rb", { ...HUB, name: "m2", resume: resumeFor("rb", "m2"), restore: { parent: null, backup: null, children: [] } });
    expect(await refusal(more[2]!, "rb", { ...HUB, resume: resumeFor("rb", "m3"), restore: { parent: null, backup: null, children: [] } })).toBe("room-full");
    expect(server!.tree("rb").nodes.length).toBeLessThanOrEqual(5);
    const byId = new Map(server!.tree("rb").nodes.map((n) => [n.id, n]));
    expect(byId.get("h1")!.children.length).toBeLessThanOrEqual(2);
    expect(byId.get("a1")!.children).toEqual([]);
  });

  it("keeps a full room full against stored resume tokens with restore", async () => {
    await start({ resumeSecret: RESUME_KEY, maxRoomSize: 4 });
    const h = await client();
    const jh = await h.join("full", HUB);
    // Six nodes join and leave: their resume tokens are kept.
    const tokens: string[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await client();
      tokens.push((await c.join("full", { ...HUB, name: `n${i}` })).resumeToken);
      c.send({ type: "leave" });
      await c.next("left");
    }
    for (let i = 0; i < 3; i++) await (await client()).join("full");
    expect(server!.tree("full").nodes).toHaveLength(4);
    for (const t of tokens) {
      const c = await client();
      const code = await refusal(c, "full", { ...HUB, resume: t, restore: { parent: jh.id, backup: null, children: [] } });
      expect(["room-full", "restore-refused"]).toContain(code);
    }
    expect(server!.tree("full").nodes).toHaveLength(4);
  });
});

describe("2. a resume token cannot displace a live node", () => {
  it("refuses the token while its node's socket is connected, and the node keeps everything", async () => {
    await start({ disconnectGraceMs: 5000 });
    const h = await client();
    const jh = await h.join("g", HUB);
    const s = await client();
    const js = await s.join("g");
    await h.next("tree-update");
    const thief = await client();
    expect(await refusal(thief, "g", { resume: js.resumeToken })).toBe("resume-in-use");
    expect(s.socket.connected).toBe(true);
    expect(await s.drain(100)).toEqual([]);
    h.send({ type: "signal", to: js.id, kind: "offer", data: { sdp: "still you" } });
    expect(await s.next("signal")).toMatchObject({ from: jh.id, data: { sdp: "still you" } });
    expect(thief.inbox.filter((m) => m.type === "signal")).toEqual([]);
    // Once the node's socket has gone, its token is its own again.
    s.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(await joinReply(thief, "g", { resume: js.resumeToken })).toMatchObject({ type: "joined", id: js.id, parent: jh.id, resumed: true });
  });
});

describe("3. limits counted in bytes as sent", () => {
  async function pair(): Promise<{ h: TestClient; s: TestClient; hid: string }> {
    await start();
    const h = await client();
    const jh = await h.join("b", HUB);
    const s = await client();
    await s.join("b");
    await h.next("tree-update");
    return { h, s, hid: jh.id };
  }
  /** What became of one signal: the sender's error code, or "relayed" when the parent got it. */
  const signalReply = async (s: TestClient, h: TestClient, to: string, data: unknown): Promise<string> => {
    s.inbox.length = 0;
    h.inbox.length = 0;
    s.send({ type: "signal", to, kind: "offer", data, ref: "x" });
    await roundTrip(s);
    await roundTrip(h);
    const err = s.inbox.find((m) => m.type === "error");
    if (err && err.type === "error") return err.code;
    return h.inbox.some((m) => m.type === "signal") ? "relayed" : "lost";
  };

  it("refuses signal data over 32 KiB of UTF-8 or of JSON escapes", async () => {
    const { h, s, hid } = await pair();
    expect(await signalReply(s, h, hid, { sdp: "€".repeat(30_000) })).toBe("too-large");
    expect(await signalReply(s, h, hid, { sdp: "\u0001".repeat(30_000) })).toBe("too-large");
    expect(await signalReply(s, h, hid, { sdp: "€".repeat(10_000) })).toBe("relayed");
  });

  it("relays an array of 8,000 zeros (16 KB on the wire)", async () => {
    const { h, s, hid } = await pair();
    expect(await signalReply(s, h, hid, { zeros: new Array(8000).fill(0) })).toBe("relayed");
  });
});

describe("4. a flooding socket is cut, once", () => {
  it("disconnects a socket whose refusals keep coming between accepted messages", async () => {
    await start({ messageRate: { burst: 5, perSec: 50 }, floodLimit: { burst: 40, perSec: 1 } });
    const [spam, calm] = [await client(), await client()];
    await calm.join("f", HUB);
    const errors: string[] = [];
    spam.socket.on("msg", (m: ServerMessage) => m.type === "error" && errors.push(m.code));
    const closed = new Promise<string>((r) => spam.socket.once("disconnect", (reason) => r(reason)));
    // 200 messages a second for 2 s against 50 a second allowed: accepted ones interleave.
    for (let i = 0; i < 400 && spam.socket.connected; i++) {
      spam.send({ type: "rtt", samples: [{ to: "n1", rttMs: 1 }] });
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r("still connected"), 1000))])).toBe("io server disconnect");
    expect(errors.filter((c) => c === "flooding")).toEqual(["flooding"]);
    expect(errors.filter((c) => c === "rate-limited").length).toBeLessThanOrEqual(40);
    expect(await metricValue(server!.metrics.floods)).toBe(1);
    expect(calm.socket.connected).toBe(true);
  });
});

describe("5. limits per address", () => {
  it("caps the rooms one address keeps open; other addresses still open theirs", async () => {
    await start({ maxRoomsPerIp: 3 });
    for (let i = 0; i < 3; i++) await (await client()).join(`room${i}`, HUB);
    const c = await client();
    expect(await refusal(c, "room3", HUB)).toBe("address-limit");
    // Joining a room that is open already is not opening one.
    expect(await joinReply(c, "room0")).toMatchObject({ type: "joined" });
    const other = await client("127.0.0.2");
    expect(await joinReply(other, "room3", HUB)).toMatchObject({ type: "joined" });
    // A room closed gives its address the slot back (room1's only member leaves).
    clients[1]!.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(await joinReply(await client(), "room4", HUB)).toMatchObject({ type: "joined" });
  });

  it("caps the sockets of one address with a reason", async () => {
    await start({ maxSocketsPerIp: 5 });
    for (let i = 0; i < 5; i++) await client();
    // The sixth is refused at the handshake, with the code and the reason in its connect_error.
    const refusedErr = await TestClient.connect(server!.url).then(
      (c) => (clients.push(c), null),
      (e: Error & { data?: { code?: string; message?: string } }) => e,
    );
    expect(refusedErr?.message).toBe("address-limit");
    expect(refusedErr?.data).toMatchObject({ code: "address-limit", message: expect.stringMatching(/5 connections/) });
    const other = await client("127.0.0.3");
    expect((await other.join("p", HUB)).parent).toBe(null);
    // A socket that closes frees its slot.
    clients[0]!.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await client();
    await roundTrip(again);
    expect(again.socket.connected).toBe(true);
  });
});

describe("6. smaller findings", () => {
  it("answers a top-level binary payload with binary-not-allowed", async () => {
    await start();
    const c = await client();
    c.send(Buffer.from("join"));
    expect((await c.next("error")).code).toBe("binary-not-allowed");
  });

  it("refuses C1 controls, lone surrogates and bidi overrides in names and sections", async () => {
    await start();
    const c = await client();
    for (const name of ["a\u0085b", "a\u009bb", "a\ud800b", "a\udc00", "a\u202eb", "a\u2028b"]) {
      expect(await refusal(c, "n", { name }), JSON.stringify(name)).toBe("invalid-message");
    }
    expect(await refusal(c, "n", { section: "s\u0085" })).toBe("invalid-message");
    expect(await joinReply(c, "n", { ...HUB, name: "Zoë 🎵 合唱" })).toMatchObject({ type: "joined" });
  });

  it("names a bad resume token on a secret server for what it is", async () => {
    await start({ secret: "k" });
    const c = await client();
    expect(await refusal(c, "s", { resume: "cm1.e30.AAAA" })).toBe("token-invalid");
    expect(await refusal(c, "s", { resume: createResumeToken({ room: "s", node: "n1", secret: "k", ttlSec: 1, nowMs: Date.now() - 5000 }) })).toBe("token-expired");
    // With a valid room token beside it, a bad resume token only costs the old id.
    const j = await joinReply(c, "s", { ...OPEN_HUB, resume: "cm1.e30.AAAA", token: createRoomToken({ room: "s", secret: "k", ttlSec: 60 }) });
    expect(j).toMatchObject({ type: "joined", resumed: false });
  });

  it("lets only a token that says so claim a dedicated hub on a secret server", async () => {
    await start({ secret: "k" });
    const plain = createRoomToken({ room: "d", secret: "k", ttlSec: 60 });
    const hubToken = createRoomToken({ room: "d", secret: "k", ttlSec: 60, dedicated: true });
    const s = await client();
    const js = await joinReply(s, "d", { canHub: true, uploadKbps: 100_000, token: plain });
    expect(js).toMatchObject({ type: "joined", parent: null });
    const fake = await client();
    expect(await refusal(fake, "d", { ...HUB, token: plain })).toBe("dedicated-refused");
    const real = await client();
    const jr = await joinReply(real, "d", { ...HUB, token: hubToken });
    expect(jr).toMatchObject({ type: "joined", parent: null });
    // Its resume token keeps the claim; a plain singer's does not grant it.
    real.close();
    await new Promise((r) => setTimeout(r, 100));
    const back = await client();
    expect(await joinReply(back, "d", { ...HUB, resume: (jr as { resumeToken: string }).resumeToken })).toMatchObject({ type: "joined", resumed: true });
    s.close();
    await new Promise((r) => setTimeout(r, 100));
    const sBack = await client();
    expect(await refusal(sBack, "d", { ...HUB, resume: (js as { resumeToken: string }).resumeToken })).toBe("dedicated-refused");
  });

  it("rate-limits the moves one node asks for", async () => {
    await start();
    const root = await client();
    await root.join("m", HUB);
    const hubs = [await client(), await client(), await client()];
    for (const [i, h] of hubs.entries()) await h.join("m", { canHub: true, uploadKbps: 100_000, hasVoice: true, name: `h${i}` });
    const s = await client();
    await s.join("m");
    for (const c of [root, ...hubs]) await roundTrip(c);
    const others = [root, ...hubs];
    for (const c of others) c.inbox.length = 0;
    let moved = 0;
    let refusedMoves = 0;
    for (let i = 0; i < 40; i++) {
      const parent = s.known!.parent;
      if (parent === null || s.known!.backup === null) break;
      s.inbox.length = 0;
      s.send({ type: "link-lost", peer: parent, move: true, ref: i });
      await roundTrip(s);
      if (s.inbox.some((m) => m.type === "tree-update")) moved++;
      if (s.inbox.some((m) => m.type === "error" && m.code === "move-rate-limited")) refusedMoves++;
    }
    expect(moved).toBeGreaterThanOrEqual(1);
    expect(moved).toBeLessThanOrEqual(2);
    expect(refusedMoves).toBeGreaterThan(30);
    await Promise.all(others.map(roundTrip));
    const updatesToOthers = others.reduce((n, c) => n + c.inbox.filter((m) => m.type === "tree-update").length, 0);
    expect(updatesToOthers).toBeLessThanOrEqual(8);
  });
});
