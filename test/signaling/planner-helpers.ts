/** Shared fixtures for the planner suites: seeded node sets and a tree invariant checker. */
import type { Move, PlannerNodeInfo, TreeSnapshot } from "@choirmesh/signaling/planner";
import { Rng } from "@choirmesh/sim/rng";

export const SECTIONS = ["soprano", "alto", "tenor", "bass"];

/** Upload for a wanted child cap with the default 104 kbit/s streams. */
export function uploadFor(children: number): number {
  return 104 * (children + 1) + 1;
}

export interface NodeSetOptions {
  hubShare?: number;
  /** [lat, lon] box to scatter nodes in. */
  box?: [number, number, number, number];
  sections?: string[];
  minCap?: number;
  maxCap?: number;
}

export function randomNodes(n: number, seed: number, o: NodeSetOptions = {}): PlannerNodeInfo[] {
  const rng = new Rng(seed);
  const [lat0, lat1, lon0, lon1] = o.box ?? [36, 60, -10, 30];
  const sections = o.sections ?? SECTIONS;
  const minCap = o.minCap ?? 1;
  const maxCap = o.maxCap ?? 32;
  return Array.from({ length: n }, (_, i) => {
    const hub = rng.next() < (o.hubShare ?? 0.8);
    return {
      id: `n${i}`,
      section: sections[rng.int(sections.length)],
      canHub: hub,
      uploadKbps: hub ? uploadFor(minCap + rng.int(maxCap - minCap + 1)) : 500,
      hasVoice: true,
      location: { lat: rng.range(lat0, lat1), lon: rng.range(lon0, lon1) },
    };
  });
}

/**
 * Every invariant of a planner tree: a single root, parents and children agree, depths
 * follow parents (so no cycles and everyone placed reaches the root), caps hold, non-hubs
 * have no children, backups are valid. Returns problems found (empty when sound).
 */
export function checkTree(snap: TreeSnapshot): string[] {
  const problems: string[] = [];
  const byId = new Map(snap.nodes.map((v) => [v.id, v]));
  const waiting = new Set(snap.waiting ?? []);
  for (const v of snap.nodes) {
    if (v.children.length > v.maxChildren) problems.push(`${v.id} has ${v.children.length} children, cap ${v.maxChildren}`);
    if (!v.canHub && v.children.length > 0) problems.push(`${v.id} cannot hub but has children`);
    for (const c of v.children) if (byId.get(c)?.parent !== v.id) problems.push(`${c} listed under ${v.id} but its parent is ${byId.get(c)?.parent}`);
    if (v.waiting) continue;
    if (v.id === snap.root) {
      if (v.parent !== null || v.depth !== 0) problems.push(`root ${v.id} has parent ${v.parent} depth ${v.depth}`);
      if (v.backup !== null) problems.push(`root ${v.id} has a backup`);
      continue;
    }
    if (v.parent === null) {
      if (!waiting.has(v.id)) problems.push(`${v.id} has no parent, is not the root and not waiting`);
      continue;
    }
    const p = byId.get(v.parent);
    if (!p) problems.push(`${v.id} has unknown parent ${v.parent}`);
    else if (!p.children.includes(v.id)) problems.push(`${v.id} missing from ${p.id}'s children`);
    // Walk to the root: reaches it within n steps, depth matches.
    let steps = 0;
    let x: string | null = v.id;
    while (x !== null && x !== snap.root && steps <= snap.nodes.length) {
      x = byId.get(x)?.parent ?? null;
      steps++;
    }
    if (x !== snap.root) problems.push(`${v.id} does not reach the root`);
    else if (steps !== v.depth) problems.push(`${v.id} depth ${v.depth} but ${steps} steps to the root`);
    if (v.backup !== null) {
      const b = byId.get(v.backup);
      if (!b) problems.push(`${v.id} backup ${v.backup} unknown`);
      else {
        if (b.id === v.id) problems.push(`${v.id} is its own backup`);
        if (b.id === v.parent) problems.push(`${v.id} backup is its parent`);
        if (b.waiting) problems.push(`${v.id} backup ${b.id} is waiting`);
        if (b.children.length >= b.maxChildren) problems.push(`${v.id} backup ${b.id} has no spare slot`);
        for (let y: string | null = b.id; y !== null; y = byId.get(y)?.parent ?? null) {
          if (y === v.id) {
            problems.push(`${v.id} backup ${b.id} is inside its own subtree`);
            break;
          }
        }
      }
    }
  }
  return problems;
}

export function coverage(snap: TreeSnapshot): number {
  const placed = snap.nodes.filter((v) => !v.waiting && v.id !== snap.root);
  return placed.length === 0 ? 1 : placed.filter((v) => v.backup !== null).length / placed.length;
}

/** A node for planner tests: a hub with room for `children`, or a leaf (0). */
export const node = (id: string, children: number, extra: Partial<PlannerNodeInfo> = {}): PlannerNodeInfo => ({
  id,
  section: "",
  canHub: children > 0,
  uploadKbps: children > 0 ? uploadFor(children) : 500,
  hasVoice: true,
  ...extra,
});
export const parentMoves = (moves: Move[]) => moves.filter((m) => m.reason !== "backup");
