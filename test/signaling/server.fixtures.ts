/** Shared fixtures of the signaling tests: a real server on port 0 and real socket.io clients. */
import http from "node:http";
import { io as connect, type Socket } from "socket.io-client";
import { setLogLevel } from "@choirmesh/common/log";
import type { JoinedMessage, ServerMessage, TreeMessage } from "@choirmesh/protocol";
import { startSignalingServer, type SignalingServer, type StartOptions } from "@choirmesh/signaling/server";

setLogLevel("silent");

export async function startServer(opts: StartOptions = {}): Promise<SignalingServer> {
  return startSignalingServer({ port: 0, host: "127.0.0.1", logLevel: "silent", ...opts });
}

type Waiter = { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void };

/** A socket.io client that queues every "msg" it gets; `next` takes them in order. */
export class TestClient {
  readonly inbox: ServerMessage[] = [];
  private waiters: Waiter[] = [];
  id: string | undefined;
  /** The neighbourhood as this client was told it (joined, then tree-updates). */
  known: { parent: string | null; backup: string | null; children: string[]; waiting: boolean } | undefined;

  private constructor(readonly socket: Socket) {
    socket.on("msg", (m: ServerMessage) => {
      if (m.type === "joined") {
        this.id = m.id;
        this.known = { parent: m.parent, backup: m.backup, children: m.children, waiting: m.waiting };
      } else if (m.type === "tree-update") {
        this.known = { parent: m.parent, backup: m.backup, children: m.children, waiting: m.waiting };
      }
      const i = this.waiters.findIndex((w) => w.pred(m));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      else this.inbox.push(m);
    });
  }

  /** `localAddress` picks the client's source address (any of 127.0.0.0/8 reaches a loopback server). */
  static async connect(url: string, opts: { localAddress?: string } = {}): Promise<TestClient> {
    const socket = connect(url, { transports: ["websocket"], reconnection: false, forceNew: true, ...opts });
    // Listening before the connection is up: a reply the server sends at once is not lost.
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    return client;
  }

  send(msg: unknown): void {
    this.socket.emit("msg", msg);
  }

  /** The next message of `type` (earlier messages of other types stay queued). */
  next<T extends ServerMessage["type"]>(type: T, timeoutMs = 3000): Promise<Extract<ServerMessage, { type: T }>> {
    return this.nextOf([type], timeoutMs) as Promise<Extract<ServerMessage, { type: T }>>;
  }

  /** The next message of any of `types`. */
  nextOf(types: ServerMessage["type"][], timeoutMs = 3000): Promise<ServerMessage> {
    const pred = (m: ServerMessage) => types.includes(m.type);
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w: Waiter = { pred, resolve: (m) => (clearTimeout(t), resolve(m)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no ${types.join("/")} message within ${timeoutMs} ms (inbox: ${JSON.stringify(this.inbox).slice(0, 300)})`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Every message that arrives within `ms`, plus what was queued. */
  async drain(ms = 100): Promise<ServerMessage[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.inbox.splice(0);
  }

  async join(room: string, extra: Record<string, unknown> = {}): Promise<JoinedMessage> {
    this.send({ type: "join", v: 1, room, name: "singer", section: "alto", canHub: false, uploadKbps: 1000, hasVoice: true, ...extra });
    const m = await this.nextOf(["joined", "error"]);
    if (m.type === "error") throw new Error(`join refused: ${m.code} ${m.message}`);
    return m as JoinedMessage;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export const HUB = { canHub: true, uploadKbps: 100_000, hasVoice: false, dedicated: true, name: "hub", section: "" };
/** A hub that does not claim to be dedicated (no token needed for that on a secret server). */
export const OPEN_HUB = { ...HUB, dedicated: false };

/** A round trip through the server: once the reply comes, everything sent before was handled. */
export async function roundTrip(c: TestClient): Promise<TreeMessage> {
  c.send({ type: "tree", room: "__probe__" });
  return c.next("tree");
}

/** Asserts that each joined client was told exactly the neighbourhood the server's tree has. */
export function toldMatchesTree(server: SignalingServer, room: string, clients: TestClient[]): string[] {
  const tree = server.tree(room);
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const wrong: string[] = [];
  for (const c of clients) {
    if (!c.id || !byId.has(c.id)) continue;
    const n = byId.get(c.id)!;
    const k = c.known!;
    if (k.parent !== n.parent || k.backup !== n.backup || k.waiting !== n.waiting || JSON.stringify([...k.children].sort()) !== JSON.stringify([...n.children].sort())) {
      wrong.push(`${c.id}: told ${JSON.stringify(k)} but tree has ${JSON.stringify({ parent: n.parent, backup: n.backup, children: n.children, waiting: n.waiting })}`);
    }
  }
  return wrong;
}

/** A GET with the path sent exactly as given (no client-side normalisation of "..", "%2e"). */
export function httpGet(url: string): Promise<{ status: number; body: string; type: string | null }> {
  const u = new URL(url);
  const rawPath = url.slice(u.origin.length) || "/";
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, type: res.headers["content-type"] ?? null }));
    });
    req.on("error", reject);
    req.end();
  });
}
