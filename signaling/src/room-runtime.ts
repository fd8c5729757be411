/**
 * What the server keeps of a room in this process, beside the room's state in the store: which
 * socket speaks for which node, what each node was last told, the timers of nodes that are away,
 * and a rebuild under way. Also the small conversions from a join message to the records the
 * room and the planner keep.
 */
import type { JoinMessage, ServerMessage } from "@choirmesh/protocol";
import type { NodeId, PlannerNodeInfo } from "./planner/types.js";
import type { KeyedRateLimiter } from "./rate-limit.js";
import type { RoomRebuild } from "./room-rebuild.js";
import type { MemberRecord, RoomState } from "./room-store.js";

/** One connected socket as the room logic sees it. */
export interface Peer {
  readonly ip: string;
  send(msg: ServerMessage): void;
  /** Drops the transport. */
  disconnect(): void;
  room?: string;
  node?: NodeId;
  /** In a cluster: the socket's id and the signaling process that holds it. */
  readonly sid?: string;
  readonly proc?: string;
}

/** A node's place as it is announced: its parent, backup and children. */
export interface Neighbourhood {
  parent: NodeId | null;
  backup: NodeId | null;
  children: NodeId[];
  /** Placed nowhere yet (no hub with a free slot): parent null without being the root. */
  waiting: boolean;
  /** Leaf singers under the same hub it hears directly (planner/direct.ts); absent or empty: none. */
  direct?: NodeId[];
}

/** The timers the room logic sets (injected: tests drive them by hand). */
export interface RoomTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const REAL_TIMERS: RoomTimers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Process-local state of a room. */
export interface RoomRuntime {
  state: RoomState;
  peers: Map<NodeId, Peer>;
  /** The neighbourhood each node was last told, to announce only real changes. */
  told: Map<NodeId, Neighbourhood>;
  /** Nodes whose socket dropped, kept in place until the grace period ends: their timers. */
  away: Map<NodeId, unknown>;
  /** Set while the room is rebuilt from its nodes' reports after a restart (room-rebuild.ts). */
  rebuild?: { state: RoomRebuild; timer: unknown };
  /** The address whose join opened the room (maxRoomsPerIp counts the rooms it keeps open). */
  openedBy: string;
  /** Moves each node may still ask for (link-lost with move), per node. */
  moveRequests: KeyedRateLimiter;
}

export function sameNeighbourhood(a: Neighbourhood | undefined, b: Neighbourhood): boolean {
  if (!a || a.parent !== b.parent || a.backup !== b.backup || a.waiting !== b.waiting || a.children.length !== b.children.length) {
    return false;
  }
  for (let i = 0; i < a.children.length; i++) if (a.children[i] !== b.children[i]) return false;
  const da = a.direct ?? [];
  const db = b.direct ?? [];
  return da.length === db.length && da.every((x, i) => x === db[i]);
}

/** The room's record of a member, from its join message and what its token allows. */
export function memberRecord(id: NodeId, msg: JoinMessage, dedicated: boolean, now: number): MemberRecord {
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
export function plannerInfo(id: NodeId, msg: JoinMessage): PlannerNodeInfo {
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
