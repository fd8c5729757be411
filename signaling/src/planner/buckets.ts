/**
 * Nodes grouped by depth, and within a depth by latitude/longitude grid cells at three sizes
 * (2, 10 and 30 degrees), so that a join looks at the nearby open hubs of the shallowest levels
 * instead of every node, and a node far from all others finds candidates without walking
 * thousands of empty cells.
 */
import { type IndexSlot, type PNode, LAT_CELL_COUNT, LON_CELLS } from "./node.js";

/** Cell size of each grid level in 2-degree cells. */
const LEVEL_FACTOR = [1, 5, 15] as const;
const LEVELS = LEVEL_FACTOR.length;
const LAT_AT = LEVEL_FACTOR.map((f) => LAT_CELL_COUNT / f);
const LON_AT = LEVEL_FACTOR.map((f) => LON_CELLS / f);

interface Bucket {
  all: PNode[];
  /** cells[level][cell]: the nodes in that cell, or undefined. */
  cells: (PNode[] | undefined)[][];
  /** Nodes without a known place. */
  noPos: PNode[];
}

/** Below this many nodes in a depth, every one is a candidate. */
const EXACT_LIMIT = 48;
/** A level's search stops once it has this many candidates (after finishing its rings). */
const ENOUGH = 6;
/** A search stops as soon as it has seen this many. */
const MANY = 48;
/** Rings searched at each level before the next, coarser level takes over. */
const RINGS = 2;
const NO_POS_LIMIT = 48;
const FAR_LIMIT = 256;
/**
 * Candidates taken from one cell. A big city puts thousands of nodes at one point; past a few
 * dozen they differ only in their paths upward, and visiting all of them made joins linear in
 * the room's size. The cell's first nodes are its oldest, so a city fills its hubs one by one.
 */
const CELL_LIMIT = 24;

function cellAt(cell0: number, level: number): number {
  const f = LEVEL_FACTOR[level];
  const i = Math.floor(Math.floor(cell0 / LON_CELLS) / f);
  const j = Math.floor((cell0 % LON_CELLS) / f);
  return i * LON_AT[level] + j;
}

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
    while (this.depths.length <= depth) {
      this.depths.push({ all: [], cells: LEVEL_FACTOR.map((_, l) => new Array(LAT_AT[l] * LON_AT[l])), noPos: [] });
    }
    const b = this.depths[depth];
    slot.depth = depth;
    slot.pos = b.all.length;
    b.all.push(n);
    if (n.cell < 0) {
      slot.cellPos[0] = b.noPos.length;
      b.noPos.push(n);
    } else {
      for (let l = 0; l < LEVELS; l++) {
        const c = cellAt(n.cell, l);
        const list = b.cells[l][c] ?? (b.cells[l][c] = []);
        slot.cellPos[l] = list.length;
        list.push(n);
      }
    }
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
    if (n.cell < 0) this.cut(b.noPos, n, 0);
    else for (let l = 0; l < LEVELS; l++) this.cut(b.cells[l][cellAt(n.cell, l)]!, n, l);
    slot.pos = -1;
    slot.cellPos[0] = slot.cellPos[1] = slot.cellPos[2] = -1;
    slot.depth = -1;
    this.total--;
  }

  private cut(list: PNode[], n: PNode, level: number): void {
    const at = this.slotOf(n).cellPos[level];
    const last = list.pop()!;
    if (last !== n) {
      list[at] = last;
      this.slotOf(last).cellPos[level] = at;
    }
  }

  /**
   * Visit candidates at one depth for a node at x's place: all of them when few; otherwise
   * the cells ring by ring around x, 2-degree cells first, then 10 and 30-degree ones, until a
   * few are found (a ring more than needed, since a cell's corner can be nearer than the next
   * ring's), falling back to a sample of all when none is near. A node may be visited twice.
   */
  visitNear(depth: number, x: PNode, visit: (n: PNode) => void): void {
    const b = this.depths[depth];
    if (!b || b.all.length === 0) return;
    if (b.all.length <= EXACT_LIMIT) {
      for (let i = 0; i < b.all.length; i++) visit(b.all[i]);
      return;
    }
    if (x.cell < 0) {
      this.visitSample(b, NO_POS_LIMIT, visit);
      return;
    }
    for (let k = 0; k < b.noPos.length && k < 8; k++) visit(b.noPos[k]);
    for (let l = 0; l < LEVELS; l++) {
      const found = this.visitRings(b.cells[l], cellAt(x.cell, l), LAT_AT[l], LON_AT[l], visit);
      if (found >= ENOUGH) return;
    }
    this.visitSample(b, FAR_LIMIT, visit);
  }

  private visitRings(cells: (PNode[] | undefined)[], c: number, lats: number, lons: number, visit: (n: PNode) => void): number {
    const ci = Math.floor(c / lons);
    const cj = c % lons;
    let found = 0;
    let stopAt = RINGS;
    for (let r = 0; r <= stopAt; r++) {
      for (let di = -r; di <= r; di++) {
        const i = ci + di;
        if (i < 0 || i >= lats) continue;
        const edge = di === -r || di === r;
        const step = edge ? 1 : 2 * r;
        for (let dj = -r; dj <= r; dj += step) {
          const list = cells[i * lons + (((cj + dj) % lons) + lons) % lons];
          if (list !== undefined && list.length > 0) {
            const m = list.length < CELL_LIMIT ? list.length : CELL_LIMIT;
            for (let k = 0; k < m; k++) visit(list[k]);
            found += m;
            if (found >= MANY) return found;
          }
        }
      }
      if (found >= ENOUGH && stopAt > r + 1) stopAt = r + 1;
    }
    return found;
  }

  private visitSample(b: Bucket, limit: number, visit: (n: PNode) => void): void {
    const n = b.all.length;
    const start = this.rotate++ % n;
    for (let k = 0; k < limit && k < n; k++) visit(b.all[(start + k) % n]);
  }

  /** Every node at a depth (for small rooms and tests). */
  nodesAt(depth: number): readonly PNode[] {
    return this.depths[depth]?.all ?? [];
  }
}
