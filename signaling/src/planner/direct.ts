/**
 * Neighbours who hear each other directly (docs/design.md, "Neighbours hear each other
 * directly"): among the leaf singers under one hub, the pairs whose estimated one-way delay is at
 * most `directMaxMs` exchange their voices peer to peer, and their hub leaves exactly those
 * voices out of each one's down mix. Closest pairs first, each singer at most
 * `directPerSinger` of them and no more than its upload allows (its up stream first, then one
 * stream per direct neighbour). Pure and deterministic: the same tree and estimates give the same
 * pairs, and the relation is symmetric.
 */
import type { NodeId, PlannerNodeInfo } from "./types.js";

export interface DirectOptions {
  /** The meshed top tier: a dedicated root's dedicated children all pair up (and with no cap). */
  meshTops?: boolean;
  /** Direct neighbours a singer takes at most (0: none, the feature off). */
  directPerSinger: number;
  /** The longest estimated one-way delay between two direct neighbours, ms. */
  directMaxMs: number;
  /** Kbit/s of one stream (an up stream, a direct voice). */
  streamKbps: number;
}

/** Above this many leaves under one hub, only the first this many (in child order) are paired. */
export const DIRECT_MAX_CANDIDATES = 128;

export interface DirectView {
  parentOf(id: NodeId): NodeId | null;
  childrenOf(id: NodeId): readonly NodeId[];
  info(id: NodeId): PlannerNodeInfo | null;
  estimateLinkMs(a: NodeId, b: NodeId): number;
}

/** Direct neighbours of each leaf singer under `hub` (every leaf has an entry, maybe empty). */
export function directPairsUnder(view: DirectView, hub: NodeId, opts: DirectOptions): Map<NodeId, NodeId[]> {
  const out = new Map<NodeId, NodeId[]>();
  if (opts.meshTops === true && view.parentOf(hub) === null && view.info(hub)?.dedicated === true) {
    // The top tier: every dedicated child of the root with every other (at most 8 peers each).
    const tops = view.childrenOf(hub).filter((c) => view.info(c)?.dedicated === true).slice(0, 9);
    for (const t of tops) out.set(t, tops.filter((x) => x !== t));
  }
  if (!(opts.directPerSinger > 0)) return out;
  const leaves: NodeId[] = [];
  const caps: number[] = [];
  for (const c of view.childrenOf(hub)) {
    const info = view.info(c);
    if (!info || !info.hasVoice || view.childrenOf(c).length > 0) continue;
    if (leaves.length >= DIRECT_MAX_CANDIDATES) break;
    const byUpload = Number.isFinite(info.uploadKbps) && opts.streamKbps > 0 ? Math.floor((info.uploadKbps - opts.streamKbps) / opts.streamKbps) : 0;
    leaves.push(c);
    caps.push(Math.max(0, Math.min(opts.directPerSinger, byUpload)));
    out.set(c, []);
  }
  const pairs: { a: number; b: number; ms: number }[] = [];
  for (let i = 0; i < leaves.length; i++) {
    for (let j = i + 1; j < leaves.length; j++) {
      const ms = view.estimateLinkMs(leaves[i], leaves[j]);
      if (ms <= opts.directMaxMs) pairs.push({ a: i, b: j, ms });
    }
  }
  // Closest first; ties in child order, so that the result does not depend on the sort.
  pairs.sort((x, y) => x.ms - y.ms || x.a - y.a || x.b - y.b);
  const deg = new Array<number>(leaves.length).fill(0);
  for (const { a, b } of pairs) {
    if (deg[a] >= caps[a] || deg[b] >= caps[b]) continue;
    deg[a]++;
    deg[b]++;
    out.get(leaves[a])!.push(leaves[b]);
    out.get(leaves[b])!.push(leaves[a]);
  }
  return out;
}
