/**
 * A local choir for fault runs: a signaling server (restartable on the same port, with a fixed
 * resume key so that nodes keep their ids across a restart) and one process per singer over
 * real WebRTC on loopback. Recordings are analysed with signature voices (signature.ts) and
 * gap-analysis.ts.
 */
import type { ChoirNodeStats } from "@choirmesh/mixer-node/runtime/choir-node";
import { RemoteNode, type RemoteRecording } from "../remote-node.js";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { absoluteSampleNow, estimateDelay } from "@choirmesh/mixer-node/signature";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import type { TreeMessage } from "@choirmesh/protocol";
import { startSignalingServer, type SignalingServer, type StartOptions } from "@choirmesh/signaling/server";
import { startRedis, type RedisProcess } from "@choirmesh/signaling/redis-process";
import { spawnSignaling, type SignalingProcess } from "@choirmesh/signaling/server-process";
import { io as connect, type Socket } from "socket.io-client";

export interface ChaosChoirOptions {
  singers: number;
  fanout: number;
  frameMs: FrameMs;
  /** Server grace for a dropped socket, ms (the node's media silence then tells the server). */
  disconnectGraceMs: number;
  warmStandby: boolean;
  /**
   * Two signaling processes sharing the room through a real Redis instead of one server in this
   * process; singers alternate between them, each given both URLs (its own first).
   */
  cluster?: boolean;
  log: (line: string) => void;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export class ChaosChoir {
  server!: SignalingServer;
  /** With `cluster`: the Redis and the two signaling processes (the first owns the room). */
  redis: RedisProcess | undefined;
  readonly procs: SignalingProcess[] = [];
  private director: Socket | undefined;
  readonly nodes: RemoteNode[] = [];
  /** Node id -> singer index (its signature voice). */
  readonly voiceOf = new Map<string, number>();
  readonly room = "chaos";
  private port = 0;
  private readonly serverOpts: StartOptions;

  constructor(readonly opts: ChaosChoirOptions) {
    this.serverOpts = {
      host: "127.0.0.1",
      media: { ...DEFAULT_MEDIA, frameMs: opts.frameMs },
      planner: { maxFanout: opts.fanout },
      resumeSecret: "chaos-resume-key",
      disconnectGraceMs: opts.disconnectGraceMs,
      logLevel: "warn",
    };
  }

  async startServer(): Promise<void> {
    if (this.opts.cluster) return this.startCluster();
    this.server = await startSignalingServer({ ...this.serverOpts, port: this.port });
    this.port = this.server.port;
  }

  private async startCluster(): Promise<void> {
    this.redis = await startRedis();
    const args = ["--redis", this.redis.url, "--frame-ms", String(this.opts.frameMs), "--max-fanout", String(this.opts.fanout), "--disconnect-grace-ms", String(this.opts.disconnectGraceMs), "--log-level", "warn"];
    for (let i = 0; i < 2; i++) this.procs.push(await spawnSignaling(args));
    // A director's view of the room, from the second process (the tree request goes to the owner).
    this.director = connect(this.procs[1]!.url, { transports: ["websocket"], reconnection: true, reconnectionDelay: 100, forceNew: true });
  }

  /** The URL list singer `i` is given. */
  private urlFor(i: number): string {
    if (!this.opts.cluster) return this.server.url;
    const [a, b] = this.procs.map((p) => p.url);
    return i % 2 === 0 ? `${a},${b}` : `${b},${a}`;
  }

  /** SIGKILL of one signaling process of the cluster (0: the room's owner). */
  async killServer(i: number): Promise<void> {
    await this.procs[i]!.kill();
  }

  /** Stops the server and starts a new one on the same port: the room is gone from memory. */
  async restartServer(downMs: number): Promise<void> {
    await this.server.close();
    await sleep(downMs);
    await this.startServer();
  }

  async start(): Promise<void> {
    await this.startServer();
    const n = this.opts.singers;
    for (let i = 0; i < n; i++) this.nodes.push(new RemoteNode(`s${i}`));
    // Every process loads before the first sings: one still loading would starve those singing.
    await Promise.all(this.nodes.map((node) => node.whenReady()));
    for (let i = 0; i < n; i++) {
      await this.nodes[i].start({
        url: this.urlFor(i),
        room: this.room,
        name: `s${i}`,
        section: ["soprano", "alto", "tenor", "bass"][i % 4],
        canHub: true,
        uploadKbps: 20_000,
        voiceIndex: i,
        link: { loopbackOnly: true },
        rttReportMs: 1000,
        healing: { warmStandby: this.opts.warmStandby },
      });
      this.voiceOf.set(this.nodes[i].id!, i);
    }
    this.opts.log(`${n} singers joined; connecting links`);
    await this.settle(30_000);
  }

  /** Waits until every live node's links are connected and the tree has one root. */
  async settle(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const states = await Promise.all(this.live().map((n) => n.state()));
        return states.every((s) => s.connected) && states.filter((s) => s.parent === null).length === 1;
      },
      timeoutMs,
      "every link to connect",
    );
  }

  /**
   * Waits (up to `timeoutMs`) until every jitter buffer of every node plays at most `maxMs`
   * behind: after the choir starts, or after a fault, the buffers that learned the burst drain
   * for seconds, and a scenario begun meanwhile measures the drain as well as its fault.
   * Returns how long it waited, or -1 when it gave up.
   */
  async settleJitter(maxMs: number, timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    const deepest = (stats: ChoirNodeStats): number => Math.max(0, ...stats.inputs.map((i) => i.jitter.delayMs));
    while (performance.now() - t0 < timeoutMs) {
      const deep = await Promise.all(this.live().map(async (n) => deepest((await n.stats()).stats)));
      if (Math.max(...deep) <= maxMs) return performance.now() - t0;
      await sleep(500);
    }
    return -1;
  }

  live(): RemoteNode[] {
    return this.nodes.filter((n) => n.alive);
  }

  async tree(): Promise<TreeMessage> {
    if (!this.opts.cluster) return this.server.tree(this.room);
    const d = this.director!;
    if (!d.connected) await new Promise<void>((r) => d.once("connect", () => r()));
    return new Promise<TreeMessage>((resolve, reject) => {
      const t = setTimeout(() => (d.off("msg", on), reject(new Error("no tree from the cluster within 5 s"))), 5000);
      const on = (m: { type: string }) => {
        if (m.type !== "tree") return;
        clearTimeout(t);
        d.off("msg", on);
        resolve(m as TreeMessage);
      };
      d.on("msg", on);
      d.emit("msg", { type: "tree", room: this.room });
    });
  }

  byId(id: string): RemoteNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  async record(seconds: number): Promise<number> {
    const starts = await Promise.all(this.live().map((n) => n.startRecording(seconds)));
    return Math.max(...starts);
  }

  /**
   * What every live node heard, fetched one node at a time and without the full mix: a node
   * copying and sending its recording stalls for a moment, and thirteen at once on two cores
   * stalled them all for over 100 ms, which the next scenario then inherited.
   */
  async recordings(): Promise<Map<string, RemoteRecording>> {
    const out = new Map<string, RemoteRecording>();
    for (const n of this.live()) out.set(n.id!, await n.recording({ mix: false }));
    return out;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()));
    await this.server?.close();
    this.director?.close();
    for (const p of this.procs) await p.kill();
    await this.redis?.stop();
  }
}

export const nowAbs = absoluteSampleNow;

/** The delay at which `listener` hears voice `index` within [fromMs, toMs) of its recording (NaN when not heard). */
export function delayIn(rec: RemoteRecording, index: number, fromMs: number, toMs: number): number {
  const a = Math.max(0, Math.round(fromMs * 48));
  const b = Math.min(rec.length, Math.round(toMs * 48));
  if (b - a < 48_000 * 0.4) return NaN;
  const est = estimateDelay(rec.hear.subarray(a, b), rec.startAbs + a, index, { maxDelayMs: 1000, skipMs: 50 });
  return est.heard ? est.delayMs : NaN;
}

/** Ids on the tree path from a to b, ends included. */
export function treePath(tree: TreeMessage, a: string, b: string): string[] {
  const parent = new Map(tree.nodes.map((n) => [n.id, n.parent] as const));
  const up = (x: string) => {
    const p = [x];
    for (let c = parent.get(x); c; c = parent.get(c)) p.push(c);
    return p;
  };
  const pa = up(a);
  const pb = up(b);
  const inB = new Set(pb);
  const i = pa.findIndex((x) => inB.has(x));
  const j = pb.indexOf(pa[i]);
  return [...pa.slice(0, i + 1), ...pb.slice(0, j).reverse()];
}

export function subtreeOf(tree: TreeMessage, top: string): Set<string> {
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const out = new Set<string>();
  const stack = [top];
  while (stack.length > 0) {
    const id = stack.pop()!;
    out.add(id);
    for (const c of byId.get(id)?.children ?? []) stack.push(c);
  }
  return out;
}
