/**
 * The room logic of the signaling server: join, leave, relay, RTT and tree requests, and the
 * announcement of tree changes. Transport-free apart from the `Peer` it is handed for each
 * socket, so it reads as the protocol's behaviour; server.ts wires it to socket.io.
 */
import { randomBytes } from "node:crypto";
import type { SignalingOptions } from "./defaults.js";
import type { ErrorCode } from "@choirmesh/protocol";
import { createLogger } from "@choirmesh/common/log";
import type { SignalingMetrics } from "./metrics.js";
import { KeyedRateLimiter } from "./rate-limit.js";
import { PlannerError } from "./planner/index.js";
import type { Move, NodeId, PlannerNodeInfo } from "./planner/types.js";
import {
  PROTOCOL_VERSION,
  type JoinMessage,
  type JoinedMessage,
  type LinkLostMessage,
  type Ref,
  type RttMessage,
  type ServerMessage,
  type SignalMessage,
  type TreeMessage,
  type TreeRequestMessage,
  type TreeUpdateMessage,
} from "@choirmesh/protocol";
import { RoomRebuild, type RestoreReport } from "./room-rebuild.js";
import type { MemberRecord, RoomState, RoomStore } from "./room-store.js";
import { createResumeToken, verifyResumeToken, verifyRoomToken } from "./tokens.js";

const log = createLogger("signaling");

/** One connected socket as the room logic sees it. */
export interface Peer {
  readonly ip: string;
  send(msg: ServerMessage): void;
  /** Drops the transport. */
  disconnect(): void;
  room?: string;
  node?: NodeId;
}

interface Neighbourhood {
  parent: NodeId | null;
  backup: NodeId | null;
  children: NodeId[];
  /** Placed nowhere yet (no hub with a free slot): parent null without being the root. */
  waiting: boolean;
}

/** Process-local state of a room: which socket speaks for which node. */
interface RoomRuntime {
  state: RoomState;
  peers: Map<NodeId, Peer>;
  /** The neighbourhood each node was last told, to announce only real changes. */
  told: Map<NodeId, Neighbourhood>;
  /** Nodes whose socket dropped, kept in place until the grace period ends. */
  away: Map<NodeId, NodeJS.Timeout>;
  /** Set while the room is rebuilt from its nodes' reports after a restart (room-rebuild.ts). */
  rebuild?: { state: RoomRebuild; timer: NodeJS.Timeout };
  /** The address whose join opened the room (maxRoomsPerIp counts the rooms it keeps open). */
  openedBy: string;
  /** Moves each node may still ask for (link-lost with move), per node. */
  moveRequests: KeyedRateLimiter;
}

function sameNeighbourhood(a: Neighbourhood | undefined, b: Neighbourhood): boolean {
  if (!a || a.parent !== b.parent || a.backup !== b.backup || a.waiting !== b.waiting || a.children.length !== b.children.length) {
    return false;
  }
  for (let i = 0; i < a.children.length; i++) if (a.children[i] !== b.children[i]) return false;
  return true;
}

export class Rooms {
  private readonly runtimes = new Map<string, RoomRuntime>();
  private readonly joinLimiter: KeyedRateLimiter;
  /** Rooms each address has opened that are still open. */
  private readonly roomsByIp = new Map<string, number>();
  private readonly resumeKey: string;
  private closing = false;

  constructor(
    private readonly store: RoomStore,
    private readonly opts: SignalingOptions,
    private readonly metrics: SignalingMetrics,
  ) {
    this.resumeKey = opts.resumeSecret ?? opts.secret ?? randomBytes(32).toString("hex");
    this.joinLimiter = new KeyedRateLimiter(opts.joinRatePerIp);
  }

  get nodeCount(): number {
    let n = 0;
    for (const r of this.store.rooms()) n += r.size;
    return n;
  }

  error(peer: Peer, code: ErrorCode, message: string, ref?: Ref): void {
    this.metrics.errors.inc({ code });
    log.debug("refused", { code, room: peer.room, node: peer.node, message });
    peer.send(ref === undefined ? { type: "error", code, message } : { type: "error", code, message, ref });
  }

  // ------------------------------------------------------------------ join

  join(peer: Peer, msg: JoinMessage, now: number): void {
    const ref = msg.ref;
    if (peer.node !== undefined) return this.error(peer, "already-joined", `already joined as ${peer.node}`, ref);
    if (!this.joinLimiter.take(peer.ip, now)) return this.error(peer, "join-rate-limited", "too many joins from this address", ref);
    if (msg.restore !== undefined && msg.resume === undefined) {
      return this.error(peer, "restore-refused", "restore names a node's own place and needs its resume token", ref);
    }

    // A valid resume token is access in itself: a room token may expire mid-rehearsal.
    let resumeId: NodeId | undefined;
    let dedicatedGrant = false;
    if (msg.resume !== undefined) {
      const r = verifyResumeToken(msg.resume, this.resumeKey, msg.room, now);
      if (r.ok) {
        resumeId = r.node;
        dedicatedGrant = r.dedicated;
      } else if (this.opts.secret !== undefined && msg.token === undefined) {
        // Nothing else gives access here: say what is wrong with the token that was given.
        return this.error(peer, r.code, `resume token: ${r.message}`, ref);
      } else log.debug("resume token ignored", { room: msg.room, reason: r.message });
    }
    if (resumeId === undefined && this.opts.secret !== undefined) {
      if (msg.token === undefined) return this.error(peer, "token-required", "this server needs a room token", ref);
      const t = verifyRoomToken(msg.token, this.opts.secret, msg.room, now);
      if (!t.ok) return this.error(peer, t.code, t.message, ref);
      dedicatedGrant = t.dedicated;
    }
    if (msg.dedicated === true && this.dedicatedPolicy === "token" && !dedicatedGrant) {
      return this.error(peer, "dedicated-refused", "joining as a dedicated hub needs a token that grants it (token --dedicated)", ref);
    }
    const dedicated = msg.dedicated === true;

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
      if (e instanceof PlannerError && e.code === "INVALID_NODE") return this.error(peer, "invalid-message", e.message, ref);
      log.error("planner refused a join", { room: msg.room, error: String(e) });
      return this.error(peer, "internal", "could not place the node", ref);
    }
    room.addMember(memberRecord(id, msg, dedicated, now));
    peer.room = msg.room;
    peer.node = id;
    rt.peers.set(id, peer);
    for (const s of msg.latency?.rtts ?? []) this.reportRtt(rt, id, s.to, s.rttMs);
    this.metrics.joins.inc();

    const mine = this.neighbourhood(rt, id);
    rt.told.set(id, mine);
    const epoch = room.bumpEpoch();
    log.info("join", { room: msg.room, node: id, name: msg.name, section: msg.section, parent: mine.parent, resumed: resumeId === id });
    peer.send(this.joinedMessage(rt, id, mine, ref, resumeId === id, now));
    this.announce(rt, moves, [], id, epoch);
  }

  private get dedicatedPolicy(): "token" | "anyone" {
    return this.opts.dedicatedHubs ?? (this.opts.secret !== undefined ? "token" : "anyone");
  }

  /** Opens a room for a join, within the server's and the address's room limits; undefined after refusing. */
  private openRoomFor(peer: Peer, name: string, rebuilding: boolean, ref: Ref | undefined): RoomRuntime | undefined {
    if (this.store.size >= this.opts.maxRooms) {
      this.error(peer, "server-full", "no room for another room", ref);
      return undefined;
    }
    if ((this.roomsByIp.get(peer.ip) ?? 0) >= this.opts.maxRoomsPerIp) {
      this.error(peer, "address-limit", `this address keeps ${this.opts.maxRoomsPerIp} rooms open already`, ref);
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
    this.roomsByIp.set(ip, (this.roomsByIp.get(ip) ?? 0) + 1);
    if (rebuilding) {
      const timer = setTimeout(() => this.endRebuild(rt), this.opts.restoreWindowMs);
      timer.unref?.();
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
      if (e instanceof PlannerError && e.code !== "UNKNOWN_NODE") return this.error(peer, "restore-refused", e.message, msg.ref);
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
      : this.neighbourhood(rt, id);
    rt.told.set(id, mine);
    const epoch = room.bumpEpoch();
    log.info("restore", { room: room.name, node: id, parent: mine.parent, rebuilding: rt.rebuild !== undefined });
    peer.send(this.joinedMessage(rt, id, mine, msg.ref, true, now));
    if (rt.rebuild?.state.complete) this.endRebuild(rt);
    else this.announce(rt, moves, [], id, epoch);
  }

  /** The rebuild is over: place what never found its parent, then tell everyone whose place differs. */
  private endRebuild(rt: RoomRuntime): void {
    const rb = rt.rebuild;
    if (!rb || this.runtimes.get(rt.state.name) !== rt) return;
    clearTimeout(rb.timer);
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
    const timer = rt.away.get(id);
    if (timer) clearTimeout(timer);
    rt.away.delete(id);
    peer.room = msg.room;
    peer.node = id;
    rt.peers.set(id, peer);
    this.metrics.joins.inc();
    const mine = rt.rebuild ? (rt.told.get(id) ?? this.neighbourhood(rt, id)) : this.neighbourhood(rt, id);
    rt.told.set(id, mine);
    log.info("resume", { room: msg.room, node: id, parent: mine.parent });
    peer.send(this.joinedMessage(rt, id, mine, msg.ref, true, now));
  }

  private joinedMessage(rt: RoomRuntime, id: NodeId, mine: Neighbourhood, ref: Ref | undefined, resumed: boolean, now: number): JoinedMessage {
    const room = rt.state.name;
    return {
      type: "joined",
      v: PROTOCOL_VERSION,
      ...(ref === undefined ? {} : { ref }),
      room,
      id,
      ...mine,
      media: { ...rt.state.media },
      resumeToken: createResumeToken({
        room,
        node: id,
        secret: this.resumeKey,
        ttlSec: this.opts.resumeTtlSec,
        nowMs: now,
        dedicated: rt.state.member(id)?.dedicated === true,
      }),
      resumed,
      epoch: rt.state.epoch,
    };
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

  /** The socket is gone: leave now, or after the grace period when a resume may come. */
  disconnected(peer: Peer): void {
    const rt = peer.room !== undefined ? this.runtimes.get(peer.room) : undefined;
    const id = peer.node;
    peer.room = undefined;
    peer.node = undefined;
    if (!rt || id === undefined || rt.peers.get(id) !== peer) return;
    rt.peers.delete(id);
    if (this.opts.disconnectGraceMs > 0 && !this.closing) {
      log.debug("away", { room: rt.state.name, node: id });
      rt.away.set(
        id,
        setTimeout(() => {
          rt.away.delete(id);
          if (rt.state.planner.has(id) && !rt.peers.has(id)) this.remove(rt, id, "gone");
        }, this.opts.disconnectGraceMs),
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
    const t = rt.away.get(id);
    if (t) clearTimeout(t);
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
    for (const t of rt.away.values()) clearTimeout(t);
    if (rt.rebuild) clearTimeout(rt.rebuild.timer);
    this.runtimes.delete(rt.state.name);
    this.store.delete(rt.state.name);
    const opened = (this.roomsByIp.get(rt.openedBy) ?? 1) - 1;
    if (opened > 0) this.roomsByIp.set(rt.openedBy, opened);
    else this.roomsByIp.delete(rt.openedBy);
    log.info("room closed", { room: rt.state.name });
  }

  // ------------------------------------------------------------------ tree changes

  private neighbourhood(rt: RoomRuntime, id: NodeId): Neighbourhood {
    const p = rt.state.planner;
    return { parent: p.parentOf(id), backup: this.backupOf(rt, id), children: [...p.childrenOf(id)], waiting: p.isWaiting(id) };
  }

  /** The planner's backup, unless it names a node no longer in the room: never send a node to fail over to a ghost. */
  private backupOf(rt: RoomRuntime, id: NodeId): NodeId | null {
    const b = rt.state.planner.backupOf(id);
    if (b === null || rt.state.planner.has(b)) return b;
    log.warn("planner named a removed node as backup; announcing none", { room: rt.state.name, node: id, backup: b });
    return null;
  }

  /**
   * Tells every node whose parent, backup or children changed. The moved nodes, their old and
   * new parents are the only candidates; each gets its whole new neighbourhood.
   */
  private announce(
    rt: RoomRuntime,
    moves: readonly Move[],
    extra: readonly NodeId[],
    skip: NodeId | undefined,
    epoch: number,
    extraReason: Move["reason"] = "leave",
  ): void {
    // While a room is rebuilt nobody is told anything: endRebuild tells everyone at once.
    if (this.closing || rt.rebuild) return;
    const planner = rt.state.planner;
    const reasons = new Map<NodeId, Move["reason"]>();
    const consider = (id: NodeId | null | undefined, reason: Move["reason"]) => {
      if (id && id !== skip && !reasons.has(id)) reasons.set(id, reason);
    };
    for (const m of moves) {
      consider(m.node, m.reason);
      consider(rt.told.get(m.node)?.parent, m.reason);
      consider(m.parent, m.reason);
    }
    for (const id of extra) consider(id, extraReason);
    for (const [id, reason] of reasons) {
      if (!planner.has(id)) continue;
      const now = this.neighbourhood(rt, id);
      const was = rt.told.get(id);
      if (sameNeighbourhood(was, now)) continue;
      rt.told.set(id, now);
      if (was && was.parent !== now.parent) {
        log.info("parent change", { room: rt.state.name, node: id, parent: now.parent, was: was.parent, reason });
      }
      const peer = rt.peers.get(id);
      if (!peer) continue;
      const update: TreeUpdateMessage = {
        type: "tree-update",
        parent: now.parent,
        backup: now.backup,
        children: now.children,
        waiting: now.waiting,
        reason,
        epoch,
      };
      this.metrics.moves.inc();
      peer.send(update);
    }
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
    const me = peer.node!;
    const p = rt.state.planner;
    const to = msg.to;
    // Only tree neighbours, in both directions; ids of other rooms are simply unknown here.
    const told = (a: NodeId, b: NodeId) => {
      const t = rt.told.get(a);
      return t !== undefined && (t.parent === b || t.backup === b || t.children.includes(b));
    };
    // What the planner says, or what either end was last told (a rebuild, or a move in flight).
    const neighbour =
      to !== me &&
      ((p.has(to) && (p.parentOf(me) === to || p.parentOf(to) === me || p.backupOf(me) === to || p.backupOf(to) === me)) ||
        told(me, to) ||
        told(to, me));
    if (!neighbour) return this.error(peer, "not-neighbour", `${to} is not your parent, child or backup`, msg.ref);
    const target = rt.peers.get(to);
    if (!target) return this.error(peer, "peer-unavailable", `${to} is reconnecting`, msg.ref);
    this.metrics.signals.inc({ kind: msg.kind });
    target.send({ type: "signal", from: me, kind: msg.kind, data: msg.data });
  }

  rtt(peer: Peer, msg: RttMessage): void {
    const rt = this.joined(peer, msg.ref);
    if (!rt) return;
    for (const s of msg.samples) this.reportRtt(rt, peer.node!, s.to, s.rttMs);
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

  private reportRtt(rt: RoomRuntime, from: NodeId, to: NodeId, rttMs: number): void {
    // Samples about nodes that have left are stale, not wrong: drop them quietly.
    if (to === from || !rt.state.planner.has(to)) return;
    rt.state.planner.reportRtt(from, to, rttMs);
    this.metrics.rtts.inc();
  }

  tree(peer: Peer, msg: TreeRequestMessage, now: number): void {
    let name = peer.room;
    if (name === undefined) {
      if (msg.room === undefined) return this.error(peer, "invalid-message", "room: needed before joining", msg.ref);
      if (this.opts.secret !== undefined) {
        if (msg.token === undefined) return this.error(peer, "token-required", "this server needs a room token", msg.ref);
        const t = verifyRoomToken(msg.token, this.opts.secret, msg.room, now);
        if (!t.ok) return this.error(peer, t.code, t.message, msg.ref);
      }
      name = msg.room;
    }
    peer.send(this.snapshot(name, msg.ref));
  }

  snapshot(name: string, ref?: Ref): TreeMessage {
    const rt = this.runtimes.get(name);
    const base = { type: "tree" as const, ...(ref === undefined ? {} : { ref }), room: name };
    if (!rt) return { ...base, root: null, epoch: 0, nodes: [] };
    const snap = rt.state.planner.snapshot();
    return {
      ...base,
      root: snap.root,
      epoch: rt.state.epoch,
      nodes: snap.nodes.map((n) => ({
        id: n.id,
        name: rt.state.member(n.id)?.name ?? "",
        section: rt.state.member(n.id)?.section ?? n.section,
        parent: n.parent,
        backup: n.backup !== null && rt.state.planner.has(n.backup) ? n.backup : null,
        children: [...n.children],
        depth: n.depth,
        waiting: n.waiting === true,
        hasVoice: n.hasVoice,
        canHub: n.canHub,
      })),
    };
  }

  /** Forgets join-rate buckets that have refilled, so the map stays small. */
  pruneBuckets(now: number): void {
    this.joinLimiter.prune(now);
    for (const rt of this.runtimes.values()) rt.moveRequests.prune(now);
  }

  shutdown(): void {
    this.closing = true;
    for (const rt of this.runtimes.values()) {
      for (const t of rt.away.values()) clearTimeout(t);
      if (rt.rebuild) clearTimeout(rt.rebuild.timer);
    }
  }
}

/** The room's record of a member, from its join message and what its token allows. */
function memberRecord(id: NodeId, msg: JoinMessage, dedicated: boolean, now: number): MemberRecord {
  return {
    id,
    name: msg.name,
    section: msg.section,
    canHub: msg.canHub,
    uploadKbps: msg.uploadKbps,
    hasVoice: msg.hasVoice,
    dedicated,
    joinedAt: now,
  };
}

/** What the planner needs to know of a joining node, from its join message. */
function plannerInfo(id: NodeId, msg: JoinMessage): PlannerNodeInfo {
  return {
    id,
    name: msg.name,
    section: msg.section,
    canHub: msg.canHub,
    uploadKbps: msg.uploadKbps,
    hasVoice: msg.hasVoice,
    dedicated: msg.dedicated,
    location: msg.latency?.location,
    accessMs: msg.latency?.accessMs,
  };
}
