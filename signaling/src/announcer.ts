/**
 * What the server tells nodes about the tree: each node's neighbourhood, the `joined` reply, the
 * `tree-update` to every node whose parent, backup or children changed (and to nobody else),
 * and the `tree` snapshot of a whole room.
 */
import { PROTOCOL_VERSION, type JoinedMessage, type Ref, type TreeMessage, type TreeUpdateMessage } from "@choirmesh/protocol";
import { createLogger } from "@choirmesh/common/log";
import type { Access } from "./access.js";
import type { SignalingMetrics } from "./metrics.js";
import type { Move, NodeId } from "./planner/types.js";
import { sameNeighbourhood, type Neighbourhood, type RoomRuntime } from "./room-runtime.js";

const log = createLogger("signaling");

export class Announcer {
  constructor(
    private readonly access: Access,
    private readonly metrics: SignalingMetrics,
  ) {}

  /** `pairs`: direct pairs already worked out per hub in this announcement (planner/direct.ts). */
  neighbourhood(rt: RoomRuntime, id: NodeId, pairs?: Map<NodeId, Map<NodeId, NodeId[]>>): Neighbourhood {
    const p = rt.state.planner;
    const parent = p.parentOf(id);
    const mine: Neighbourhood = { parent, backup: this.backupOf(rt, id), children: [...p.childrenOf(id)], waiting: p.isWaiting(id) };
    if (parent === null || !(p.options.directPerSinger! > 0 || p.options.meshTops === true)) return mine;
    let under = pairs?.get(parent);
    if (under === undefined) {
      under = p.directPairsUnder(parent);
      pairs?.set(parent, under);
    }
    const direct = under.get(id) ?? [];
    return direct.length > 0 ? { ...mine, direct } : mine;
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
   * new parents are the only candidates (and `extra`, for the neighbours of a node that left);
   * each gets its whole new neighbourhood. While a room is rebuilt nobody is told anything: the
   * rebuild's end tells everyone at once.
   */
  announce(rt: RoomRuntime, moves: readonly Move[], extra: readonly NodeId[], skip: NodeId | undefined, epoch: number, extraReason: Move["reason"] = "leave"): void {
    if (rt.rebuild) return;
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
    // With direct neighbours, a hub's children change together: each one's pairs may have.
    if (planner.options.directPerSinger! > 0 || planner.options.meshTops === true) {
      for (const [id, reason] of [...reasons]) if (planner.has(id)) for (const c of planner.childrenOf(id)) consider(c, reason);
    }
    const pairs = new Map<NodeId, Map<NodeId, NodeId[]>>();
    for (const [id, reason] of reasons) {
      if (!planner.has(id)) continue;
      const now = this.neighbourhood(rt, id, pairs);
      const was = rt.told.get(id);
      if (sameNeighbourhood(was, now)) continue;
      rt.told.set(id, now);
      if (was && was.parent !== now.parent) {
        log.info("parent change", { room: rt.state.name, node: id, parent: now.parent, was: was.parent, reason });
      }
      const peer = rt.peers.get(id);
      if (!peer) continue;
      const update: TreeUpdateMessage = { type: "tree-update", ...now, reason, epoch };
      this.metrics.moves.inc();
      peer.send(update);
    }
  }

  joinedMessage(rt: RoomRuntime, id: NodeId, mine: Neighbourhood, ref: Ref | undefined, resumed: boolean, now: number): JoinedMessage {
    const room = rt.state.name;
    return {
      type: "joined",
      v: PROTOCOL_VERSION,
      ...(ref === undefined ? {} : { ref }),
      room,
      id,
      ...mine,
      media: { ...rt.state.media },
      resumeToken: this.access.resumeToken(room, id, rt.state.member(id)?.dedicated === true, now),
      resumed,
      epoch: rt.state.epoch,
    };
  }

  /** The whole room as a `tree` message (an empty one for a room that is not open). */
  snapshot(name: string, rt: RoomRuntime | undefined, ref?: Ref): TreeMessage {
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
}
