/**
 * Explicit, bounded rebalancing of a room (TreePlanner.rebalance): a small room is optimised as
 * a whole by local search; a larger one lets strong hubs replace weak ones near the top, then
 * re-parents the subtrees with the largest gain. Works on the planner's state.
 */
import { levelMsOf } from "./defaults.js";
import type { PlannerState } from "./state.js";
import { inSubtree, type PNode } from "./node.js";
import { type SmallTree, improveSmallTree } from "./local-search.js";
import { validBackup } from "./backups.js";

export class Rebalancer {
  constructor(private readonly s: PlannerState) {}

  /** Small rooms: hill-climb on the exact objective (worst pair, then mean pair delay). */
  optimizeSmallRoom(budget: number): void {
    const list = [...this.s.nodes.values()];
    const n = list.length;
    const index = new Map(list.map((x, i) => [x, i]));
    const link = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) link[i * n + j] = link[j * n + i] = this.s.link(list[i], list[j]);
    const tree: SmallTree = {
      parent: Int32Array.from(list, (x) => (x.parent === null ? -1 : index.get(x.parent)!)),
      cap: Int32Array.from(list, (x) => x.cap),
      voice: Uint8Array.from(list, (x) => (x.info.hasVoice ? 1 : 0)),
      link,
      hubMs: levelMsOf(this.s.opts),
    };
    const next = improveSmallTree(tree, budget);
    const moved = list.filter((_, i) => next[i] !== tree.parent[i]);
    if (moved.length === 0) return;
    for (const x of moved) if (x.parent !== null) this.s.removeChild(x);
    const rootIdx = next.indexOf(-1);
    this.s.root = list[rootIdx];
    // Attach top-down so that every parent is in place before its children.
    const childrenOf: number[][] = list.map(() => []);
    for (let i = 0; i < n; i++) if (next[i] >= 0) childrenOf[next[i]].push(i);
    const order = [rootIdx];
    for (let k = 0; k < order.length; k++) for (const c of childrenOf[order[k]]) order.push(c);
    for (const i of order) if (next[i] >= 0 && next[i] !== tree.parent[i]) this.s.addChild(list[next[i]], list[i]);
    this.s.settleSubtree(this.s.root);
    for (const x of moved) this.s.touch(x, "rebalance");
    for (const x of list) this.s.markBackupDirty(x);
  }

  /**
   * Near the top, a weak hub costs every node below it a level: let the strongest hub that
   * has room for the weak hub's children take the weak hub's place at depth 0 or 1 (it keeps
   * its own children, which move up with it).
   */
  promoteNearTop(budget: number): number {
    let used = 0;
    const top: PNode[] = this.s.root === null ? [] : [this.s.root, ...this.s.root.children];
    top.sort((a, b) => a.depth - b.depth || a.cap - b.cap || a.seq - b.seq);
    for (const y of top) {
      if (y.cap >= this.s.opts.maxFanout || y.info.dedicated || this.s.nodes.get(y.id) !== y) continue;
      const need = y.children.length + 2;
      if (used + need > budget) continue;
      let best: PNode | null = null;
      for (let d = Math.max(1, y.depth + 1); d <= this.s.open.maxDepth(); d++) {
        for (const x of this.s.open.nodesAt(d)) {
          if (x.cap > y.cap + 1 && x.cap >= x.children.length + y.children.length + 1 && !inSubtree(y, x)) {
            if (best === null || x.cap > best.cap) best = x;
          }
        }
      }
      if (best === null) continue;
      this.s.removeChild(best);
      this.s.takePlace(best, y, "rebalance");
      used += need;
    }
    return used;
  }

  /** Re-parent the subtrees whose move lowers the modelled delay the most (size-weighted). */
  reparentByGain(budget: number): number {
    const size = new Map<PNode, number>();
    const order: PNode[] = [this.s.root!];
    for (let i = 0; i < order.length; i++) for (const c of order[i].children) order.push(c);
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i];
      let s = n.info.hasVoice ? 1 : 0;
      for (const c of n.children) s += size.get(c) ?? 0;
      size.set(n, s);
    }
    const gainOf = (n: PNode, p: PNode): number => {
      // n counts towards its own parent's section share: a little hysteresis against churn.
      const now = this.s.placeCost(n, n.parent!);
      const there = this.s.placeCost(n, p);
      return (now - there) * Math.max(1, size.get(n) ?? 1);
    };
    const cands: { n: PNode; p: PNode; gain: number }[] = [];
    for (let i = 1; i < order.length; i++) {
      const n = order[i];
      const p = this.s.findParent(n, n, (q) => q !== n.parent);
      if (p === null) continue;
      const gain = gainOf(n, p);
      if (gain > levelMsOf(this.s.opts) * 0.05) cands.push({ n, p, gain });
    }
    cands.sort((a, b) => b.gain - a.gain || a.n.seq - b.n.seq);
    let used = 0;
    for (const { n, p } of cands) {
      if (used >= budget) break;
      if (n.parent === null || n.parent === p || !validBackup(this.s, n, p) || gainOf(n, p) <= 0) continue;
      this.s.attach(n, p, "rebalance");
      used++;
    }
    return used;
  }
}
