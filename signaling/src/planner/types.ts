/**
 * The tree planner's contract: a pure module (no I/O, no timers) that places
 * nodes in the mixing tree and returns the moves the server must announce.
 */

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
}

export interface PlannerOptions {
  /** Bitrate of one Opus stream in kbit/s, for the child cap (default 64 + overhead). */
  streamKbps: number;
  /** Absolute cap on children per hub regardless of capacity. */
  maxFanout: number;
  /** A hub's own delay per hop in ms: frame + jitter buffer + lookahead + processing. */
  hubDelayMs: number;
  /** Default one-way access delay of a home connection in ms. */
  defaultAccessMs: number;
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
}

export interface TreeSnapshot {
  root: NodeId | null;
  nodes: TreeNodeView[];
}
