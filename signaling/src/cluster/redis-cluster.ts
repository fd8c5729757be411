/**
 * What several signaling processes share through Redis, and nothing else: which process owns
 * each room (a lease), which processes are alive, each room's saved state, a per-process inbox
 * for messages forwarded to a room's owner, and the limits that hold across processes (joins per
 * address, sockets per address). Every write a room's owner makes is conditional on it still
 * holding the room's lease (Lua scripts), so a process that lost a room can never overwrite it.
 *
 * Keys (prefix `cm:` by default):
 *   owner:{room}   the owning process id, with a lease (PX)
 *   room:{room}    hash {data: the room's saved state (JSON), by: the process that wrote it}
 *   proc:{id}      a process is alive while this key is (PX, renewed with its leases)
 *   procs          set of process ids that counted sockets (ips:{id})
 *   ips:{id}       hash address -> sockets a process holds from that address
 *   join:{ip}      token bucket of joins from one address
 *   rooms          hash room -> the address that opened it (maxRooms, maxRoomsPerIp over the cluster)
 *   resume:key     the key of resume tokens, shared by every process of the cluster
 * Inbox channel: `{prefix}to:{id}`.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createLogger } from "@choirmesh/common/log";
import { FORGET_ORPHAN, OPEN_ROOM, OPEN_SOCKET, RELEASE, RENEW, SAVE, TAKE_JOIN, type Scripts } from "./redis-scripts.js";

const log = createLogger("signaling");

export interface ClusterTimings {
  /** A room's lease and a process's liveness, ms. Default 1500. */
  leaseMs: number;
  /** Renewal period, ms. Default leaseMs / 5. */
  renewMs: number;
}

/** A room without an owner this long (nobody came back to it) is forgotten. */
const ORPHAN_MS = 120_000;
const SWEEP_MS = 10_000;

export const DEFAULT_CLUSTER_TIMINGS: Readonly<ClusterTimings> = Object.freeze({ leaseMs: 1500, renewMs: 300 });

/** What `renew` found for a room: still ours, taken by another process, or re-claimed after Redis lost it. */
export type LeaseState = "held" | "lost" | "reclaimed";

export interface RedisClusterOptions extends Partial<ClusterTimings> {
  url: string;
  prefix?: string;
  /** How long to wait for Redis at start, ms. Default 5000. */
  connectTimeoutMs?: number;
}

export class RedisCluster {
  /** This process's id in the cluster. */
  readonly proc = "p" + randomBytes(6).toString("base64url");
  readonly prefix: string;
  readonly timings: ClusterTimings;
  /** Commands (fails at once while Redis is away: callers answer `unavailable`). */
  private readonly cmd: Redis;
  /** The inbox subscription. */
  private readonly inbox: Redis;
  /** socket.io adapter's clients (they queue while Redis is away: the adapter does not catch). */
  readonly adapterPub: Redis;
  readonly adapterSub: Redis;
  /** Rooms this process owns: until when its lease is certainly still valid (performance.now). */
  private readonly owned = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** When the command connection came back after losing Redis (performance.now), or -Infinity. */
  private backSince = -Infinity;
  private everReady = false;
  private connectedOnce = false;
  /** A room's lease was lost to another process, or re-claimed after Redis lost its keys. */
  onLease: (room: string, state: Exclude<LeaseState, "held">) => void = () => {};
  /** After each renewal round: a moment to check the processes that hold sockets. */
  onTick: () => void = () => {};
  onInbox: (raw: string) => void = () => {};

  private constructor(o: RedisClusterOptions) {
    this.prefix = o.prefix ?? "cm:";
    this.timings = { leaseMs: o.leaseMs ?? DEFAULT_CLUSTER_TIMINGS.leaseMs, renewMs: o.renewMs ?? Math.round((o.leaseMs ?? DEFAULT_CLUSTER_TIMINGS.leaseMs) / 5) };
    const common = { lazyConnect: true, retryStrategy: (n: number) => Math.min(50 * n, 1000), connectionName: `choirmesh-${this.proc}` };
    this.cmd = new Redis(o.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    this.inbox = new Redis(o.url, { ...common, maxRetriesPerRequest: null });
    this.adapterPub = new Redis(o.url, { ...common, maxRetriesPerRequest: null });
    this.adapterSub = new Redis(o.url, { ...common, maxRetriesPerRequest: null });
    for (const c of [this.cmd, this.inbox, this.adapterPub, this.adapterSub]) c.on("error", () => {});
    this.cmd.on("ready", () => {
      if (this.everReady) this.backSince = performance.now();
      this.everReady = true;
      this.connectedOnce = true;
      log.info("redis ready", { proc: this.proc });
    });
    this.cmd.on("close", () => {
      if (this.closed || !this.connectedOnce) return;
      this.connectedOnce = false;
      log.warn("redis connection lost", { proc: this.proc });
    });
    this.cmd.defineCommand("renew", { lua: RENEW });
    this.cmd.defineCommand("save", { numberOfKeys: 2, lua: SAVE });
    this.cmd.defineCommand("release", { numberOfKeys: 3, lua: RELEASE });
    this.cmd.defineCommand("openRoom", { numberOfKeys: 1, lua: OPEN_ROOM });
    this.cmd.defineCommand("forgetOrphan", { numberOfKeys: 3, lua: FORGET_ORPHAN });
    this.cmd.defineCommand("takeJoin", { numberOfKeys: 1, lua: TAKE_JOIN });
    this.cmd.defineCommand("openSocket", { numberOfKeys: 0, lua: OPEN_SOCKET });
    this.inbox.on("messageBuffer", (_ch: Buffer, msg: Buffer) => this.onInbox(msg.toString("utf8")));
  }

  /** Connects (rejects with a clear message when Redis does not answer) and starts renewing. */
  static async connect(o: RedisClusterOptions): Promise<RedisCluster> {
    const c = new RedisCluster(o);
    const timeout = o.connectTimeoutMs ?? 5000;
    try {
      await Promise.race([
        Promise.all([c.cmd.connect(), c.inbox.connect(), c.adapterPub.connect(), c.adapterSub.connect()]),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout).unref()),
      ]);
      await c.inbox.subscribe(c.inboxChannel(c.proc));
      await c.renew();
    } catch (e) {
      c.close();
      throw new Error(`cannot reach Redis at ${o.url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    c.renewTimer = setInterval(() => void c.renew(), c.timings.renewMs);
    c.renewTimer.unref();
    return c;
  }

  get up(): boolean {
    return this.cmd.status === "ready";
  }

  private key(kind: string, name: string): string {
    return `${this.prefix}${kind}:${name}`;
  }

  private inboxChannel(proc: string): string {
    return `${this.prefix}to:${proc}`;
  }

  private get s(): Scripts {
    return this.cmd as unknown as Scripts;
  }

  /**
   * Just back from losing Redis, which may have lost its keys: owners need a moment to claim
   * their rooms back before anyone opens a room of that name afresh (reconnect + one renewal).
   */
  get settling(): boolean {
    return performance.now() - this.backSince < this.timings.leaseMs + 1000;
  }

  /** True while this process certainly holds the room's lease. */
  owns(room: string): boolean {
    const until = this.owned.get(room);
    return until !== undefined && performance.now() < until;
  }

  /** Holds a lease on the room (it may have lapsed while Redis was away). */
  holdsLease(room: string): boolean {
    return this.owned.has(room);
  }

  private validFrom(sentAt: number): number {
    return sentAt + this.timings.leaseMs - Math.min(200, this.timings.leaseMs / 5);
  }

  /** Renews this process's liveness and every lease it holds. */
  private async renew(): Promise<void> {
    if (this.closed) return;
    const rooms = [...this.owned.keys()];
    const keys = [this.key("proc", this.proc)];
    for (const r of rooms) keys.push(this.key("owner", r), this.key("room", r));
    const sentAt = performance.now();
    let out: number[];
    try {
      out = await this.s.renew(keys.length, ...keys, this.proc, String(this.timings.leaseMs));
    } catch (e) {
      log.debug("renewal failed", { proc: this.proc, error: String(e) });
      return; // Redis away: leases run out on their own, owns() turns false
    }
    rooms.forEach((r, i) => {
      if (!this.owned.has(r)) return; // released meanwhile
      const state = out[i];
      if (state === 0) {
        this.owned.delete(r);
        log.warn("lease lost", { room: r, proc: this.proc });
        this.onLease(r, "lost");
        return;
      }
      this.owned.set(r, this.validFrom(sentAt));
      if (state === 2) this.onLease(r, "reclaimed");
    });
    this.onTick();
    this.sweep().catch(() => {});
  }

  /** The process that owns a room, or null. */
  async ownerOf(room: string): Promise<string | null> {
    return this.cmd.get(this.key("owner", room));
  }

  /** Takes a room nobody owns; resolves with its saved state (null: a new room) or false when another process has it. */
  async acquire(room: string): Promise<string | null | false> {
    const sentAt = performance.now();
    const ok = await this.cmd.set(this.key("owner", room), this.proc, "PX", this.timings.leaseMs, "NX");
    if (ok !== "OK") return false;
    this.owned.set(room, this.validFrom(sentAt));
    return this.cmd.hget(this.key("room", room), "data");
  }

  /** Saves a room's state; false when this process no longer owns it. */
  async save(room: string, data: string): Promise<boolean> {
    return (await this.s.save(this.key("owner", room), this.key("room", room), this.proc, data)) === 1;
  }

  /** Gives a room up: `closed` deletes its record (nobody is left in it). */
  async release(room: string, closed: boolean): Promise<void> {
    this.owned.delete(room);
    await this.s.release(this.key("owner", room), this.key("room", room), this.prefix + "rooms", this.proc, closed ? "1" : "0", room);
  }

  /** Counts a new room against the cluster's limits: null, or the refusal. */
  async openRoom(room: string, ip: string, maxRooms: number, maxPerIp: number): Promise<"server-full" | "address-limit" | null> {
    const r = await this.s.openRoom(this.prefix + "rooms", room, ip, String(maxRooms), String(maxPerIp));
    return r === -1 ? "server-full" : r === -2 ? "address-limit" : null;
  }

  /** Rooms first seen without an owner (performance.now), to forget them after ORPHAN_MS. */
  private readonly unowned = new Map<string, number>();
  private lastSweep = 0;

  /**
   * Forgets rooms whose owner died and whose members never came back (no owner for ORPHAN_MS):
   * their records would count against the cluster's room limits for ever.
   */
  private async sweep(): Promise<void> {
    const now = performance.now();
    if (now - this.lastSweep < SWEEP_MS) return;
    this.lastSweep = now;
    const rooms = await this.cmd.hkeys(this.prefix + "rooms");
    if (rooms.length === 0) return;
    const owners = await this.cmd.mget(...rooms.map((r) => this.key("owner", r)));
    const seen = new Set<string>();
    for (let i = 0; i < rooms.length; i++) {
      const r = rooms[i]!;
      if (owners[i] !== null) continue;
      seen.add(r);
      const since = this.unowned.get(r) ?? now;
      this.unowned.set(r, since);
      if (now - since < ORPHAN_MS) continue;
      if ((await this.s.forgetOrphan(this.key("owner", r), this.key("room", r), this.prefix + "rooms", r)) === 1) log.warn("forgot a room nobody came back to", { room: r });
      this.unowned.delete(r);
    }
    for (const r of this.unowned.keys()) if (!seen.has(r)) this.unowned.delete(r);
  }

  /** Publishes to a process's inbox; resolves with how many processes got it (0: it is gone). */
  async send(proc: string, raw: string): Promise<number> {
    return this.cmd.publish(this.inboxChannel(proc), raw);
  }

  /**
   * Which of these processes are alive: its liveness key is there, or (Redis just lost its keys)
   * its inbox still has its subscription. A killed process has neither.
   */
  async alive(procs: readonly string[]): Promise<Set<string>> {
    if (procs.length === 0) return new Set();
    const found = await this.cmd.mget(...procs.map((p) => this.key("proc", p)));
    const out = new Set(procs.filter((_, i) => found[i] !== null));
    const missing = procs.filter((p) => !out.has(p));
    if (missing.length > 0) {
      const counts = (await this.cmd.call("PUBSUB", "NUMSUB", ...missing.map((p) => this.inboxChannel(p)))) as (string | number)[];
      for (let i = 0; i < missing.length; i++) if (Number(counts[2 * i + 1]) > 0) out.add(missing[i]!);
    }
    return out;
  }

  /** Whether a process's inbox has no subscriber now (it died, or lost Redis). */
  async inboxGone(proc: string): Promise<boolean> {
    const counts = (await this.cmd.call("PUBSUB", "NUMSUB", this.inboxChannel(proc))) as (string | number)[];
    return Number(counts[1]) === 0;
  }

  /** The cluster's resume-token key: the first process to start makes it. */
  async sharedResumeKey(): Promise<string> {
    const k = this.key("resume", "key");
    await this.cmd.set(k, randomBytes(32).toString("hex"), "NX");
    const v = await this.cmd.get(k);
    if (!v) throw new Error("resume key missing in Redis");
    return v;
  }

  /** One join from `ip` against the cluster-wide bucket; false: over the limit. */
  async takeJoin(ip: string, burst: number, perSec: number): Promise<boolean> {
    return (await this.s.takeJoin(this.key("join", ip), String(burst), String(perSec))) === 1;
  }

  /** Counts a socket from `ip` over the whole cluster; false: the address holds `max` already. */
  async openSocket(ip: string, max: number): Promise<boolean> {
    return (await this.s.openSocket(this.prefix, this.proc, ip, String(max))) === 1;
  }

  async closeSocket(ip: string): Promise<void> {
    const k = this.key("ips", this.proc);
    if ((await this.cmd.hincrby(k, ip, -1)) <= 0) await this.cmd.hdel(k, ip);
  }

  /** Stops renewing and hands every room back (kept in Redis for the next owner); this process is gone for the others. */
  async releaseAll(): Promise<void> {
    clearInterval(this.renewTimer);
    if (!this.up) return;
    const rooms = [...this.owned.keys()];
    await Promise.allSettled(rooms.map((r) => this.release(r, false)));
    await this.cmd.del(this.key("proc", this.proc), this.key("ips", this.proc)).catch(() => {});
  }

  close(): void {
    this.closed = true;
    clearInterval(this.renewTimer);
    for (const c of [this.cmd, this.inbox, this.adapterPub, this.adapterSub]) c.disconnect();
  }
}
