/**
 * Nodes grouped by depth, and within a depth by a 2-degree latitude/longitude grid cell, so
 * that a join looks at the nearby open hubs of the shallowest levels instead of every node.
 */
import {
  type IndexSlot,
  type PNode,
  LAT_CELL_COUNT,
  LON_CELLS,
  cellLatIndex,
  cellLonIndex,
} from "./node.js";

interface Bucket {
  all: PNode[];
  cells: Map<number, PNode[]>;
}

/** Below this many nodes in a depth, every one is a candidate. */
const EXACT_LIMIT = 48;
/** Candidates a ring search gathers before it stops (after one more ring). */
const RING_MIN = 6;
const NO_POS_LIMIT = 48;
/** A ring search stops after the ring in which it has seen this many. */
const RING_ENOUGH = 48;
/** Rings (of 2-degree cells) searched before a far node samples the whole depth instead. */
const FAR_RINGS = 8;
const FAR_LIMIT = 256;

export class DepthBuckets {
  private readonly depths: Bucket[] = [];
  private total = 0;
  private rotate = 0;

  constructor(private readonly slotOf: (n: PNode) => IndexSlot) {}

  get size(): number {
    return this.total;
  }

  count(depth: number): number {
    return this.depths[depth]?.all.length ?? 0;
  }

  maxDepth(): number {
    return this.depths.length - 1;
  }

  /** Shallowest depth holding a node, or -1. */
  minDepth(): number {
    for (let d = 0; d < this.depths.length; d++) if (this.depths[d].all.length > 0) return d;
    return -1;
  }

  has(n: PNode): boolean {
    return this.slotOf(n).pos >= 0;
  }

  add(n: PNode, depth: number): void {
    const slot = this.slotOf(n);
    if (slot.pos >= 0) this.remove(n);
    while (this.depths.length <= depth) this.depths.push({ all: [], cells: new Map() });
    const b = this.depths[depth];
    slot.depth = depth;
    slot.pos = b.all.length;
    b.all.push(n);
    let list = b.cells.get(n.cell);
    if (!list) {
      list = [];
      b.cells.set(n.cell, list);
    }
    slot.cellPos = list.length;
    list.push(n);
    this.total++;
  }

  remove(n: PNode): void {
    const slot = this.slotOf(n);
    if (slot.pos < 0) return;
    const b = this.depths[slot.depth];
    const last = b.all.pop()!;
    if (last !== n) {
      b.all[slot.pos] = last;
      this.slotOf(last).pos = slot.pos;
    }
    const list = b.cells.get(n.cell)!;
    const lastC = list.pop()!;
    if (lastC !== n) {
      list[slot.cellPos] = lastC;
      this.slotOf(lastC).cellPos = slot.cellPos;
    }
    slot.pos = -1;
    slot.cellPos = -1;
    slot.depth = -1;
    this.total--;
  }

  /**
   * Visit candidates at one depth for a node at x's place: all of them when few, otherwise
   * the grid cells ring by ring around x until a few are found (plus one more ring, since a
   * cell's corner can be nearer than the next ring's), falling back to all when none is near.
   */
  visitNear(depth: number, x: PNode, visit: (n: PNode) => void): void {
    const b = this.depths[depth];
    if (!b || b.all.length === 0) return;
    if (b.all.length <= EXACT_LIMIT) {
      for (let i = 0; i < b.all.length; i++) visit(b.all[i]);
      return;
    }
    if (x.cell < 0) {
      const n = b.all.length;
      const start = this.rotate++ % n;
      for (let k = 0; k < NO_POS_LIMIT; k++) visit(b.all[(start + k) % n]);
      return;
    }
    const noPos = b.cells.get(-1);
    if (noPos) for (let k = 0; k < noPos.length && k < 8; k++) visit(noPos[k]);
    const ci = cellLatIndex(x.cell);
    const cj = cellLonIndex(x.cell);
    let found = 0;
    let stopAt = LON_CELLS / 2;
    for (let r = 0; r <= stopAt; r++) {
      for (let di = -r; di <= r; di++) {
        const i = ci + di;
        if (i < 0 || i >= LAT_CELL_COUNT) continue;
        const edge = di === -r || di === r;
        for (let dj = -r; dj <= r; dj += edge ? 1 : 2 * r) {
          const list = b.cells.get(i * LON_CELLS + (((cj + dj) % LON_CELLS) + LON_CELLS) % LON_CELLS);
          if (list) {
            for (let k = 0; k < list.length; k++) visit(list[k]);
            found += list.length;
          }
          if (r === 0) break;
        }
      }
      if (found >= RING_ENOUGH) return;
      if (found >= RING_MIN && stopAt > r + 1) stopAt = r + 1;
      if (found === 0 && r >= FAR_RINGS) {
        // Nothing near: x is far from every candidate; a sample of all will do.
        const n = b.all.length;
        const start = this.rotate++ % n;
        for (let k = 0; k < FAR_LIMIT && k < n; k++) visit(b.all[(start + k) % n]);
        return;
      }
    }
  }

  /** Every node at a depth (for small rooms and tests). */
  nodesAt(depth: number): readonly PNode[] {
    return this.depths[depth]?.all ?? [];
  }
}
