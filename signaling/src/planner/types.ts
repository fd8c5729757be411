/**
 * The tree planner's contract: a pure module (no I/O, no timers) that places
 * nodes in the mixing tree and returns the moves the server must announce.
 */

import type { VivaldiOptions } from "../latency/vivaldi.js";

export type NodeId = string;

export interface GeoPoint {
  lat: number;
  lon: number;
}

export interface PlannerNodeInfo {
  id: NodeId;
  name?: string;
  /** soprano, alto, tenor, bass, ... or "" when unknown. */
  section: string;
  /** Whether the node may act as a hub (mix for children). */
  canHub: boolean;
  /** Upload capacity in kbit/s; with the stream bitrate it sets the child cap. */
  uploadKbps: number;
  /** A singer has a voice; a dedicated hub has none. */
  hasVoice: boolean;
  /** A dedicated hub in a data centre: negligible access delay, preferred near the root. */
  dedicated?: boolean;
  /** Location hint for the geographic latency fallback. */
  location?: GeoPoint;
  /** One-way access delay of the node's own connection in ms, when known (default from options). */
  accessMs?: number;
}

export interface Move {
  node: NodeId;
  /** null when the node is (now) the root. */
  parent: NodeId | null;
  /** Backup parent outside the node's subtree, null when none exists. */
  backup: NodeId | null;
  reason: "join" | "leave" | "rebalance" | "repair" | "backup";
  /**
   * True when the node is placed nowhere for now: parent null and not the root. It waits
   * for capacity (a non-hub first joiner, or a room whose hubs are all full) and gets a
   * "join" move when a slot appears. Absent or false otherwise.
   */
  waiting?: boolean;
}

export interface PlannerOptions {
  /** Bitrate of one Opus stream in kbit/s, for the child cap (default 64 + overhead). */
  streamKbps: number;
  /** Absolute cap on children per hub regardless of capacity. */
  maxFanout: number;
  /** A hub's own delay per hop in ms, on the way up and where a pair meets (the engine's per-hop figure). */
  hubDelayMs: number;
  /**
   * What a hub adds on the way down, ms (the engine's per-level figure): hubDelayMs on the
   * re-encoding path, a few ms where hubs forward what comes from above. Default: hubDelayMs.
   */
  downLevelMs?: number;
  /**
   * What a pair that meets below the root waits, ms, where nodes hear in a phase of their own
   * after the stream from the top (the forwarded path). Default 0.
   */
  belowRootMs?: number;
  /**
   * The room runs the forwarded down path: a hub at depth d uploads d + 1 streams per child (its
   * own and the d from above), and its cap follows its depth (caps.ts). Default false.
   */
  forwardedDown?: boolean;
  /** Default one-way access delay of a home connection in ms. */
  defaultAccessMs: number;
  /** One-way access delay of a dedicated hub in a data centre (default 0.5). */
  dedicatedAccessMs?: number;
  /** Link estimate when neither coordinates nor locations are known (default 25). */
  defaultLinkMs?: number;
  /**
   * While a dedicated hub has a free slot, a singer goes under a singer's hub only when that
   * is better by more than this many ms of modelled delay (default 20): a home hub's jitter,
   * upload and staying power are not in the delay model.
   */
  dedicatedPreferenceMs?: number;
  /**
   * Neighbours who hear each other directly (direct.ts): leaf singers under one hub whose
   * estimated one-way delay is at most directMaxMs (default 25) link peer to peer, up to
   * directPerSinger each (default 0: off).
   */
  directPerSinger?: number;
  directMaxMs?: number;
  /**
   * What a dedicated hub whose leaves include directPerSinger of a joiner's close singers is worth
   * to it, ms of modelled delay (fewer in proportion; default 20): close singers gather under one hub.
   */
  directWeightMs?: number;
  /**
   * A meshed dedicated tier (docs/design.md): a dedicated root and its dedicated children are the
   * top tier; each pair of them links directly, each region hears the others through its own top
   * hub, and a joiner weighs a top hub as it would a root. Default false.
   */
  meshTops?: boolean;
  /** Child cap of dedicated hubs (servers have more CPU than singers' machines; default 256). */
  maxFanoutDedicated?: number;
  /** How many ms of link latency a hub full of the joiner's own section is worth (default 6). */
  sectionWeightMs?: number;
  /**
   * Weight of the link from a joiner to the top of the region (the depth-1 subtree) it would
   * join, on top of its own delay to the root (default 0.75): neighbours then join the same
   * region and meet low in the tree.
   */
  regionWeight?: number;
  /** Extra ms a joiner pays for a weak hub, to keep weak hubs childless and replaceable (default 4). */
  weakHubWeightMs?: number;
  /** Others a join may move (displaced leaves, adopted children of a replaced hub); default 4. */
  joinMoveBudget?: number;
  /** Nodes that may name one hub as backup, per spare slot of that hub (default 2). */
  backupUsersPerSlot?: number;
  /** Rooms up to this size are rebalanced by local search on the exact pair delays (default 24). */
  smallRoomSize?: number;
  /** Room size at which the root and the hubs below it are first reconsidered (default 64; see growth.ts). */
  rootCheckFirst?: number;
  /** Growth factor between later checks (default 2; 1 or less: never). */
  rootCheckFactor?: number;
  /** A new hub must save this many ms of link per singer below it, size-weighted (default 0.25). */
  rootMoveGainMs?: number;
  /** Hubs down to this depth are reconsidered at each check (default 2: the root, region heads and the hubs below them; 0: the root only). */
  relocateDepth?: number;
  /** Earlier nodes each join re-examines (default 2; 0: none); at most one of them moves (see growth.ts). */
  reviewPerJoin?: number;
  /** A reviewed leaf moves when that lowers its placement cost by more than this (default 1 ms). */
  reviewGainMs?: number;
  /**
   * A node placed (joined or moved) less than this long ago is not moved to gain delay by the
   * planner's own initiative: the reviews and hub relocations of later joins pass it by. Repairs
   * (a parent gone) always move at once, and so does an operator's explicit rebalance(). Default
   * 0 (off, for the pure planner); the signaling server sets 60 s (SERVER_MOVE_COOLDOWN_MS).
   */
  moveCooldownMs?: number;
  /** The planner's clock for moveCooldownMs, ms (default: always 0). */
  now?: () => number;
  /** Vivaldi network coordinates (see latency/vivaldi.ts). */
  vivaldi?: Partial<VivaldiOptions>;
}

export interface TreeNodeView {
  id: NodeId;
  parent: NodeId | null;
  backup: NodeId | null;
  children: NodeId[];
  depth: number;
  section: string;
  hasVoice: boolean;
  canHub: boolean;
  maxChildren: number;
  /** True while the node waits for a place (then parent is null, depth is -1). */
  waiting?: boolean;
}

export interface TreeSnapshot {
  root: NodeId | null;
  nodes: TreeNodeView[];
  /** Nodes (or fragments' top nodes) waiting for capacity, in arrival order. */
  waiting?: NodeId[];
}

/**
 * A planner as plain data (JSON-safe), for a store that holds rooms outside one process: the
 * options, and every node's self-description and place, parents before their children and
 * children in their order. TreePlanner.fromData rebuilds the same tree from it (the RTT
 * estimates are not kept: they are learned again from the nodes' next reports).
 */
export interface PlannerData {
  options: PlannerOptions;
  nodes: Array<{ info: PlannerNodeInfo; parent: NodeId | null; backup: NodeId | null; waiting?: boolean }>;
}
