/**
 * What a local choir run reads from its nodes and its tree: waiting for a steady play-out before
 * recording, parent changes and concealed frames from the nodes' stats, hubs between two singers,
 * and the tree drawn as text.
 */
import type { TreeMessage } from "@choirmesh/protocol";
import type { ChoirNodeStats } from "@choirmesh/mixer-node/runtime/choir-node";
import type { RemoteNode } from "./remote-node.js";

export interface SettleOptions {
  /** Play-out must not have moved for this long (ms); default 2000. */
  quietMs?: number;
  /** Wait at least this long (ms); default 1500. */
  minMs?: number;
  /** Record anyway after this long (ms); default 12000. */
  maxMs?: number;
  /** How often the nodes are asked for their stats (ms); default 500. */
  pollMs?: number;
}

/**
 * Waits for the steady state before a recording: until no jitter buffer of any node has moved
 * its play-out (dropped, inserted or skipped a frame, restarted) for `quietMs`. Link set-up
 * raises the buffers' targets (CPU bursts while 30 handshakes run at once on two cores); they
 * give that delay back a few seconds later, one frame at a time, and each such step mid-recording
 * moves a voice's delay for everyone downstream. Polls each node's stats at a low rate.
 */
export async function waitForSteadyPlayout(nodes: readonly RemoteNode[], o: SettleOptions = {}): Promise<{ steady: boolean; ms: number }> {
  const quietMs = o.quietMs ?? 2000;
  const minMs = o.minMs ?? 1500;
  const maxMs = o.maxMs ?? 12_000;
  const pollMs = o.pollMs ?? 500;
  const t0 = performance.now();
  let last = -1;
  let lastChange = t0;
  for (;;) {
    const stats = await Promise.all(nodes.map((n) => n.stats().catch(() => null)));
    const shifts = stats.reduce((sum, st) => sum + (st ? countPops(st.stats).shifts : 0), 0);
    const now = performance.now();
    if (shifts !== last) {
      last = shifts;
      lastChange = now;
    }
    if (now - t0 >= minMs && now - lastChange >= quietMs) return { steady: true, ms: now - t0 };
    if (now - t0 >= maxMs) return { steady: false, ms: now - t0 };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Parent changes after the first parent, from a node host's neighbour events (node-host.ts). */
export function countMoves(healing: readonly { event: unknown }[]): number {
  let parent: string | null | undefined;
  let moves = 0;
  for (const h of healing) {
    const e = h.event as { kind?: string; parent?: string | null };
    if (e?.kind !== "neighbours" || e.parent === undefined || e.parent === null) continue;
    if (parent !== undefined && e.parent !== parent) moves++;
    parent = e.parent;
  }
  return moves;
}

/**
 * The hubs between a and b on the tree path, split where the sound turns: `up` counts the hubs
 * that mix a's voice into an up stream, and the meeting point (their lowest common ancestor)
 * when it is neither of them; `down` counts the hubs below the meeting point on b's side, each
 * a level of the down path. a -> its parent's other child: up 1, down 0.
 */
export function pathHubs(tree: TreeMessage, a: string, b: string): { up: number; down: number; meetsAtRoot: boolean } {
  const parent = new Map(tree.nodes.map((n) => [n.id, n.parent] as const));
  const up = (x: string): string[] => {
    const path = [x];
    let cur: string | null | undefined = parent.get(x);
    while (cur) {
      path.push(cur);
      cur = parent.get(cur);
    }
    return path;
  };
  const pa = up(a);
  const pb = up(b);
  const inB = new Set(pb);
  const hopsA = pa.findIndex((x) => inB.has(x)); // edges from a up to the meeting point
  const hopsB = pb.indexOf(pa[hopsA]); // edges from b up to it
  const meetsBetween = hopsA > 0 && hopsB > 0 ? 1 : 0;
  return { up: Math.max(0, hopsA - 1) + meetsBetween, down: Math.max(0, hopsB - 1), meetsAtRoot: pa[hopsA] === pa[pa.length - 1] };
}

export interface HopFit {
  /** What a pair pays without any hub between (its own devices, the network, one jitter buffer), ms. */
  baseMs: number;
  /** What each mixing hub on the way up (the meeting point included) adds, ms. */
  perHopMs: number;
  /** What each level of the down path adds, ms; NaN when the pairs cannot tell it from perHopMs. */
  downLevelMs: number;
  /**
   * What a pair that meets below the root adds, ms (fitHopsBelowRoot: the wait of a stream that
   * comes in before the top one, runtime/hear-phase.ts); absent from fitHops.
   */
  belowRootMs?: number;
}

/**
 * Least squares of pair delay on the hubs up, the levels down and whether the pair meets below
 * the root (three regressors and an intercept: the forwarded path with a hear phase). Falls back
 * to fitHops when no pair meets below the root or every pair does.
 */
export function fitHopsBelowRoot(pairs: readonly { up: number; down: number; meetsAtRoot: boolean; delayMs: number }[]): HopFit {
  const below = pairs.filter((p) => !p.meetsAtRoot).length;
  if (below === 0 || below === pairs.length) return { ...fitHops(pairs), belowRootMs: Number.NaN };
  // Normal equations, 4 x 4, by Gaussian elimination with partial pivoting.
  const a = [0, 1, 2, 3].map(() => [0, 0, 0, 0, 0]);
  for (const p of pairs) {
    const x = [1, p.up, p.down, p.meetsAtRoot ? 0 : 1];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) a[i][j] += x[i] * x[j];
      a[i][4] += x[i] * p.delayMs;
    }
  }
  for (let c = 0; c < 4; c++) {
    let piv = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
    if (Math.abs(a[piv][c]) < 1e-9) return { ...fitHops(pairs), belowRootMs: Number.NaN };
    [a[c], a[piv]] = [a[piv], a[c]];
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k < 5; k++) a[r][k] -= f * a[c][k];
    }
  }
  const b = a.map((row, i) => row[4] / row[i]);
  return { baseMs: b[0], perHopMs: b[1], downLevelMs: b[2], belowRootMs: b[3] };
}

/**
 * Least squares of pair delay on the hubs up and the levels down (two regressors and an
 * intercept). When no pair's path separates them (a star, a depth-1 tree) only their sum is
 * known: perHopMs is then the slope on all hubs and downLevelMs NaN.
 */
export function fitHops(pairs: readonly { up: number; down: number; delayMs: number }[]): HopFit {
  const n = pairs.length;
  if (n === 0) return { baseMs: NaN, perHopMs: NaN, downLevelMs: NaN };
  let mu = 0, md = 0, my = 0;
  for (const p of pairs) {
    mu += p.up / n;
    md += p.down / n;
    my += p.delayMs / n;
  }
  let suu = 0, sdd = 0, sud = 0, suy = 0, sdy = 0;
  for (const p of pairs) {
    const u = p.up - mu, d = p.down - md, y = p.delayMs - my;
    suu += u * u;
    sdd += d * d;
    sud += u * d;
    suy += u * y;
    sdy += d * y;
  }
  const det = suu * sdd - sud * sud;
  if (det > 1e-9 * Math.max(1, suu * sdd)) {
    const perHopMs = (sdd * suy - sud * sdy) / det;
    const downLevelMs = (suu * sdy - sud * suy) / det;
    return { baseMs: my - perHopMs * mu - downLevelMs * md, perHopMs, downLevelMs };
  }
  // One regressor: the hubs passed.
  let mh = 0;
  for (const p of pairs) mh += (p.up + p.down) / n;
  let shh = 0, shy = 0;
  for (const p of pairs) {
    const h = p.up + p.down - mh;
    shh += h * h;
    shy += h * (p.delayMs - my);
  }
  const perHopMs = shh > 0 ? shy / shh : NaN;
  return { baseMs: shh > 0 ? my - perHopMs * mh : my, perHopMs, downLevelMs: NaN };
}

export function renderTree(tree: TreeMessage, label: (id: string) => string): string {
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const lines: string[] = [];
  const walk = (id: string, prefix: string, last: boolean, top: boolean) => {
    const n = byId.get(id);
    if (!n) return;
    lines.push(`${top ? "" : prefix + (last ? "└─ " : "├─ ")}${label(id)}`);
    const kids = n.children;
    kids.forEach((c, i) => walk(c, top ? "" : prefix + (last ? "   " : "│  "), i === kids.length - 1, false));
  };
  if (tree.root) walk(tree.root, "", true, true);
  return lines.join("\n");
}

export interface PopCounts {
  total: number;
  conceal: number;
  /**
   * Frames by which inputs' play-out moved (jitter-buffer drops, insertions and skips) and
   * restarts: each moves everything after it in that stream by a frame or more.
   */
  shifts: number;
}

/** Frames a node's inputs played, and how many of them were concealed, from its stats. */
export function countPops(stats: ChoirNodeStats): PopCounts {
  const out = { total: 0, conceal: 0, shifts: 0 };
  for (const { pops, jitter: j } of stats.inputs) {
    out.total += pops.packet + pops.fec + pops.conceal;
    out.conceal += pops.conceal;
    out.shifts += j.dropped + j.inserted + j.skipped + j.resets;
  }
  // Frames the hear phase skipped or held moving past the tick (hear-phase.ts) shift the play-out too.
  if (stats.hear) out.shifts += stats.hear.skipped + stats.hear.held;
  return out;
}
