/**
 * Layout of the room's tree for the director's view (pure: the tree message in, positions,
 * links and colours out; tree-view.ts draws them).
 *
 * Link colours stand for delay. The tree message carries no per-link delay, so a link is
 * coloured by what the page knows: the measured delay (RTT/2) where it has one (the singer's
 * own link), otherwise an estimate from the hop's depth, at the per-hop budget of the live
 * tree (2 frames + 5 ms per hub hop, issue 4) — shown as such in the legend.
 */
import type { TreeNodeInfo } from "@choirmesh/protocol";

export interface LaidOutNode {
  id: string;
  name: string;
  section: string;
  x: number;
  y: number;
  depth: number;
  waiting: boolean;
  hub: boolean;
  self: boolean;
}

export interface LaidOutLink {
  from: string;
  to: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** One-way delay the colour stands for, ms. */
  delayMs: number;
  measured: boolean;
  colour: string;
}

export interface TreeLayout {
  width: number;
  height: number;
  nodes: LaidOutNode[];
  links: LaidOutLink[];
}

export interface LayoutOptions {
  self?: string | null;
  frameMs?: number;
  /** Measured one-way delays by "parent>child", ms. */
  measured?: ReadonlyMap<string, number>;
  columnWidth?: number;
  rowHeight?: number;
  margin?: number;
}

/** The per-hop delay estimate used where nothing was measured, ms. */
export function hopEstimateMs(frameMs: number): number {
  return 2 * frameMs + 5;
}

/** green (short) -> amber -> red (long): 0 ms green, 30 ms amber, 60 ms and beyond red. */
export function delayColour(ms: number): string {
  const t = Math.max(0, Math.min(1, ms / 60));
  const hue = Math.round(130 * (1 - t));
  return `hsl(${hue}, 70%, 42%)`;
}

export function linkKey(parent: string, child: string): string {
  return `${parent}>${child}`;
}

export function layoutTree(nodes: readonly TreeNodeInfo[], opts: LayoutOptions = {}): TreeLayout {
  const col = opts.columnWidth ?? 110;
  const row = opts.rowHeight ?? 80;
  const margin = opts.margin ?? 40;
  const frameMs = opts.frameMs ?? 10;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const placed = nodes.filter((n) => !n.waiting && (n.parent === null || byId.has(n.parent)));
  const roots = placed.filter((n) => n.parent === null);
  const xs = new Map<string, number>();
  const depthOf = new Map<string, number>();
  let nextLeaf = 0;
  let maxDepth = 0;
  // Tidy enough for a few hundred nodes: leaves in DFS order, parents centred over children.
  const visit = (n: TreeNodeInfo, depth: number, seen: Set<string>): void => {
    if (seen.has(n.id)) return; // a cycle would be a server bug; never loop on it
    seen.add(n.id);
    depthOf.set(n.id, depth);
    maxDepth = Math.max(maxDepth, depth);
    const kids = n.children.map((c) => byId.get(c)).filter((c): c is TreeNodeInfo => c !== undefined && !c.waiting);
    if (kids.length === 0) {
      xs.set(n.id, nextLeaf++);
      return;
    }
    for (const k of kids) visit(k, depth + 1, seen);
    const kx = kids.map((k) => xs.get(k.id)).filter((x): x is number => x !== undefined);
    xs.set(n.id, kx.length > 0 ? (Math.min(...kx) + Math.max(...kx)) / 2 : nextLeaf++);
  };
  const seen = new Set<string>();
  for (const r of roots) visit(r, 0, seen);
  const waiting = nodes.filter((n) => !seen.has(n.id));
  const waitingRow = maxDepth + (waiting.length > 0 ? 1.5 : 0);
  waiting.forEach((n, i) => {
    xs.set(n.id, i);
    depthOf.set(n.id, -1);
  });
  const columns = Math.max(nextLeaf, waiting.length, 1);
  const width = 2 * margin + (columns - 1) * col;
  // Names and sections hang below each node.
  const height = 2 * margin + waitingRow * row + 24;
  const self = opts.self ?? null;
  const out: LaidOutNode[] = nodes
    .filter((n) => xs.has(n.id))
    .map((n) => {
      const d = depthOf.get(n.id)!;
      return {
        id: n.id,
        name: n.name,
        section: n.section,
        x: margin + xs.get(n.id)! * col,
        y: margin + (d < 0 ? waitingRow : d) * row,
        depth: d,
        waiting: d < 0,
        hub: n.children.length > 0 || !n.hasVoice,
        self: n.id === self,
      };
    });
  const pos = new Map(out.map((n) => [n.id, n]));
  const links: LaidOutLink[] = [];
  for (const n of out) {
    if (n.waiting) continue;
    const info = byId.get(n.id)!;
    const p = info.parent === null ? undefined : pos.get(info.parent);
    if (!p) continue;
    const m = opts.measured?.get(linkKey(p.id, n.id));
    const delayMs = m ?? hopEstimateMs(frameMs) * n.depth;
    links.push({ from: p.id, to: n.id, x1: p.x, y1: p.y, x2: n.x, y2: n.y, delayMs, measured: m !== undefined, colour: delayColour(delayMs) });
  }
  return { width, height, nodes: out, links };
}
