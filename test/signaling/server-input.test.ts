/**
 * Every kind of bad input over real socket.io connections: each gets its error code, and
 * neither the tree, nor the counters, nor anyone else's inbox changes.
 */
import { metricValue } from "@choirmesh/signaling/metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignalingServer } from "@choirmesh/signaling/server";
import { HUB, httpGet, roundTrip, startServer, TestClient } from "./server.fixtures.js";

let server: SignalingServer;
let hub: TestClient; // the root
let singer: TestClient; // joined, child of hub
let sibling: TestClient; // joined, child of hub
let stranger: TestClient; // connected, never joined
let foreign: TestClient; // joined in another room
const JOIN = { type: "join", v: 1, room: "bad", name: "x", section: "alto", canHub: false, uploadKbps: 500, hasVoice: true };

beforeAll(async () => {
  server = await startServer();
  hub = await TestClient.connect(server.url);
  await hub.join("bad", HUB);
  singer = await TestClient.connect(server.url);
  await singer.join("bad");
  sibling = await TestClient.connect(server.url);
  await sibling.join("bad");
  foreign = await TestClient.connect(server.url);
  await foreign.join("elsewhere", HUB);
  stranger = await TestClient.connect(server.url);
  await Promise.all([hub, singer, sibling, foreign].map(roundTrip));
  for (const c of [hub, singer, sibling, foreign, stranger]) c.inbox.length = 0;
});
afterAll(async () => {
  for (const c of [hub, singer, sibling, stranger, foreign]) c?.close();
  await server.close();
});

function nested(depth: number): unknown {
  let v: unknown = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

type Who = "joined" | "stranger";
type Case = [name: string, who: Who, send: (c: TestClient) => void, code: string, ref?: string | number];
const emit = (...args: unknown[]) => (c: TestClient) => void c.socket.emit(...(args as [string, ...unknown[]]));
const msg = (m: unknown) => (c: TestClient) => c.send(m);

const cases: Case[] = [
  // not an object
  ["string payload", "stranger", msg("join"), "not-object"],
  ["number payload", "joined", msg(7), "not-object"],
  ["null payload", "joined", msg(null), "not-object"],
  ["array payload", "stranger", msg([JOIN]), "not-object"],
  ["boolean payload", "stranger", msg(true), "not-object"],
  ["no argument", "joined", emit("msg"), "invalid-message"],
  ["two arguments", "stranger", emit("msg", JOIN, JOIN), "invalid-message"],
  ["unknown event", "joined", emit("join", JOIN), "unknown-event"],
  ["unknown event, no payload", "stranger", emit("admin"), "unknown-event"],
  // type
  ["no type", "joined", msg({ ref: 1 }), "unknown-type", 1],
  ["unknown type", "joined", msg({ type: "kick", target: "x", ref: "k" }), "unknown-type", "k"],
  ["type of wrong kind", "stranger", msg({ type: ["join"] }), "unknown-type"],
  ["prototype type name", "stranger", msg({ type: "__proto__" }), "unknown-type"],
  // prototype pollution
  ["__proto__ key", "stranger", msg(JSON.parse('{"type":"join","v":1,"__proto__":{"polluted":true}}')), "forbidden-key"],
  ["nested __proto__", "joined", msg(JSON.parse('{"type":"signal","to":"n1","kind":"offer","data":{"a":{"__proto__":{"polluted":true}}}}')), "forbidden-key"],
  ["constructor.prototype", "joined", msg({ type: "rtt", constructor: { prototype: { polluted: true } } }), "forbidden-key"],
  // size and shape
  ["huge name", "stranger", msg({ ...JOIN, name: "x".repeat(200_000) }), "too-large"],
  ["huge signal payload", "joined", msg({ type: "signal", to: "n1", kind: "offer", data: { sdp: "v".repeat(40_000) }, ref: "big" }), "too-large", "big"],
  ["deep nesting", "joined", msg({ type: "signal", to: "n1", kind: "offer", data: nested(50) }), "too-deep"],
  ["binary attachment", "joined", msg({ type: "signal", to: "n1", kind: "offer", data: { sdp: Buffer.alloc(64) } }), "binary-not-allowed"],
  // fields
  ["join with wrong version", "stranger", msg({ ...JOIN, v: 99, ref: 5 }), "unsupported-version", 5],
  ["join without name", "stranger", msg({ ...JOIN, name: undefined }), "invalid-message"],
  ["join with numeric name", "stranger", msg({ ...JOIN, name: 12 }), "invalid-message"],
  ["join with long section", "stranger", msg({ ...JOIN, section: "s".repeat(33) }), "invalid-message"],
  ["join with newline in name", "stranger", msg({ ...JOIN, name: "a\nINFO fake log line" }), "invalid-message"],
  ["join with traversal room", "stranger", msg({ ...JOIN, room: "../../etc" }), "invalid-message"],
  ["join with string upload", "stranger", msg({ ...JOIN, uploadKbps: "1000" }), "invalid-message"],
  ["join with NaN upload (null on the wire)", "stranger", msg({ ...JOIN, uploadKbps: NaN }), "invalid-message"],
  ["join with extra field", "stranger", msg({ ...JOIN, role: "admin" }), "invalid-message"],
  ["join with bad location", "stranger", msg({ ...JOIN, latency: { location: { lat: "north", lon: 0 } } }), "invalid-message"],
  ["join with a huge token", "stranger", msg({ ...JOIN, token: "t".repeat(2000) }), "invalid-message"],
  ["signal with unknown kind", "joined", msg({ type: "signal", to: "n1", kind: "hangup", data: {} }), "invalid-message"],
  ["signal without data", "joined", msg({ type: "signal", to: "n1", kind: "offer" }), "invalid-message"],
  ["signal to a non-id", "joined", msg({ type: "signal", to: { id: "n1" }, kind: "offer", data: {} }), "invalid-message"],
  ["rtt with 1000 samples", "joined", msg({ type: "rtt", samples: Array.from({ length: 1000 }, () => ({ to: "n1", rttMs: 1 })) }), "invalid-message"],
  ["rtt with negative value", "joined", msg({ type: "rtt", samples: [{ to: "n1", rttMs: -1 }] }), "invalid-message"],
  ["tree without room before join", "stranger", msg({ type: "tree" }), "invalid-message"],
  // out of place
  ["signal before join", "stranger", msg({ type: "signal", to: "n1", kind: "offer", data: {}, ref: "s" }), "not-joined", "s"],
  ["rtt before join", "stranger", msg({ type: "rtt", samples: [{ to: "n1", rttMs: 1 }] }), "not-joined"],
  ["leave before join", "stranger", msg({ type: "leave" }), "not-joined"],
  ["join twice", "joined", msg({ ...JOIN, ref: "again" }), "already-joined", "again"],
  ["join twice into another room", "joined", msg({ ...JOIN, room: "elsewhere" }), "already-joined"],
];

describe("bad input over real sockets", () => {
  it.each(cases)("%s -> %s", async (_name, who, send, code, ref) => {
    const sender = who === "joined" ? singer : stranger;
    const treeBefore = JSON.stringify([server.tree("bad"), server.tree("elsewhere")]);
    const joinsBefore = await metricValue(server.metrics.joins);
    const errorsBefore = await metricValue(server.metrics.errors, { code });
    send(sender);
    const err = await sender.next("error");
    expect(err.code).toBe(code);
    expect(typeof err.message).toBe("string");
    expect(err.message.length).toBeGreaterThan(0);
    expect(err.ref).toBe(ref);
    // Changed nothing: the trees, the join count, and no one else heard anything.
    await Promise.all([hub, sibling, foreign].map(roundTrip));
    expect(JSON.stringify([server.tree("bad"), server.tree("elsewhere")])).toBe(treeBefore);
    expect(await metricValue(server.metrics.joins)).toBe(joinsBefore);
    expect(await metricValue(server.metrics.errors, { code })).toBe(errorsBefore + 1);
    for (const c of [hub, sibling, foreign, singer, stranger]) expect(c.inbox).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBe(undefined);
    expect(sender.socket.connected).toBe(true);
  });

  it.each([
    ["garbage", "garbage", "transport close"],
    ["broken JSON", '2["msg",{"type":', "transport close"],
    ["unknown packet type", "9[]", "transport close"],
    ["event without a name", "2[]", "transport close"],
    ["event name not a string", '2[{"a":1},2]', "transport close"],
    ["a second connect", "0", "transport close"],
    // socket.io waits for the announced attachments; nothing reaches the protocol meanwhile.
    ["binary event whose attachments never come", '51-["msg",{"_placeholder":true,"num":0}]', "still open"],
  ])("raw socket.io packet: %s", async (_name, raw, expected) => {
    const c = await TestClient.connect(server.url);
    const closed = new Promise<string>((r) => c.socket.once("disconnect", (reason) => r(reason)));
    const engine = (c.socket.io as unknown as { engine: { send(d: string): void } }).engine;
    engine.send(raw);
    const reason = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r("still open"), 1500))]);
    c.close();
    expect(reason).toBe(expected);
    // Nothing else changed.
    await Promise.all([hub, sibling, foreign].map(roundTrip));
    for (const x of [hub, sibling, foreign, singer, stranger]) expect(x.inbox).toEqual([]);
    expect(server.tree("bad").nodes).toHaveLength(3);
  });

  it("left the server serving and the sockets usable", async () => {
    expect((await httpGet(`${server.url}/healthz`)).status).toBe(200);
    const j = await stranger.join("bad");
    expect(j.parent).not.toBe(null);
    expect(server.tree("bad").nodes).toHaveLength(4);
  });
});
