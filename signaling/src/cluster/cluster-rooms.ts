/**
 * The rooms a process of a cluster owns: the same protocol as one process (Rooms), plus the
 * room's state saved to Redis after every change and taken over from it when another process
 * gave the room up or died.
 *
 * What is saved (SavedRoom) is plain data: the room's record (members, epoch, the tree as
 * planner data) and which socket on which process speaks for each member. The new owner rebuilds
 * the planner from the record (nobody moves), binds the members whose process is alive to their
 * sockets, and keeps the others' places for `failoverGraceMs` while they reconnect and resume.
 *
 * Saves are coalesced: one write in flight per room, at most one every SAVE_MIN_MS; a change made
 * in the last moments before its owner dies may be lost (the nodes' resume and restore then put
 * their places back).
 */
import type { JoinMessage } from "@choirmesh/protocol";
import { createLogger } from "@choirmesh/common/log";
import type { SignalingOptions } from "../defaults.js";
import type { SignalingMetrics } from "../metrics.js";
import type { NodeId } from "../planner/types.js";
import { KeyedRateLimiter } from "../rate-limit.js";
import type { Peer, RoomRuntime } from "../room-runtime.js";
import type { InMemoryRoomStore, RoomRecord } from "../room-store.js";
import { Rooms } from "../rooms.js";
import type { RedisCluster } from "./redis-cluster.js";

const log = createLogger("signaling");

/** A room as the cluster keeps it in Redis. */
export interface SavedRoom {
  v: 1;
  record: RoomRecord;
  /** [node, process, socket id, address] of every member whose socket is connected. */
  sockets: Array<[NodeId, string, string, string]>;
  openedBy: string;
}

const SAVE_MIN_MS = 25;
const SAVE_RETRY_MS = 500;

interface SaveState {
  timer: NodeJS.Timeout | undefined;
  inFlight: boolean;
  again: boolean;
  notBefore: number;
}

export class ClusterRooms extends Rooms {
  private readonly saves = new Map<string, SaveState>();
  /** Saves that landed (a figure for tests and logs). */
  saved = 0;

  constructor(
    store: InMemoryRoomStore,
    opts: SignalingOptions,
    metrics: SignalingMetrics,
    private readonly cluster: RedisCluster,
    private readonly failoverGraceMs: number,
  ) {
    super(store, opts, metrics);
  }

  has(room: string): boolean {
    return this.runtimes.has(room);
  }

  /** The nodes of every room this process runs, with the socket that speaks for each. */
  *peersOf(room: string): IterableIterator<[NodeId, Peer]> {
    const rt = this.runtimes.get(room);
    if (rt) yield* rt.peers;
  }

  /** The socket that speaks now for the node a resume names, when that is another socket. */
  resumeHolder(msg: JoinMessage, sid: string, now: number): Peer | undefined {
    const rt = this.runtimes.get(msg.room);
    const id = rt ? this.access.resumeNode(msg, now) : undefined;
    const holder = id !== undefined ? rt!.peers.get(id) : undefined;
    return holder && holder.sid !== sid ? holder : undefined;
  }

  protected override changed(rt: RoomRuntime): void {
    if (this.closing) return;
    const name = rt.state.name;
    if (this.runtimes.get(name) !== rt) {
      // The room closed: nobody is left, its record goes.
      const s = this.saves.get(name);
      if (s?.timer) clearTimeout(s.timer);
      this.saves.delete(name);
      this.cluster.release(name, true).catch((e: unknown) => log.warn("releasing a closed room failed", { room: name, error: String(e) }));
      return;
    }
    this.schedule(name);
  }

  private schedule(name: string): void {
    let s = this.saves.get(name);
    if (!s) this.saves.set(name, (s = { timer: undefined, inFlight: false, again: false, notBefore: 0 }));
    if (s.inFlight) {
      s.again = true;
      return;
    }
    if (s.timer) return;
    s.timer = setTimeout(() => this.write(name), Math.max(0, s.notBefore - performance.now()));
  }

  private write(name: string): void {
    const s = this.saves.get(name);
    const rt = this.runtimes.get(name);
    if (!s || !rt) return;
    s.timer = undefined;
    s.inFlight = true;
    s.notBefore = performance.now() + SAVE_MIN_MS;
    this.cluster
      .save(name, JSON.stringify(this.exportRoom(rt)))
      .then((ok) => {
        this.saved++;
        if (!ok) log.warn("room not saved: this process no longer owns it", { room: name });
      })
      .catch(() => {
        // Redis away: try again later; the lease tells whether the room is still ours.
        s.again = true;
        s.notBefore = performance.now() + SAVE_RETRY_MS;
      })
      .finally(() => {
        s.inFlight = false;
        if (s.again && this.saves.get(name) === s) {
          s.again = false;
          this.schedule(name);
        }
      });
  }

  /** The address whose join opened the room (maxRoomsPerIp). */
  openedBy(room: string): string | undefined {
    return this.runtimes.get(room)?.openedBy;
  }

  /** Saves a room now (after a re-claim, when Redis may have lost it). */
  saveSoon(room: string): void {
    if (this.runtimes.has(room)) this.schedule(room);
  }

  exportRoom(rt: RoomRuntime): SavedRoom {
    const sockets: SavedRoom["sockets"] = [];
    for (const [id, p] of rt.peers) if (p.sid !== undefined && p.proc !== undefined) sockets.push([id, p.proc, p.sid, p.ip]);
    return { v: 1, record: rt.state.toRecord(), sockets, openedBy: rt.openedBy };
  }

  /**
   * Takes a room over from its saved state. `bind` gives the socket that still speaks for a
   * member (on this process or a live other), or null: that member's place is kept for
   * failoverGraceMs, waiting for its resume.
   */
  adopt(saved: SavedRoom, bind: (proc: string, sid: string, ip: string) => Peer | null): void {
    const record = saved.record;
    if (this.runtimes.has(record.name)) throw new Error(`room ${record.name} is already run here`);
    // The planner's clock and cooldown are this server's (functions are not data).
    record.tree.options = { ...record.tree.options, ...this.opts.planner };
    const state = (this.store as InMemoryRoomStore).load(record);
    const rt: RoomRuntime = { state, peers: new Map(), told: new Map(), away: new Map(), openedBy: saved.openedBy, moveRequests: new KeyedRateLimiter(this.opts.moveRequestRate) };
    this.runtimes.set(record.name, rt);
    this.access.roomOpened(saved.openedBy);
    const sockets = new Map(saved.sockets.map(([id, proc, sid, ip]) => [id, { proc, sid, ip }] as const));
    let bound = 0;
    for (const m of [...state.members()]) {
      rt.told.set(m.id, this.announcer.neighbourhood(rt, m.id));
      const s = sockets.get(m.id);
      const peer = s ? bind(s.proc, s.sid, s.ip) : null;
      if (peer) {
        peer.room = record.name;
        peer.node = m.id;
        rt.peers.set(m.id, peer);
        bound++;
        continue;
      }
      // Nobody speaks for it now: its socket was on a process that died. Keep its place.
      const ghost: Peer = { ip: s?.ip ?? "", send() {}, disconnect() {}, room: record.name, node: m.id };
      rt.peers.set(m.id, ghost);
      this.disconnected(ghost, this.failoverGraceMs);
    }
    // An operator wants to see this one: a process gave a room up, or died.
    log.warn("room taken over", { room: record.name, members: state.size, bound, epoch: state.epoch, proc: this.cluster.proc });
    this.schedule(record.name);
  }

  /** This process lost the room to another: forget it without telling anyone anything. */
  forget(room: string): void {
    const rt = this.runtimes.get(room);
    if (!rt) return;
    for (const t of rt.away.values()) this.timers.clear(t);
    if (rt.rebuild) this.timers.clear(rt.rebuild.timer);
    for (const p of rt.peers.values()) {
      p.room = undefined;
      p.node = undefined;
    }
    const s = this.saves.get(room);
    if (s?.timer) clearTimeout(s.timer);
    this.saves.delete(room);
    this.runtimes.delete(room);
    this.store.delete(room);
    this.access.roomClosed(rt.openedBy);
    log.warn("room given up", { room });
  }

  /** Saves every room now and stops saving (a process that shuts down hands its rooms on). */
  async flushAll(): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const [name, rt] of this.runtimes) {
      const s = this.saves.get(name);
      if (s?.timer) clearTimeout(s.timer);
      writes.push(this.cluster.save(name, JSON.stringify(this.exportRoom(rt))).catch(() => false));
    }
    this.saves.clear();
    this.shutdown();
    await Promise.all(writes);
  }
}
