/**
 * The tree planner: places singers and hubs in the mixing tree and returns the moves the
 * server announces. Pure (no I/O, no timers) and deterministic for a given call sequence.
 *
 * Join: a hub that is stronger than a childless weak node (a non-hub first of all) no deeper
 * than the shallowest free slot takes that node's place and adopts it (2 moves); otherwise the
 * joiner goes under the open hub of least cost (its modelled delay to the root's mix, plus
 * nudges towards its own section and away from weak hubs); a stronger hub that joins next to
 * a weak hub with few children may take that hub's place instead (at most joinMoveBudget
 * others move). With no root and no hub, or no free slot at all, the joiner waits (see
 * Move.waiting) and is placed when capacity appears. At room sizes 64, 128, 256, ... the joins
 * that follow reconsider the root, each region head and each depth-2 hub, one per join
 * (growth.ts): a better-placed childless hub may take such a hub's place, moving its children
 * (up to maxFanout + 2 moves on such a join). Each join also reviews two earlier nodes and may
 * move one leaf to a parent that has since become better for it by more than 1 ms (growth.ts).
 *
 * Leave: only the leaver's children move, each with its subtree: to its backup when that is
 * still valid, else to the best open hub. A root that leaves hands over to its strongest child.
 *
 * Rebalance: explicit and bounded; refreshes the modelled delays from the latest estimates,
 * lets strong hubs replace weak ones near the top, then re-parents the subtrees with the
 * largest gain.
 */
import { type ResolvedPlannerOptions, resolvePlannerOptions } from "./defaults.js";
import { type TreeDiameterView, treeDiameterMs, treePairDelayMs } from "./delay.js";
import { type PNode, inSubtree } from "./node.js";
import { type SmallTree, improveSmallTree } from "./local-search.js";
import { GrowthState } from "./growth.js";
import type { Move, NodeId, PlannerNodeInfo, PlannerOptions, TreeNodeView, TreeSnapshot } from "./types.js";

export class TreePlanner extends GrowthState {
  readonly options: Readonly<ResolvedPlannerOptions>;
  private readonly view: TreeDiameterView<PNode>;

  constructor(opts: Partial<PlannerOptions> = {}) {
    const resolved = resolvePlannerOptions(opts);
    super(resolved);
    this.options = resolved;
    this.view = {
      parent: (n) => n.parent,
      depth: (n) => n.depth,
      linkMs: (c, p) => this.link(c, p),
      hubMs: () => this.opts.hubDelayMs,
      children: (n) => n.children,
      hasVoice: (n) => n.info.hasVoice,
    };
  }

  addNode(info: PlannerNodeInfo): Move[] {
    const n = this.createNode(info);
    this.touch(n, "join");
    if (this.root === null) {
      if (n.cap > 0) this.makeRoot(n, "join");
      else this.wait(n);
    } else if (!this.place(n)) this.wait(n);
    if (n.cap > 0 && this.waiting.length > 0) this.drainWaiting();
    this.markBackupDirty(n);
    this.afterJoin(n);
    return this.finish();
  }

  removeNode(id: NodeId): Move[] {
    const n = this.nodes.get(id);
    if (!n) return [];
    this.nodes.delete(id);
    this.vivaldi.delete(id);
    this.noBackup.delete(n);
    this.open.remove(n);
    this.leaves.remove(n);
    for (const u of [...n.backupUsers]) this.invalidateBackup(u);
    this.setBackup(n, null);
    const wi = this.waiting.indexOf(n);
    if (wi >= 0) this.waiting.splice(wi, 1);
    const parent = n.parent;
    if (parent !== null) this.removeChild(n);
    const orphans = n.children.slice();
    for (const o of orphans) this.removeChild(o);
    if (n.depth < 0) {
      // Inside a waiting fragment: its children become fragments of their own.
      for (const o of orphans) this.wait(o);
    } else {
      if (n === this.root) {
        this.root = null;
        if (orphans.length > 0) {
          let heir = orphans[0];
          for (const o of orphans) if (o.cap > heir.cap || (o.cap === heir.cap && o.seq < heir.seq)) heir = o;
          orphans.splice(orphans.indexOf(heir), 1);
          this.makeRoot(heir, "repair");
        }
      }
      // Those with the most free slots first: they can take in their siblings.
      orphans.sort((a, b) => b.cap - b.children.length - (a.cap - a.children.length) || a.seq - b.seq);
      const siblings = new Set(orphans);
      for (const o of orphans) this.reattach(o, siblings);
    }
    if (this.waiting.length > 0) this.drainWaiting();
    return this.finish();
  }

  reportRtt(from: NodeId, to: NodeId, rttMs: number): void {
    if (!this.nodes.has(from) || !this.nodes.has(to)) return;
    if (this.vivaldi.observe(from, to, rttMs) && !this.anyTrusted) {
      this.anyTrusted = this.vivaldi.trusted(from) || this.vivaldi.trusted(to);
    }
  }

  rebalance(maxMoves: number): Move[] {
    let budget = Number.isFinite(maxMoves) ? Math.max(0, Math.floor(maxMoves)) : 0;
    if (this.root !== null) this.settleSubtree(this.root);
    if (budget > 0 && this.waiting.length > 0) budget -= this.drainWaiting(budget);
    if (this.root !== null && this.waiting.length === 0 && this.nodes.size <= this.opts.smallRoomSize) {
      this.optimizeSmallRoom(budget);
      return this.finish();
    }
    budget -= this.promoteNearTop(budget);
    if (budget > 0 && this.root !== null) budget -= this.reparentByGain(budget);
    return this.finish();
  }

  // ---- queries ---------------------------------------------------------------------------

  has(id: NodeId): boolean {
    return this.nodes.has(id);
  }

  get size(): number {
    return this.nodes.size;
  }

  get rootId(): NodeId | null {
    return this.root?.id ?? null;
  }

  parentOf(id: NodeId): NodeId | null {
    return this.nodes.get(id)?.parent?.id ?? null;
  }

  backupOf(id: NodeId): NodeId | null {
    return this.nodes.get(id)?.backup?.id ?? null;
  }

  childrenOf(id: NodeId): readonly NodeId[] {
    return this.nodes.get(id)?.children.map((c) => c.id) ?? [];
  }

  /** Depth below the root; -1 while waiting or unknown. */
  depthOf(id: NodeId): number {
    return this.nodes.get(id)?.depth ?? -1;
  }

  isWaiting(id: NodeId): boolean {
    const n = this.nodes.get(id);
    return n !== undefined && n.depth < 0;
  }

  snapshot(): TreeSnapshot {
    const nodes: TreeNodeView[] = [];
    for (const n of this.nodes.values()) {
      const v: TreeNodeView = {
        id: n.id,
        parent: n.parent?.id ?? null,
        backup: n.backup?.id ?? null,
        children: n.children.map((c) => c.id),
        depth: n.depth,
        section: n.info.section,
        hasVoice: n.info.hasVoice,
        canHub: n.info.canHub,
        maxChildren: n.cap,
      };
      if (n.depth < 0) v.waiting = true;
      nodes.push(v);
    }
    return { root: this.root?.id ?? null, nodes, waiting: this.waiting.map((w) => w.id) };
  }

  estimateLinkMs(a: NodeId, b: NodeId): number {
    return this.link(this.get(a), this.get(b));
  }

  pairDelayMs(a: NodeId, b: NodeId): number {
    return treePairDelayMs(this.view, this.get(a), this.get(b));
  }

  /** The worst pair delay over all voices in the tree (O(n)). */
  diameterMs(): number {
    return this.root === null ? 0 : treeDiameterMs(this.view, this.root);
  }

  /** Share of placed non-root nodes with a valid backup. */
  backupCoverage(): number {
    let placed = 0;
    let covered = 0;
    for (const n of this.nodes.values()) {
      if (n.depth <= 0) continue;
      placed++;
      if (this.validBackup(n, n.backup)) covered++;
    }
    return placed === 0 ? 1 : covered / placed;
  }

  toJSON(): Record<string, unknown> {
    let maxDepth = 0;
    for (const n of this.nodes.values()) maxDepth = Math.max(maxDepth, n.depth);
    return {
      nodes: this.nodes.size,
      root: this.rootId,
      maxDepth,
      waiting: this.waiting.length,
      openHubs: this.open.size,
      headRelocations: this.headMoves,
      leafReviews: this.reviewMoves,
      backupCoverage: this.backupCoverage(),
      vivaldi: this.vivaldi.toJSON(),
    };
  }

  // ---- placement -------------------------------------------------------------------------

  protected waitNode(n: PNode): void {
    this.wait(n);
  }

  private wait(n: PNode): void {
    if (n.parent !== null) this.removeChild(n);
    n.waiting = true;
    this.settleSubtree(n);
    this.setBackup(n, null);
    this.noBackup.delete(n);
    if (!this.waiting.includes(n)) this.waiting.push(n);
  }

  /** Place a new, childless node; false when there is no room anywhere. */
  private place(n: PNode): boolean {
    const budget = this.opts.joinMoveBudget;
    const canReplace = (y: PNode) =>
      n.cap > y.cap + 1 && y.children.length + 1 <= budget && n.cap >= y.children.length + 1 && !y.info.dedicated;
    const root = this.root!;
    if (canReplace(root)) {
      this.takePlace(n, root, "rebalance");
      return true;
    }
    const shallowestFree = this.open.minDepth();
    // With dedicated capacity left, a singer's hub does not push others under itself.
    if (n.cap >= 2 && (this.openDedicated.size === 0 || n.info.dedicated)) {
      const y = this.findDisplaceable(n, shallowestFree < 0 ? Infinity : shallowestFree);
      if (y !== null) {
        this.takePlace(n, y, "rebalance");
        return true;
      }
    }
    const p = this.findParent(n, null);
    if (p === null) return false;
    if (canReplace(p)) this.takePlace(n, p, "rebalance");
    else this.attach(n, p, "join");
    return true;
  }

  /** Put an orphaned subtree back: its backup when still valid, else the best open hub. */
  private reattach(o: PNode, siblings: ReadonlySet<PNode>): void {
    if (this.validBackup(o, o.backup) && o.backup !== null && !siblings.has(o.backup)) {
      this.attach(o, o.backup, "repair");
      return;
    }
    // A sibling's subtree only when nothing else has room: each orphan keeps its subtree as it was.
    const p = this.findParent(o, o, (x) => !siblings.has(x)) ?? this.findParent(o, o);
    if (p !== null) {
      this.attach(o, p, "repair");
      return;
    }
    this.wait(o);
    this.touch(o, "repair");
  }


  /** Place waiting nodes and fragments where capacity now exists; returns the moves made. */
  private drainWaiting(limit = Infinity): number {
    let moved = 0;
    if (this.root === null) {
      const heir = this.waiting.find((w) => w.cap > 0);
      if (heir === undefined) return 0;
      this.waiting.splice(this.waiting.indexOf(heir), 1);
      this.makeRoot(heir, "join");
      moved++;
    }
    const still: PNode[] = [];
    for (const w of this.waiting) {
      if (moved >= limit || (this.open.size === 0 && w.cap <= w.children.length)) {
        still.push(w);
        continue;
      }
      const p = this.findParent(w, w);
      if (p === null) {
        still.push(w);
        continue;
      }
      this.attach(w, p, "join");
      moved++;
    }
    this.waiting = still;
    return moved;
  }

  // ---- rebalancing -----------------------------------------------------------------------

  /** Small rooms: hill-climb on the exact objective (worst pair, then mean pair delay). */
  private optimizeSmallRoom(budget: number): void {
    const list = [...this.nodes.values()];
    const n = list.length;
    const index = new Map(list.map((x, i) => [x, i]));
    const link = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) link[i * n + j] = link[j * n + i] = this.link(list[i], list[j]);
    const tree: SmallTree = {
      parent: Int32Array.from(list, (x) => (x.parent === null ? -1 : index.get(x.parent)!)),
      cap: Int32Array.from(list, (x) => x.cap),
      voice: Uint8Array.from(list, (x) => (x.info.hasVoice ? 1 : 0)),
      link,
      hubMs: this.opts.hubDelayMs,
    };
    const next = improveSmallTree(tree, budget);
    const moved = list.filter((_, i) => next[i] !== tree.parent[i]);
    if (moved.length === 0) return;
    for (const x of moved) if (x.parent !== null) this.removeChild(x);
    const rootIdx = next.indexOf(-1);
    this.root = list[rootIdx];
    // Attach top-down so that every parent is in place before its children.
    const childrenOf: number[][] = list.map(() => []);
    for (let i = 0; i < n; i++) if (next[i] >= 0) childrenOf[next[i]].push(i);
    const order = [rootIdx];
    for (let k = 0; k < order.length; k++) for (const c of childrenOf[order[k]]) order.push(c);
    for (const i of order) if (next[i] >= 0 && next[i] !== tree.parent[i]) this.addChild(list[next[i]], list[i]);
    this.settleSubtree(this.root);
    for (const x of moved) this.touch(x, "rebalance");
    for (const x of list) this.markBackupDirty(x);
  }

  /**
   * Near the top, a weak hub costs every node below it a level: let the strongest hub that
   * has room for the weak hub's children take the weak hub's place at depth 0 or 1 (it keeps
   * its own children, which move up with it).
   */
  private promoteNearTop(budget: number): number {
    let used = 0;
    const top: PNode[] = this.root === null ? [] : [this.root, ...this.root.children];
    top.sort((a, b) => a.depth - b.depth || a.cap - b.cap || a.seq - b.seq);
    for (const y of top) {
      if (y.cap >= this.opts.maxFanout || y.info.dedicated || this.nodes.get(y.id) !== y) continue;
      const need = y.children.length + 2;
      if (used + need > budget) continue;
      let best: PNode | null = null;
      for (let d = Math.max(1, y.depth + 1); d <= this.open.maxDepth(); d++) {
        for (const x of this.open.nodesAt(d)) {
          if (x.cap > y.cap + 1 && x.cap >= x.children.length + y.children.length + 1 && !inSubtree(y, x)) {
            if (best === null || x.cap > best.cap) best = x;
          }
        }
      }
      if (best === null) continue;
      this.removeChild(best);
      this.takePlace(best, y, "rebalance");
      used += need;
    }
    return used;
  }

  /** Re-parent the subtrees whose move lowers the modelled delay the most (size-weighted). */
  private reparentByGain(budget: number): number {
    const size = new Map<PNode, number>();
    const order: PNode[] = [this.root!];
    for (let i = 0; i < order.length; i++) for (const c of order[i].children) order.push(c);
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i];
      let s = n.info.hasVoice ? 1 : 0;
      for (const c of n.children) s += size.get(c) ?? 0;
      size.set(n, s);
    }
    const gainOf = (n: PNode, p: PNode): number => {
      // n counts towards its own parent's section share: a little hysteresis against churn.
      const now = this.placeCost(n, n.parent!);
      const there = this.placeCost(n, p);
      return (now - there) * Math.max(1, size.get(n) ?? 1);
    };
    const cands: { n: PNode; p: PNode; gain: number }[] = [];
    for (let i = 1; i < order.length; i++) {
      const n = order[i];
      const p = this.findParent(n, n, (q) => q !== n.parent);
      if (p === null) continue;
      const gain = gainOf(n, p);
      if (gain > this.opts.hubDelayMs * 0.05) cands.push({ n, p, gain });
    }
    cands.sort((a, b) => b.gain - a.gain || a.n.seq - b.n.seq);
    let used = 0;
    for (const { n, p } of cands) {
      if (used >= budget) break;
      if (n.parent === null || n.parent === p || !this.validBackup(n, p) || gainOf(n, p) <= 0) continue;
      this.attach(n, p, "rebalance");
      used++;
    }
    return used;
  }
}
