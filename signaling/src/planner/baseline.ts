/**
 * The baseline the planner is measured against: breadth-first fill in join order with the
 * same child caps. Each joiner goes under the earliest-placed hub that still has a free slot;
 * the first hub-capable joiner is the root and adopts those who came before it.
 */
import { childCap } from "./caps.js";
import { type ResolvedPlannerOptions, resolvePlannerOptions } from "./defaults.js";
import type { TreeDiameterView } from "./delay.js";
import type { NodeId, PlannerNodeInfo, PlannerOptions, TreeNodeView, TreeSnapshot } from "./types.js";

export function bfsFillBaseline(infos: readonly PlannerNodeInfo[], opts: Partial<PlannerOptions> = {}): TreeSnapshot {
  const o: ResolvedPlannerOptions = resolvePlannerOptions(opts);
  const views = new Map<NodeId, TreeNodeView>();
  const queue: TreeNodeView[] = [];
  let head = 0;
  let root: TreeNodeView | null = null;
  const early: TreeNodeView[] = [];
  const place = (v: TreeNodeView): boolean => {
    while (head < queue.length && queue[head].children.length >= queue[head].maxChildren) head++;
    if (head >= queue.length) return false;
    const p = queue[head];
    p.children.push(v.id);
    v.parent = p.id;
    v.depth = p.depth + 1;
    if (v.maxChildren > 0) queue.push(v);
    return true;
  };
  for (const info of infos) {
    const v: TreeNodeView = {
      id: info.id,
      parent: null,
      backup: null,
      children: [],
      depth: -1,
      section: info.section,
      hasVoice: info.hasVoice,
      canHub: info.canHub,
      maxChildren: childCap(info, o),
    };
    views.set(v.id, v);
    if (root === null) {
      if (v.maxChildren === 0) {
        early.push(v);
        continue;
      }
      root = v;
      v.depth = 0;
      queue.push(v);
      for (const e of early.splice(0)) if (!place(e)) early.push(e);
      continue;
    }
    if (!place(v)) early.push(v);
    else if (v.maxChildren > 0 && early.length > 0) {
      const pending = early.splice(0);
      for (const e of pending) if (!place(e)) early.push(e);
    }
  }
  const nodes = [...views.values()];
  for (const v of nodes) if (v.depth < 0) v.waiting = true;
  return { root: root?.id ?? null, nodes, waiting: nodes.filter((v) => v.depth < 0).map((v) => v.id) };
}

/** A delay view over any snapshot (the planner's or the baseline's) for the delay model. */
export function snapshotDelayView(
  snap: TreeSnapshot,
  linkMs: (a: NodeId, b: NodeId) => number,
  hubMs: (id: NodeId) => number,
): TreeDiameterView<NodeId> & { byId: Map<NodeId, TreeNodeView> } {
  const byId = new Map<NodeId, TreeNodeView>();
  for (const v of snap.nodes) byId.set(v.id, v);
  return {
    byId,
    parent: (n) => byId.get(n)?.parent ?? null,
    depth: (n) => byId.get(n)?.depth ?? -1,
    linkMs,
    hubMs,
    children: (n) => byId.get(n)?.children ?? [],
    hasVoice: (n) => byId.get(n)?.hasVoice ?? false,
  };
}
