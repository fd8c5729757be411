/**
 * Exact-objective local search for small rooms. With a few dozen nodes the real objective --
 * the worst pair delay, then the mean pair delay -- is cheap to evaluate, so rebalance can
 * hill-climb on it instead of on the join heuristic. Works on plain arrays (index = node);
 * pure and deterministic.
 *
 * Moves: re-parent a subtree under another hub with room; let a child take its parent's
 * place (the child keeps its children and adopts the parent and the parent's other children);
 * let two nodes trade places.
 * The number of nodes whose parent differs from the start never exceeds maxMoves.
 */

export interface SmallTree {
  /** parent[i], -1 for the root. */
  parent: Int32Array;
  cap: Int32Array;
  voice: Uint8Array;
  /** link[i * n + j]: one-way latency between i and j. */
  link: Float64Array;
  hubMs: number;
}

/** Worst pair delay and sum of pair delays (voices only) of a parent array. */
export function smallTreeCost(t: SmallTree, parent: Int32Array): { worst: number; sum: number; pairs: number } {
  const n = parent.length;
  const depth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let x = i; parent[x] >= 0; x = parent[x]) if (++d > n) return { worst: Infinity, sum: Infinity, pairs: 1 };
    depth[i] = d;
  }
  let worst = 0;
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < n; a++) {
    if (!t.voice[a]) continue;
    for (let b = a + 1; b < n; b++) {
      if (!t.voice[b]) continue;
      let x = a;
      let y = b;
      let dx = depth[x];
      let dy = depth[y];
      let total = 0;
      while (dx > dy) {
        total += t.link[x * n + parent[x]] + (x !== a ? t.hubMs : 0);
        x = parent[x];
        dx--;
      }
      while (dy > dx) {
        total += t.link[y * n + parent[y]] + (y !== b ? t.hubMs : 0);
        y = parent[y];
        dy--;
      }
      while (x !== y) {
        total += t.link[x * n + parent[x]] + (x !== a ? t.hubMs : 0);
        total += t.link[y * n + parent[y]] + (y !== b ? t.hubMs : 0);
        x = parent[x];
        y = parent[y];
      }
      if (x !== a && x !== b) total += t.hubMs;
      if (total > worst) worst = total;
      sum += total;
      pairs++;
    }
  }
  return { worst, sum, pairs };
}

/** The worst pair first; the mean breaks near-ties. */
const score = (c: { worst: number; sum: number; pairs: number }) => c.worst + (0.05 * c.sum) / Math.max(1, c.pairs);

function isAncestor(parent: Int32Array, anc: number, x: number): boolean {
  for (let y = x; y >= 0; y = parent[y]) if (y === anc) return true;
  return false;
}

/**
 * Greedy tree rooted at hub r: nodes nearest r first, each under the placed hub with room that
 * gives it the least delay to r's mix. Null when the caps do not fit everyone.
 */
function greedyFrom(t: SmallTree, r: number): Int32Array | null {
  const n = t.parent.length;
  const parent = new Int32Array(n).fill(-2);
  const up = new Float64Array(n);
  const load = new Int32Array(n);
  parent[r] = -1;
  const order = [...Array(n).keys()].filter((i) => i !== r).sort((a, b) => t.link[a * n + r] - t.link[b * n + r] || a - b);
  const placed = [r];
  for (const i of order) {
    let best = -1;
    let bestCost = Infinity;
    for (const p of placed) {
      if (load[p] >= t.cap[p]) continue;
      const c = up[p] + t.hubMs + t.link[i * n + p];
      if (c < bestCost) {
        bestCost = c;
        best = p;
      }
    }
    if (best < 0) return null;
    parent[i] = best;
    up[i] = bestCost;
    load[best]++;
    placed.push(i);
  }
  return parent;
}

/** Random valid tree (seeded): random root among hubs, random order, random hub with room. */
function randomTree(t: SmallTree, next: () => number): Int32Array | null {
  const n = t.parent.length;
  const hubs = [...Array(n).keys()].filter((i) => t.cap[i] > 0);
  if (hubs.length === 0) return null;
  const parent = new Int32Array(n).fill(-2);
  const load = new Int32Array(n);
  const r = hubs[Math.floor(next() * hubs.length)];
  parent[r] = -1;
  const placed = [r];
  // Hubs first so that capacity exists for the rest.
  const rest = [...Array(n).keys()].filter((i) => i !== r);
  const keys = rest.map((i) => (t.cap[i] > 0 ? 0 : 1) + next());
  const order = rest.map((i, k) => [keys[k], i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  for (const i of order) {
    const open = placed.filter((p) => load[p] < t.cap[p]);
    if (open.length === 0) return null;
    const p = open[Math.floor(next() * open.length)];
    parent[i] = p;
    load[p]++;
    placed.push(i);
  }
  return parent;
}

/** Rooms up to this size also try greedy starts from every hub and seeded random starts. */
const MULTI_START_MAX = 10;
const RANDOM_STARTS = 24;

/**
 * Hill-climb from the current tree (and, in very small rooms, from a greedy tree around every
 * hub); returns the best parent array whose changes stay within maxMoves (t.parent is kept).
 */
export function improveSmallTree(t: SmallTree, maxMoves: number, maxRounds = 50): Int32Array {
  const n = t.parent.length;
  let best = climb(t, Int32Array.from(t.parent), maxMoves, maxRounds);
  let bestScore = score(smallTreeCost(t, best));
  if (n <= MULTI_START_MAX) {
    // Climb from a start within the move budget; keep the best tree found.
    const consider = (g: ReturnType<typeof greedyFrom>) => {
      if (g === null || changedFrom(t.parent, g) > maxMoves) return;
      const c = climb(t, g, maxMoves, maxRounds);
      const s = score(smallTreeCost(t, c));
      if (s < bestScore - 1e-9) {
        best = c;
        bestScore = s;
      }
    };
    for (let r = 0; r < n; r++) if (t.cap[r] > 0) consider(greedyFrom(t, r));
    let state = 0x2545f491;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 4294967296;
    };
    for (let k = 0; k < RANDOM_STARTS; k++) consider(randomTree(t, next));
  }
  return best;
}

function changedFrom(start: Int32Array, p: Int32Array): number {
  let c = 0;
  for (let i = 0; i < p.length; i++) if (p[i] !== start[i]) c++;
  return c;
}

function climb(t: SmallTree, from: Int32Array, maxMoves: number, maxRounds: number): Int32Array {
  const n = t.parent.length;
  const start = t.parent;
  let cur = from;
  let curScore = score(smallTreeCost(t, cur));
  const kids = (p: Int32Array) => {
    const k = new Int32Array(n);
    for (let i = 0; i < n; i++) if (p[i] >= 0) k[p[i]]++;
    return k;
  };
  const changed = (p: Int32Array) => changedFrom(start, p);
  for (let round = 0; round < maxRounds; round++) {
    let best: Int32Array | null = null;
    let bestScore = curScore - 1e-9;
    const load = kids(cur);
    const consider = (cand: Int32Array) => {
      if (changed(cand) > maxMoves) return;
      const s = score(smallTreeCost(t, cand));
      if (s < bestScore) {
        bestScore = s;
        best = cand;
      }
    };
    for (let i = 0; i < n; i++) {
      if (cur[i] < 0) continue;
      // Re-parent i's subtree under hub h.
      for (let h = 0; h < n; h++) {
        if (h === i || h === cur[i] || load[h] >= t.cap[h] || isAncestor(cur, i, h)) continue;
        const cand = Int32Array.from(cur);
        cand[i] = h;
        consider(cand);
      }
      // i takes its parent's place.
      const p = cur[i];
      if (t.cap[i] >= load[i] + load[p]) {
        const cand = Int32Array.from(cur);
        for (let j = 0; j < n; j++) if (cand[j] === p && j !== i) cand[j] = i;
        cand[i] = cur[p];
        cand[p] = i;
        consider(cand);
      }
    }
    // i and j trade places (parents and children), when both caps allow.
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (cur[i] === j || cur[j] === i || t.cap[i] < load[j] || t.cap[j] < load[i]) continue;
        const cand = Int32Array.from(cur);
        for (let k = 0; k < n; k++) {
          if (cur[k] === i) cand[k] = j;
          else if (cur[k] === j) cand[k] = i;
        }
        cand[i] = cur[j];
        cand[j] = cur[i];
        consider(cand);
      }
    }
    if (best === null) break;
    cur = best;
    curScore = bestScore;
  }
  return cur;
}
