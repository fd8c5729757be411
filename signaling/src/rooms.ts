/**
 * Membership of the signaling server's rooms: join (placement by the planner, restore during a
 * rebuild, resume of a node that is away), leave, disconnect with its grace period, the reports
 * of lost links, and the relay. Who may join is access.ts's; what nodes are told is
 * announcer.ts's; the relay between neighbours is relay.ts's. Transport-free apart from the
 * `Peer` it is handed for each socket, with its timers injected, so it reads as the protocol's
 * behaviour and is tested with fake peers; server.ts wires it to socket.io.
 */
import type { ErrorCode, JoinMessage, LinkLostMessage, Ref, RttMessage, SignalMessage, TreeMessage, TreeRequestMessage } from "@choirmesh/protocol";
import { createLogger } from "@choirmesh/common/log";
import { Access } from "./access.js";
import { Announcer } from "./announcer.js";
import type { SignalingOptions } from "./defaults.js";
import type { SignalingMetrics } from "./metrics.js";
import { PlannerError } from "./planner/index.js";
import type { Move, NodeId } from "./planner/types.js";
import { KeyedRateLimiter } from "./rate-limit.js";
import { RoomRebuild, type RestoreReport } from "./room-rebuild.js";
import { memberRecord, plannerInfo, REAL_TIMERS, type Neighbourhood, type Peer, type RoomRuntime, type RoomTimers } from "./room-runtime.js";
import type { RoomStore } from "./room-store.js";
import { relaySignal, reportRtt } from "./relay.js";

export type { Peer } from "./room-runtime.js";

const log = createLogger("signaling");

export class Rooms {
  protected readonly runtimes = new Map<string, RoomRuntime>();
  protected readonly access: Access;
  protected readonly announcer: Announcer;
  protected closing = false;

  constructor(
    protected readonly store: RoomStore,
    protected readonly opts: SignalingOptions,
    protected readonly metrics: SignalingMetrics,
    protected readonly timers: RoomTimers = REAL_TIMERS,
  ) {
    this.access = new Access(opts);
    this.announcer = new Announcer(this.access, metrics);
  }

  get nodeCount(): number {
    let n = 0;
    for (const r of this.store.rooms()) n += r.size;
    return n;
  }

  /** A room's state or its sockets changed (a cluster saves the room; nothing to do in one process). */
  protected changed(_rt: RoomRuntime): void {}

  error(peer: Peer, code: ErrorCode, message: string, ref?: Ref): void {
    this.metrics.errors.inc({ code });
    log.debug("refused", { code, room: peer.room, node: peer.node, message });
    peer.send(ref === undefined ? { type: "error", code, message } : { type: "error", code, message, ref });
  }

  // ------------------------------------------------------------------ join

  join(peer: Peer, msg: JoinMessage, now: number): void {
    const ref = msg.ref;
    if (peer.node !== undefined) return this.error(peer, "already-joined", `already joined as ${peer.node}`, ref);
    const grant = this.access.admitJoin(peer.ip, msg, now);
    if (!grant.ok) return this.error(peer, grant.code, grant.message, ref);
    const { resumeId, dedicated } = grant;

    let rt = this.runtimes.get(msg.room);
    if (resumeId !== undefined && rt?.state.planner.has(resumeId)) return this.rebind(peer, rt, resumeId, msg, now);
    if (rt && rt.state.size >= this.opts.maxRoomSize) {
      return this.error(peer, "room-full", `room holds at most ${this.opts.maxRoomSize} nodes`, ref);
    }
    if (msg.restore !== undefined) {
      // A restore is a node taking back its own place while the server rebuilds a room it lost
      // (a restart): only into a room it does not hold yet, or one being rebuilt.
      if (rt && !rt.rebuild) {
        return this.error(peer, "restore-refused", "this room is not being rebuilt: join with resume alone, and the planner places the node", ref);
      }
      if (rt?.state.member(resumeId!) !== undefined) return this.error(peer, "restore-refused", `${resumeId} is already restored`, ref);
      const parent = msg.restore.parent;
      const refusal = parent === null || !rt?.state.planner.has(parent) ? null : rt.state.planner.restoreRefusal(parent);
      if (refusal !== null) return this.error(peer, "restore-refused", `restore under ${refusal}`, ref);
      rt ??= this.openRoomFor(peer, msg.room, true, ref);
      if (!rt) return;
      return this.restore(peer, rt, resumeId!, msg, msg.restore, dedicated, now);
    }
    rt ??= this.openRoomFor(peer, msg.room, false, ref);
    if (!rt) return;
    const room = rt.state;
    const id = resumeId !== undefined && room.member(resumeId) === undefined ? resumeId : room.newNodeId();
    let moves: Move[];
    try {
      moves = room.planner.addNode(plannerInfo(id, msg));
    } catch (e) {
      if (room.size === 0) this.closeRoom(rt);
      if (e instanceof PlannerError && e.code === "invalid-node") return this.error(peer, "invalid-message", e.message, ref);
      log.error("planner refused a join", { room: msg.room, error: String(e) });
      return this.error(peer, "internal", "could not place the node", ref);
    }
    room.addMember(memberRecord(id, msg, dedicated, now));
    peer.room = msg.room;
    peer.node = id;
    rt.peers.set(id, peer);
    for (const s of msg.latency?.rtts ?? []) reportRtt(rt, id, s.to, s.rttMs, this.metrics);
    this.metrics.joins.inc();

    const mine = this.announcer.neighbourhood(rt, id);
    rt.told.set(id, mine);
    const epoch = room.bumpEpoch();
    log.info("join", { room: msg.room, node: id, name: msg.name, section: msg.section, parent: mine.parent, resumed: resumeId === id });
    peer.send(this.announcer.joinedMessage(rt, id, mine, ref, resumeId === id, now));
    this.announce(rt, moves, [], id, epoch);
  }

  /** Opens a room for a join, within the server's and the address's room limits; undefined after refusing. */
  private openRoomFor(peer: Peer, name: string, rebuilding: boolean, ref: Ref | undefined): RoomRuntime | undefined {
    if (this.store.size >= this.opts.maxRooms) {
      this.error(peer, "server-full", "no room for another room", ref);
      return undefined;
    }
    const refusal = this.access.mayOpenRoom(peer.ip);
    if (refusal) {
      this.error(peer, refusal.code, refusal.message, ref);
      return undefined;
    }
    return this.openRoom(name, rebuilding, peer.ip);
  }

  private openRoom(name: string, rebuilding: boolean, ip: string): RoomRuntime {
    const rt: RoomRuntime = {
      state: this.store.create(name, this.opts.media, this.opts.planner),
      peers: new Map(),
      told: new Map(),
      away: new Map(),
      openedBy: ip,
      moveRequests: new KeyedRateLimiter(this.opts.moveRequestRate),
    };
    this.runtimes.set(name, rt);
    this.access.roomOpened(ip);
    if (rebuilding) {
      const timer = this.timers.set(() => this.endRebuild(rt), this.opts.restoreWindowMs);
      rt.rebuild = { state: new RoomRebuild(rt.state.planner), timer };
    }
    log.info("room opened", { room: name, rebuilding });
    return rt;
  }

  /**
   * A node the server does not know comes back with its place (after a restart, or after its
   * grace period): it goes back under its reported parent. While the room is being rebuilt the
   * node is told its own report back, so that nobody's links change until every report is in.
   */
  private restore(peer: Peer, rt: RoomRuntime, id: NodeId, msg: JoinMessage, report: RestoreReport, dedicated: boolean, now: number): void {
    const room = rt.state;
    const info = plannerInfo(id, msg);
    let moves: Move[];
    try {
      // Only while the room is rebuilt (join() refuses a restore anywhere else).
      moves = rt.rebuild ? rt.rebuild.state.add(info, report) : [];
      if (!rt.rebuild) throw new Error("restore outside a rebuild");
    } catch (e) {
      if (room.size === 0) this.closeRoom(rt);
      if (e instanceof PlannerError && e.code !== "unknown-node") return this.error(peer, "restore-refused", e.message, msg.ref);
      log.error("planner refused a restore", { room: room.name, node: id, error: String(e) });
      return this.error(peer, "internal", "could not restore the node", msg.ref);
    }
    room.addMember(memberRecord(id, msg, dedicated, now));
    peer.room = room.name;
    peer.node = id;
    rt.peers.set(id, peer);
    this.metrics.joins.inc();
    const mine: Neighbourhood = rt.rebuild
      ? { parent: report.parent, backup: report.backup, children: [...report.children], waiting: false }
      : this.announcer.neighbourhood(rt, id);
    rt.told.set(id, mine);
    const epoch = room.bumpEpoch();
    log.info("restore", { room: room.name, node: id, parent: mine.parent, rebuilding: rt.rebuild !== undefined });
    peer.send(this.announcer.joinedMessage(rt, id, mine, msg.ref, true, now));
    if (rt.rebuild?.state.complete) this.endRebuild(rt);
    else this.announce(rt, moves, [], id, epoch);
  }

  /** The rebuild is over: place what never found its parent, then tell everyone whose place differs. */
  private endRebuild(rt: RoomRuntime): void {
    const rb = rt.rebuild;
    if (!rb || this.runtimes.get(rt.state.name) !== rt) return;
    this.timers.clear(rb.timer);
    rt.rebuild = undefined;
    let moves: Move[] = [];
    try {
      moves = rb.state.finish();
    } catch (e) {
      log.error("placing unrestored nodes failed", { room: rt.state.name, error: String(e) });
    }
    log.info("room rebuilt", { room: rt.state.name, restored: rb.state.restored, placed: moves.length });
    this.announce(rt, moves, [...rt.peers.keys()], undefined, rt.state.bumpEpoch(), "repair");
  }

  /**
   * A resume while the node still holds its place: same id, same place, new socket. Only once the
   * node's socket has gone (away within its grace period): a token replayed while the node is
   * connected gets `resume-in-use`, and the node keeps its place and its signals.
   */
  private rebind(peer: Peer, rt: RoomRuntime, id: NodeId, msg: JoinMessage, now: number): void {
    const live = rt.peers.get(id);
    if (live && live !== peer) {
      return this.error(peer, "resume-in-use", `${id} is connected; its resume token works once its socket has gone`, msg.ref);
    }
    if (rt.away.has(id)) this.timers.clear(rt.away.get(id));
    rt.away.delete(id);
    peer.room = msg.room;
    peer.node = id;
    rt.peers.set(id, peer);
    this.metrics.joins.inc();
    const mine = rt.rebuild ? (rt.told.get(id) ?? this.announcer.neighbourhood(rt, id)) : this.announcer.neighbourhood(rt, id);
    rt.told.set(id, mine);
    log.info("resume", { room: msg.room, node: id, parent: mine.parent });
    peer.send(this.announcer.joinedMessage(rt, id, mine, msg.ref, true, now));
    this.changed(rt);
  }

  // ------------------------------------------------------------------ leave

  leave(peer: Peer, ref: Ref | undefined): void {
    const rt = this.joined(peer, ref);
    if (!rt) return;
    this.remove(rt, peer.node!, "leave");
    peer.room = undefined;
    peer.node = undefined;
    peer.send(ref === undefined ? { type: "left" } : { type: "left", ref });
  }

  /** The socket is gone: leave now, or after the grace period (graceMs) when a resume may come. */
  disconnected(peer: Peer, graceMs = this.opts.disconnectGraceMs): void {
    const rt = peer.room !== undefined ? this.runtimes.get(peer.room) : undefined;
    const id = peer.node;
    peer.room = undefined;
    peer.node = undefined;
    if (!rt || id === undefined || rt.peers.get(id) !== peer) return;
    rt.peers.delete(id);
    this.changed(rt);
    if (graceMs > 0 && !this.closing) {
      log.debug("away", { room: rt.state.name, node: id });
      rt.away.set(
        id,
        this.timers.set(() => {
          rt.away.delete(id);
          if (rt.state.planner.has(id) && !rt.peers.has(id)) this.remove(rt, id, "gone");
        }, graceMs),
      );
    } else {
      this.remove(rt, id, "disconnect");
    }
  }

  private remove(rt: RoomRuntime, id: NodeId, why: string): void {
    const room = rt.state;
    const before = rt.told.get(id);
    let moves: Move[] = [];
    try {
      moves = room.planner.removeNode(id);
    } catch (e) {
      log.error("planner failed to remove a node", { room: room.name, node: id, error: String(e) });
    }
    room.removeMember(id);
    rt.rebuild?.state.drop(id);
    rt.peers.delete(id);
    rt.told.delete(id);
    if (rt.away.has(id)) this.timers.clear(rt.away.get(id));
    rt.away.delete(id);
    this.metrics.leaves.inc();
    log.info("leave", { room: room.name, node: id, reason: why });
    if (room.size === 0) {
      this.closeRoom(rt);
      return;
    }
    const extra = before ? [...before.children, ...(before.parent ? [before.parent] : [])] : [];
    this.announce(rt, moves, extra, undefined, room.bumpEpoch());
  }

  private closeRoom(rt: RoomRuntime): void {
    for (const t of rt.away.values()) this.timers.clear(t);
    if (rt.rebuild) this.timers.clear(rt.rebuild.timer);
    this.runtimes.delete(rt.state.name);
    this.store.delete(rt.state.name);
    this.access.roomClosed(rt.openedBy);
    log.info("room closed", { room: rt.state.name });
    this.changed(rt);
  }

  // ------------------------------------------------------------------ tree changes

  private announce(rt: RoomRuntime, moves: readonly Move[], extra: readonly NodeId[], skip: NodeId | undefined, epoch: number, extraReason: Move["reason"] = "leave"): void {
    if (!this.closing) this.announcer.announce(rt, moves, extra, skip, epoch, extraReason);
    this.changed(rt);
  }

  /** Bounded re-optimisation of one room; returns how many nodes moved. */
  rebalance(room: string, maxMoves: number): number {
    const rt = this.runtimes.get(room);
    if (!rt) return 0;
    const moves = rt.state.planner.rebalance(maxMoves);
    if (moves.length > 0) this.announce(rt, moves, [], undefined, rt.state.bumpEpoch());
    return moves.length;
  }

  // ------------------------------------------------------------------ relay and reports

  private joined(peer: Peer, ref: Ref | undefined): RoomRuntime | undefined {
    const rt = peer.room !== undefined ? this.runtimes.get(peer.room) : undefined;
    if (!rt || peer.node === undefined) {
      this.error(peer, "not-joined", "join a room first", ref);
      return undefined;
    }
    return rt;
  }

  signal(peer: Peer, msg: SignalMessage): void {
    const rt = this.joined(peer, msg.ref);
    if (!rt) return;
    const refusal = relaySignal(rt, peer.node!, msg, this.metrics);
    if (refusal) this.error(peer, refusal.code, refusal.message, msg.ref);
  }

  rtt(peer: Peer, msg: RttMessage): void {
    const rt = this.joined(peer, msg.ref);
    if (!rt) return;
    for (const s of msg.samples) reportRtt(rt, peer.node!, s.to, s.rttMs, this.metrics);
  }

  /**
   * A node's media from a tree neighbour stopped. A neighbour whose socket is gone too is dead:
   * it is removed now, not at the end of its grace period (its children go to their backups). A
   * lost parent that is still connected keeps its place; when the report says `move`, the
   * reporter moves, with its subtree, to its backup. Reports about a child whose socket lives
   * change nothing: the child reports its side. Stale reports (no longer neighbours) are ignored.
   * The moves one node asks for are rate-limited (moveRequestRate).
   */
  linkLost(peer: Peer, msg: LinkLostMessage, now: number): void {
    const rt = this.joined(peer, msg.ref);
    if (!rt || rt.rebuild) return;
    const me = peer.node!;
    const other = msg.peer;
    const p = rt.state.planner;
    if (other === me || !p.has(other)) return;
    const isParent = p.parentOf(me) === other;
    if (!isParent && p.parentOf(other) !== me) return;
    if (!rt.peers.has(other)) {
      log.info("lost", { room: rt.state.name, node: other, reportedBy: me });
      this.remove(rt, other, "lost");
      return;
    }
    if (!isParent || msg.move !== true) return;
    if (!rt.moveRequests.take(me, now)) {
      return this.error(peer, "move-rate-limited", `moves asked by one node are limited (burst ${this.opts.moveRequestRate.burst}, then one per ${Math.round(1 / this.opts.moveRequestRate.perSec)} s)`, msg.ref);
    }
    const moves = p.reparentToBackup(me);
    log.info("link lost", { room: rt.state.name, node: me, parent: other, moved: moves.length > 0 });
    if (moves.length > 0) this.announce(rt, moves, [], undefined, rt.state.bumpEpoch());
  }

  tree(peer: Peer, msg: TreeRequestMessage, now: number): void {
    let name = peer.room;
    if (name === undefined) {
      if (msg.room === undefined) return this.error(peer, "invalid-message", "room: needed before joining", msg.ref);
      const refusal = this.access.admitTree({ ...msg, room: msg.room }, now);
      if (refusal) return this.error(peer, refusal.code, refusal.message, msg.ref);
      name = msg.room;
    }
    peer.send(this.snapshot(name, msg.ref));
  }

  snapshot(name: string, ref?: Ref): TreeMessage {
    return this.announcer.snapshot(name, this.runtimes.get(name), ref);
  }

  /** Forgets join-rate buckets that have refilled, so the map stays small. */
  pruneBuckets(now: number): void {
    this.access.prune(now);
    for (const rt of this.runtimes.values()) rt.moveRequests.prune(now);
  }

  shutdown(): void {
    this.closing = true;
    for (const rt of this.runtimes.values()) {
      for (const t of rt.away.values()) this.timers.clear(t);
      if (rt.rebuild) this.timers.clear(rt.rebuild.timer);
    }
  }
}
