import type { LinkEnd } from "../latency/index.js";
import type { PlannerNodeInfo } from "./types.js";

/** Where a node sits in one of the planner's indexes (kept on the node for O(1) removal). */
export interface IndexSlot {
  depth: number;
  pos: number;
  /** Position in the node's cell list at each grid level (see buckets.ts). */
  cellPos: [number, number, number];
}

/** The planner's record of a node. Implements LinkEnd so that latency estimates take it as is. */
export interface PNode extends LinkEnd {
  info: PlannerNodeInfo;
  cap: number;
  parent: PNode | null;
  children: PNode[];
  backup: PNode | null;
  /** Nodes naming this one as backup. */
  backupUsers: Set<PNode>;
  /** Depth below the root; -1 while waiting (or inside a waiting fragment). */
  depth: number;
  /** Modelled delay from this node's voice to the root's mix, the placement cost's base. */
  up: number;
  /** The depth-1 ancestor (the node itself at depth 1), whose subtree is the node's region; null at the root or waiting. */
  top: PNode | null;
  /** Grid cell of the location, -1 when unknown. */
  cell: number;
  /** Sections of the children, for keeping sections together. */
  sectionCount: Map<string, number>;
  seq: number;
  /** When the node last got a parent (join, move or repair), on the planner's clock; see moveCooldownMs. */
  placedAt: number;
  waiting: boolean;
  openSlot: IndexSlot;
  leafSlot: IndexSlot;
  /** Slot in the index of dedicated hubs with a free slot. */
  dedSlot: IndexSlot;
}

export function newSlot(): IndexSlot {
  return { depth: -1, pos: -1, cellPos: [-1, -1, -1] };
}

export const CELL_DEG = 2;
const LAT_CELLS = 180 / CELL_DEG;
export const LON_CELLS = 360 / CELL_DEG;

export function cellOf(lat: number, lon: number): number {
  const i = Math.min(LAT_CELLS - 1, Math.max(0, Math.floor((lat + 90) / CELL_DEG)));
  const j = (((Math.floor((lon + 180) / CELL_DEG) % LON_CELLS) + LON_CELLS) % LON_CELLS) | 0;
  return i * LON_CELLS + j;
}

export function cellLatIndex(cell: number): number {
  return Math.floor(cell / LON_CELLS);
}

export function cellLonIndex(cell: number): number {
  return cell % LON_CELLS;
}

export const LAT_CELL_COUNT = LAT_CELLS;

/** Whether b lies in the subtree of n (n included). Needs consistent depths. */
export function inSubtree(b: PNode, n: PNode): boolean {
  if (n.depth < 0 || b.depth < 0) {
    // Waiting fragments: walk to the top.
    for (let x: PNode | null = b; x !== null; x = x.parent) if (x === n) return true;
    return false;
  }
  let x: PNode | null = b;
  while (x !== null && x.depth > n.depth) x = x.parent;
  return x === n;
}
