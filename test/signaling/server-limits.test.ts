/** Access (room tokens), limits (room size, rates, sizes) and resume, over real sockets. */
import { afterEach, describe, expect, it } from "vitest";
import type { SignalingServer } from "@choirmesh/signaling/server";
import { createRoomToken } from "@choirmesh/signaling/tokens";
import { HUB, httpGet, roundTrip, startServer, TestClient } from "./server.fixtures.js";

let server: SignalingServer | undefined;
const clients: TestClient[] = [];
async function client(): Promise<TestClient> {
  const c = await TestClient.connect(server!.url);
  clients.push(c);
  return c;
}
async function refused(c: TestClient, extra: Record<string, unknown>, room = "r"): Promise<string> {
  c.send({ type: "join", v: 1, room, name: "x", section: "", canHub: false, uploadKbps: 500, hasVoice: true, ...extra });
  return (await c.next("error")).code;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  if (server) expect((await httpGet(`${server.url}/healthz`)).status).toBe(200);
  await server?.close();
  server = undefined;
});

describe("room tokens", () => {
  it("needs a valid, unexpired token for the right room when the server has a secret", async () => {
    server = await startServer({ secret: "s3cret" });
    const c = await client();
    expect(await refused(c, {})).toBe("token-required");
    expect(await refused(c, { token: createRoomToken({ room: "r", secret: "s3cret", ttlSec: 1, nowMs: Date.now() - 5000 }) })).toBe("token-expired");
    expect(await refused(c, { token: createRoomToken({ room: "other", secret: "s3cret", ttlSec: 60 }) })).toBe("token-wrong-room");
    expect(await refused(c, { token: createRoomToken({ room: "r", secret: "guess", ttlSec: 60 }) })).toBe("token-invalid");
    expect(await refused(c, { token: "cm1.e30.AAAA" })).toBe("token-invalid");
    expect(server.store.size).toBe(0);
    const j = await c.join("r", { ...HUB, token: createRoomToken({ room: "r", secret: "s3cret", ttlSec: 60, dedicated: true }) });
    expect(j.parent).toBe(null);

    // A director's tree view needs the token too.
    const d = await client();
    d.send({ type: "tree", room: "r" });
    expect((await d.next("error")).code).toBe("token-required");
    d.send({ type: "tree", room: "r", token: createRoomToken({ room: "r", secret: "s3cret", ttlSec: 60 }) });
    expect((await d.next("tree")).nodes.map((n) => n.id)).toEqual([j.id]);
  });

  it("lets anyone in without a secret", async () => {
    server = await startServer();
    const c = await client();
    expect((await c.join("open", { token: "ignored" })).parent).toBe(null);
  });
});

describe("limits", () => {
  it("refuses a join beyond the room size, and takes it once there is room", async () => {
    server = await startServer({ maxRoomSize: 3 });
    const cs = await Promise.all([client(), client(), client(), client()]);
    await cs[0]!.join("small", HUB);
    await cs[1]!.join("small");
    await cs[2]!.join("small");
    expect(await refused(cs[3]!, {}, "small")).toBe("room-full");
    expect(server.tree("small").nodes).toHaveLength(3);
    expect((await cs[3]!.join("big")).parent).toBe(null);
    cs[3]!.send({ type: "leave" });
    await cs[3]!.next("left");
    cs[2]!.send({ type: "leave" });
    await cs[2]!.next("left");
    expect((await cs[3]!.join("small")).parent).not.toBe(null);
  });

  it("refuses a new room beyond the server's room count", async () => {
    server = await startServer({ maxRooms: 1 });
    const [a, b] = await Promise.all([client(), client()]);
    await a.join("one", HUB);
    expect(await refused(b, {}, "two")).toBe("server-full");
    expect((await b.join("one")).parent).not.toBe(null);
  });

  it("limits messages per socket without touching other sockets", async () => {
    server = await startServer({ messageRate: { burst: 5, perSec: 0.01 }, floodLimit: { burst: 5, perSec: 0.01 } });
    const [spam, calm] = await Promise.all([client(), client()]);
    for (let i = 0; i < 8; i++) spam.send({ type: "leave" });
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) codes.push((await spam.next("error")).code);
    expect(codes).toEqual([...Array(5).fill("not-joined"), ...Array(3).fill("rate-limited")]);
    expect((await calm.join("r", HUB)).parent).toBe(null);
    // Ignoring the refusals: past `floodLimit` of them the connection is closed, with a reason.
    const closed = new Promise<string>((r) => spam.socket.once("disconnect", (reason) => r(reason)));
    for (let i = 0; i < 5; i++) spam.send({ type: "leave" });
    expect(await closed).toBe("io server disconnect");
    expect(spam.inbox.map((m) => (m.type === "error" ? m.code : m.type))).toEqual(["rate-limited", "rate-limited", "flooding"]);
    expect(calm.socket.connected).toBe(true);
  });

  it("limits joins per address", async () => {
    server = await startServer({ joinRatePerIp: { burst: 3, perSec: 0.01 } });
    const cs = await Promise.all([client(), client(), client(), client()]);
    await cs[0]!.join("r", HUB);
    await cs[1]!.join("r");
    await cs[2]!.join("r");
    expect(await refused(cs[3]!, {})).toBe("join-rate-limited");
    expect(server.tree("r").nodes).toHaveLength(3);
  });

  it("drops a connection whose frame passes the transport limit, and stays up", async () => {
    server = await startServer({ maxTransportBytes: 200_000, maxMessageBytes: 65_536 });
    const [big, other] = await Promise.all([client(), client()]);
    await other.join("r", HUB);
    const closed = new Promise<string>((r) => big.socket.once("disconnect", (reason) => r(reason)));
    big.send({ type: "join", v: 1, room: "r", name: "x".repeat(300_000) });
    expect(await closed).toBe("transport close");
    await roundTrip(other);
    expect(other.socket.connected).toBe(true);
    expect(server.tree("r").nodes).toHaveLength(1);
  });
});

describe("resume", () => {
  it("gives a node its id and place back within the grace period, telling no one", async () => {
    server = await startServer({ disconnectGraceMs: 2000 });
    const a = await client();
    const ja = await a.join("g", HUB);
    const b = await client();
    const jb = await b.join("g");
    await a.next("tree-update");
    b.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(server.tree("g").nodes).toHaveLength(2);
    const b2 = await client();
    const j2 = await b2.join("g", { resume: jb.resumeToken });
    expect(j2).toMatchObject({ id: jb.id, parent: ja.id, resumed: true });
    expect(await a.drain(100)).toEqual([]);
    // The relay reaches the new socket.
    a.send({ type: "signal", to: jb.id, kind: "offer", data: { sdp: "again" } });
    expect(await b2.next("signal")).toMatchObject({ from: ja.id });
  });

  it("removes the node when the grace period ends", async () => {
    server = await startServer({ disconnectGraceMs: 150 });
    const a = await client();
    await a.join("g", HUB);
    const b = await client();
    await b.join("g");
    await a.next("tree-update");
    b.close();
    expect((await a.next("tree-update")).children).toEqual([]);
    expect(server.tree("g").nodes).toHaveLength(1);
  });

  it("keeps the id after the node was removed; ignores a bad resume token", async () => {
    server = await startServer();
    const a = await client();
    await a.join("g", HUB);
    const b = await client();
    const jb = await b.join("g");
    b.close();
    await a.next("tree-update");
    const b2 = await client();
    expect(await b2.join("g", { resume: jb.resumeToken })).toMatchObject({ id: jb.id, resumed: true });
    const c = await client();
    const jc = await c.join("g", { resume: jb.resumeToken.slice(0, -2) + "xx" });
    expect(jc.resumed).toBe(false);
    expect(jc.id).not.toBe(jb.id);
  });

  it("accepts a resume token instead of a room token, for its room only", async () => {
    server = await startServer({ secret: "k" });
    const a = await client();
    const ja = await a.join("s", { ...HUB, token: createRoomToken({ room: "s", secret: "k", ttlSec: 60, dedicated: true }) });
    a.close();
    const a2 = await client();
    expect(await refused(a2, { resume: ja.resumeToken }, "other")).toBe("token-wrong-room");
    expect(await a2.join("s", { ...HUB, resume: ja.resumeToken })).toMatchObject({ id: ja.id, resumed: true });
  });
});
