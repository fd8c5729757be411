/**
 * Where a client's message goes in a cluster: to the process that owns its room. One process owns
 * a room at a time (a lease in Redis) and makes every decision for it, so two processes never
 * place the same node or lose each other's updates. A message that arrives on another process is
 * forwarded to the owner's inbox; the owner answers the socket through socket.io's Redis adapter.
 *
 * A room nobody owns is taken by the process a join for it reaches first (from its saved state
 * when it had an owner before). When the owner is gone (its inbox has no subscriber), messages
 * wait here, in order, until its lease runs out and this process takes the room over; members
 * whose process died keep their places while they reconnect and resume. While Redis is away a
 * join is refused with `unavailable`; other messages wait (up to WAIT_GIVE_UP_MS). Audio never
 * goes through here.
 *
 * The socket's own process keeps the per-socket limits; the join rate per address and the
 * sockets per address are counted in Redis (RedisCluster).
 */
import { createLogger } from "@choirmesh/common/log";
import { SIGNALING_EVENT, type ClientMessage, type ErrorCode, type Ref, type ServerMessage } from "@choirmesh/protocol";
import type { Server } from "socket.io";
import type { RateLimit, SignalingOptions } from "../defaults.js";
import type { SignalingMetrics } from "../metrics.js";
import type { Peer } from "../room-runtime.js";
import type { ClusterRooms, SavedRoom } from "./cluster-rooms.js";
import type { RedisCluster } from "./redis-cluster.js";

const log = createLogger("signaling");

/** A client's message (or its socket's end, `g`) on its way to its room's owner. */
interface Envelope {
  /** Room. */
  r: string;
  /** Socket id and the process that holds the socket. */
  s: string;
  p: string;
  ip: string;
  m?: ClientMessage;
  g?: 1;
  /** Processes it went through (a guard against ping-pong while ownership moves). */
  h: number;
}

/** A socket on this process, as the router sees it. */
export interface LocalPeer extends Peer {
  readonly sid: string;
  readonly proc: string;
  /** The room this socket joined (set when its `joined` reply goes out). */
  routeRoom?: string;
  /** The room its last join asked for. */
  pendingRoom?: string;
  chain: Promise<void>;
}

const WAIT_GIVE_UP_MS = 10_000;
const OWNER_CACHE_MS = 1000;
const MAX_HOPS = 4;
const MAX_WAITING = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ClusterRouter {
  readonly local = new Map<string, LocalPeer>();
  private readonly remote = new Map<string, Peer & { sid: string; proc: string }>();
  private readonly waiting = new Map<string, Envelope[]>();
  private readonly owners = new Map<string, { proc: string; at: number }>();
  private closing = false;
  forwarded = 0;
  takeovers = 0;

  constructor(
    private readonly cluster: RedisCluster,
    private readonly rooms: ClusterRooms,
    private readonly io: Server,
    private readonly dispatch: (peer: Peer, msg: ClientMessage) => void,
    private readonly joinRate: RateLimit,
    private readonly failoverGraceMs: number,
    private readonly limits: Pick<SignalingOptions, "maxRooms" | "maxRoomsPerIp">,
    private readonly metrics: SignalingMetrics,
  ) {
    cluster.onInbox = (raw) => this.inbox(raw);
    cluster.onLease = (room, state) => {
      if (state === "reclaimed") {
        // Redis lost its keys: the room is saved and counted again.
        const by = this.rooms.openedBy(room);
        if (by !== undefined) this.cluster.openRoom(room, by, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).catch(() => {});
        return this.rooms.saveSoon(room);
      }
      for (const [sid, p] of this.remote) if (p.room === room) this.remote.delete(sid);
      this.rooms.forget(room);
    };
    cluster.onTick = () => void this.checkProcs();
  }

  /** A message from a socket of this process. */
  fromSocket(peer: LocalPeer, msg: ClientMessage): void {
    peer.chain = peer.chain.then(() => this.enter(peer, msg)).catch((e: unknown) => log.error("routing failed", { error: String(e) }));
  }

  /** A socket of this process closed. */
  gone(peer: LocalPeer): void {
    peer.chain = peer.chain.then(() => {
      const room = peer.routeRoom ?? peer.pendingRoom;
      if (room === undefined) {
        this.local.delete(peer.sid);
        return;
      }
      this.route({ r: room, s: peer.sid, p: peer.proc, ip: peer.ip, g: 1, h: 0 });
    });
  }

  /** What goes out to a socket of this process: follows its joins and leaves. */
  outgoing(peer: LocalPeer, msg: ServerMessage): void {
    if (msg.type === "joined") peer.routeRoom = msg.room;
    else if (msg.type === "left") peer.routeRoom = undefined;
  }

  private async enter(peer: LocalPeer, msg: ClientMessage): Promise<void> {
    let room: string | undefined;
    if (msg.type === "join") {
      room = peer.routeRoom ?? msg.room;
      if (peer.routeRoom === undefined) {
        peer.pendingRoom = msg.room;
        let ok: boolean;
        try {
          ok = await this.cluster.takeJoin(peer.ip, this.joinRate.burst, this.joinRate.perSec);
        } catch {
          return this.refuse(peer, "the room store is unreachable: try again", msg.ref);
        }
        if (!ok) return this.rooms.error(peer, "join-rate-limited", "too many joins from this address", msg.ref);
      }
    } else if (msg.type === "tree" && peer.routeRoom === undefined) room = msg.room ?? peer.pendingRoom;
    else room = peer.routeRoom ?? peer.pendingRoom;
    // Not in a room: the answer (not-joined, an empty tree) is the same everywhere.
    if (room === undefined) return this.dispatch(peer, msg);
    this.route({ r: room, s: peer.sid, p: peer.proc, ip: peer.ip, m: msg, h: 0 });
  }

  private refuse(peer: Peer, message: string, ref: Ref | undefined): void {
    this.rooms.error(peer, "unavailable", message, ref);
  }

  private route(env: Envelope): void {
    if (this.closing) return;
    const q = this.waiting.get(env.r);
    if (q) {
      if (q.length >= MAX_WAITING) return this.answerUnavailable(env, "too many messages waiting for this room's owner");
      q.push(env);
      return;
    }
    if (this.cluster.owns(env.r)) return this.deliver(env);
    this.waiting.set(env.r, [env]);
    void this.resolve(env.r);
  }

  /** Works off a room's queue: deliver here, forward to the owner, or take the room over. */
  private async resolve(room: string): Promise<void> {
    const q = this.waiting.get(room)!;
    const since = performance.now();
    while (q.length > 0 && !this.closing) {
      try {
        if (this.cluster.owns(room)) {
          this.drain(q);
          continue;
        }
        if (!this.cluster.up) throw new Error("redis away");
        const cached = this.owners.get(room);
        const owner = cached && performance.now() - cached.at < OWNER_CACHE_MS ? cached.proc : await this.cluster.ownerOf(room);
        if (owner === null) {
          if (!q.some((e) => e.m?.type === "join")) {
            // Nothing here can open the room: answer as a process without it does.
            this.drain(q);
            continue;
          }
          if (this.cluster.settling) {
            await sleep(100);
            continue;
          }
          const data = await this.cluster.acquire(room);
          if (data === false) continue;
          if (data !== null) await this.adopt(room, data);
          else {
            // A new room: within the cluster's room limits, counted for the address that opens it.
            const opener = q.find((e) => e.m?.type === "join")!;
            const refusal = await this.cluster.openRoom(room, opener.ip, this.limits.maxRooms, this.limits.maxRoomsPerIp);
            if (refusal !== null) {
              q.splice(q.indexOf(opener), 1);
              this.answer(opener, refusal, refusal === "server-full" ? "no room for another room" : `this address keeps ${this.limits.maxRoomsPerIp} rooms open already`);
              await this.cluster.release(room, true);
              continue;
            }
          }
          this.drain(q);
          if (!this.rooms.has(room)) await this.cluster.release(room, true);
          continue;
        }
        if (owner === this.cluster.proc) {
          // The key is ours but the lease lapsed here (Redis was away): the next renewal confirms it.
          await sleep(50);
          continue;
        }
        const batch = q.splice(0);
        for (const e of batch) e.h++;
        if ((await this.cluster.send(owner, JSON.stringify(batch))) > 0) {
          this.owners.set(room, { proc: owner, at: performance.now() });
          this.forwarded += batch.length;
          this.metrics.forwarded.inc(batch.length);
          for (const e of batch) if (e.g && e.p === this.cluster.proc) this.local.delete(e.s);
          continue;
        }
        // The owner is gone: wait, in order, for its lease to run out.
        q.unshift(...batch);
        this.owners.delete(room);
        await sleep(100);
      } catch {
        // Redis away: a join is refused at once; the rest waits for Redis to come back.
        for (let i = q.length - 1; i >= 0; i--) {
          if (q[i]!.m?.type === "join") this.answerUnavailable(q.splice(i, 1)[0]!, "the room store is unreachable: try again");
        }
        await sleep(250);
      }
      if (performance.now() - since > WAIT_GIVE_UP_MS) {
        for (const e of q.splice(0)) this.answerUnavailable(e, "the room's owner could not be reached: try again");
      }
    }
    this.waiting.delete(room);
  }

  private drain(q: Envelope[]): void {
    for (const e of q.splice(0)) this.deliver(e);
  }

  private async adopt(room: string, data: string): Promise<void> {
    let saved: SavedRoom;
    try {
      saved = JSON.parse(data) as SavedRoom;
      if (saved.v !== 1 || saved.record?.name !== room) throw new Error("unknown format");
    } catch (e) {
      log.error("saved room unreadable: opened anew", { room, error: String(e) });
      return;
    }
    const procs = [...new Set(saved.sockets.map((s) => s[1]).filter((p) => p !== this.cluster.proc))];
    const alive = await this.cluster.alive(procs);
    this.rooms.adopt(saved, (proc, sid, ip) => {
      if (proc === this.cluster.proc) return this.local.get(sid) ?? null;
      return alive.has(proc) ? this.remotePeer(sid, proc, ip) : null;
    });
    this.takeovers++;
    this.metrics.takeovers.inc();
  }

  private remotePeer(sid: string, proc: string, ip: string): Peer & { sid: string; proc: string } {
    let p = this.remote.get(sid);
    if (!p) {
      p = {
        ip,
        sid,
        proc,
        send: (msg) => {
          this.io.to(sid).emit(SIGNALING_EVENT, msg);
        },
        disconnect: () => this.io.in(sid).disconnectSockets(true),
      };
      this.remote.set(sid, p);
    }
    return p;
  }

  private deliver(env: Envelope): void {
    const peer = env.p === this.cluster.proc ? this.local.get(env.s) : this.remotePeer(env.s, env.p, env.ip);
    if (!peer) return;
    const m = env.m;
    if (m?.type === "join" && m.resume !== undefined) {
      // A node resuming here while its old socket is on another process: when that process is
      // gone (its inbox has no subscriber), the old socket is too, and the resume goes ahead now
      // instead of waiting for the process's liveness to run out.
      const holder = this.rooms.resumeHolder(m, env.s, Date.now());
      if (holder?.proc !== undefined && holder.proc !== this.cluster.proc && holder.sid !== undefined) {
        const old = holder as Peer & { sid: string; proc: string };
        this.cluster.inboxGone(old.proc).then(
          (gone) => {
            if (gone && this.remote.get(old.sid) === old) {
              this.remote.delete(old.sid);
              if (old.room !== undefined) this.rooms.disconnected(old, this.failoverGraceMs);
            }
            this.dispatch(peer, m);
          },
          () => this.dispatch(peer, m),
        );
        return;
      }
    }
    if (env.g) {
      this.rooms.disconnected(peer);
      if (env.p === this.cluster.proc) this.local.delete(env.s);
      else this.remote.delete(env.s);
      return;
    }
    if (env.m) this.dispatch(peer, env.m);
  }

  private answerUnavailable(env: Envelope, message: string): void {
    this.answer(env, "unavailable", message);
  }

  private answer(env: Envelope, code: ErrorCode, message: string): void {
    if (!env.m) return;
    const ref = "ref" in env.m ? env.m.ref : undefined;
    const peer = env.p === this.cluster.proc ? this.local.get(env.s) : this.remotePeer(env.s, env.p, env.ip);
    if (peer) this.rooms.error(peer, code, message, ref);
  }

  /** Messages another process forwarded here. */
  private inbox(raw: string): void {
    let batch: Envelope[];
    try {
      batch = JSON.parse(raw) as Envelope[];
      if (!Array.isArray(batch)) throw new Error("not a batch");
    } catch {
      return log.warn("unreadable message in the inbox", { bytes: Buffer.byteLength(raw) });
    }
    for (const e of batch) {
      if (typeof e?.r !== "string" || typeof e.s !== "string" || typeof e.p !== "string") continue;
      if (e.h > MAX_HOPS) {
        this.answerUnavailable(e, "the room's owner is changing: try again");
        continue;
      }
      this.route(e);
    }
  }

  /** Sockets held by processes that died: their nodes keep their places while they resume elsewhere. */
  private async checkProcs(): Promise<void> {
    if (this.remote.size === 0 || this.closing || this.cluster.settling) return;
    const procs = [...new Set([...this.remote.values()].map((p) => p.proc))];
    let alive: Set<string>;
    try {
      alive = await this.cluster.alive(procs);
    } catch {
      return;
    }
    for (const [sid, p] of this.remote) {
      if (alive.has(p.proc)) continue;
      this.remote.delete(sid);
      if (p.room !== undefined && this.cluster.owns(p.room)) this.rooms.disconnected(p, Math.max(this.failoverGraceMs, 0));
    }
  }

  stop(): void {
    this.closing = true;
  }
}
