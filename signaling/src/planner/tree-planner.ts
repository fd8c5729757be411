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
import { type PNode } from "./node.js";
import { Growth } from "./growth.js";
import { Rebalancer } from "./rebalance.js";
import { Recovery } from "./recovery.js";
import { PlannerState } from "./state.js";
import { directPairsUnder } from "./direct.js";
import { invalidateBackup, setBackup, validBackup } from "./backups.js";
import type { Move, NodeId, PlannerData, PlannerNodeInfo, PlannerOptions, TreeNodeView, TreeSnapshot } from "./types.js";

export class TreePlanner {
  readonly options: Readonly<ResolvedPlannerOptions>;
  /** The tree and its primitives (state.ts); the planner's parts below work on it. */
  private readonly s: PlannerState;
  /** Growth-time corrections: relocated heads, reviewed leaves (growth.ts). */
  private readonly growth: Growth;
  /** Restore after a server restart and repair of a lost link (recovery.ts). */
  private readonly recovery: Recovery;
  /** Bounded re-optimisation (rebalance.ts). */
  private readonly rebalancer: Rebalancer;
  private readonly view: TreeDiameterView<PNode>;

  constructor(opts: Partial<PlannerOptions> = {}) {
    const resolved = resolvePlannerOptions(opts);
    this.options = resolved;
    this.s = new PlannerState(resolved);
    this.growth = new Growth(this.s, (n) => this.waitNode(n));
    this.s.waitNode = (n) => this.waitNode(n);
    this.recovery = new Recovery(this.s, (info) => this.addNode(info));
    this.rebalancer = new Rebalancer(this.s);
    this.view = {
      parent: (n) => n.parent,
      depth: (n) => n.depth,
      linkMs: (c, p) => this.s.link(c, p),
      hubMs: () => this.s.opts.hubDelayMs,
      downMs: () => this.s.opts.downLevelMs,
      belowRootMs: () => this.s.opts.belowRootMs,
      children: (n) => n.children,
      hasVoice: (n) => n.info.hasVoice,
    };
  }

  addNode(info: PlannerNodeInfo): Move[] {
    const n = this.s.createNode(info);
    this.s.touch(n, "join");
    if (this.s.root === null) {
      if (n.cap > 0) this.s.makeRoot(n, "join");
      else this.wait(n);
    } else if (!this.place(n)) this.wait(n);
    if (n.cap > 0 && this.s.waiting.length > 0) this.drainWaiting();
    this.s.markBackupDirty(n);
    this.growth.afterJoin(n);
    return this.s.finish();
  }

  removeNode(id: NodeId): Move[] {
    const n = this.s.nodes.get(id);
    if (!n) return [];
    this.s.nodes.delete(id);
    this.s.vivaldi.delete(id);
    this.s.noBackup.delete(n);
    this.s.open.remove(n);
    this.s.leaves.remove(n);
    for (const u of [...n.backupUsers]) invalidateBackup(this.s, u);
    setBackup(this.s, n, null);
    const wi = this.s.waiting.indexOf(n);
    if (wi >= 0) this.s.waiting.splice(wi, 1);
    const parent = n.parent;
    if (parent !== null) this.s.removeChild(n);
    const orphans = n.children.slice();
    for (const o of orphans) this.s.removeChild(o);
    if (n.depth < 0) {
      // Inside a waiting fragment: its children become fragments of their own.
      for (const o of orphans) this.wait(o);
    } else {
      if (n === this.s.root) {
        this.s.root = null;
        if (orphans.length > 0) {
          let heir = orphans[0];
          for (const o of orphans) if (o.cap > heir.cap || (o.cap === heir.cap && o.seq < heir.seq)) heir = o;
          orphans.splice(orphans.indexOf(heir), 1);
          this.s.makeRoot(heir, "repair");
        }
      }
      // Those with the most free slots first: they can take in their siblings.
      orphans.sort((a, b) => b.cap - b.children.length - (a.cap - a.children.length) || a.seq - b.seq);
      const siblings = new Set(orphans);
      for (const o of orphans) this.reattach(o, siblings);
    }
    if (this.s.waiting.length > 0) this.drainWaiting();
    return this.s.finish();
  }

  reportRtt(from: NodeId, to: NodeId, rttMs: number): void {
    if (!this.s.nodes.has(from) || !this.s.nodes.has(to)) return;
    if (this.s.vivaldi.observe(from, to, rttMs) && !this.s.anyTrusted) {
      this.s.anyTrusted = this.s.vivaldi.trusted(from) || this.s.vivaldi.trusted(to);
    }
  }

  rebalance(maxMoves: number): Move[] {
    let budget = Number.isFinite(maxMoves) ? Math.max(0, Math.floor(maxMoves)) : 0;
    if (this.s.root !== null) this.s.settleSubtree(this.s.root);
    if (budget > 0 && this.s.waiting.length > 0) budget -= this.drainWaiting(budget);
    if (this.s.root !== null && this.s.waiting.length === 0 && this.s.nodes.size <= this.s.opts.smallRoomSize) {
      this.rebalancer.optimizeSmallRoom(budget);
      return this.s.finish();
    }
    budget -= this.rebalancer.promoteNearTop(budget);
    if (budget > 0 && this.s.root !== null) budget -= this.rebalancer.reparentByGain(budget);
    return this.s.finish();
  }

  // ---- queries ---------------------------------------------------------------------------

  has(id: NodeId): boolean {
    return this.s.nodes.has(id);
  }

  get size(): number {
    return this.s.nodes.size;
  }

  get rootId(): NodeId | null {
    return this.s.root?.id ?? null;
  }

  parentOf(id: NodeId): NodeId | null {
    return this.s.nodes.get(id)?.parent?.id ?? null;
  }

  backupOf(id: NodeId): NodeId | null {
    return this.s.nodes.get(id)?.backup?.id ?? null;
  }

  childrenOf(id: NodeId): readonly NodeId[] {
    return this.s.nodes.get(id)?.children.map((c) => c.id) ?? [];
  }

  /** Depth below the root; -1 while waiting or unknown. */
  depthOf(id: NodeId): number {
    return this.s.nodes.get(id)?.depth ?? -1;
  }

  isWaiting(id: NodeId): boolean {
    const n = this.s.nodes.get(id);
    return n !== undefined && n.depth < 0;
  }

  snapshot(): TreeSnapshot {
    const nodes: TreeNodeView[] = [];
    for (const n of this.s.nodes.values()) {
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
    return { root: this.s.root?.id ?? null, nodes, waiting: this.s.waiting.map((w) => w.id) };
  }

  /** The planner as plain data (see PlannerData): placed nodes breadth-first from the root, then the waiting. */
  toData(): PlannerData {
    const nodes: PlannerData["nodes"] = [];
    const add = (n: PNode, waiting: boolean) => nodes.push({ info: n.info, parent: n.parent?.id ?? null, backup: n.backup?.id ?? null, ...(waiting ? { waiting } : {}) });
    const queue: PNode[] = this.s.root ? [this.s.root] : [];
    for (let i = 0; i < queue.length; i++) {
      add(queue[i], false);
      for (const c of queue[i].children) queue.push(c);
    }
    for (const n of this.s.nodes.values()) if (n.depth < 0 && n !== this.s.root) add(n, true);
    return { options: { ...this.options }, nodes };
  }

  /** Rebuilds a planner from its plain data: the same places, children order and backups; the waiting wait again. */
  static fromData(data: PlannerData): TreePlanner {
    const p = new TreePlanner(data.options);
    for (const n of data.nodes) {
      if (n.waiting) p.addNode(n.info);
      else p.restoreNode(n.info, n.parent);
    }
    for (const n of data.nodes) if (!n.waiting) p.keepBackup(n.info.id, n.backup);
    p.s.finish();
    return p;
  }

  /** Direct neighbours of each leaf singer under `hub` (direct.ts), by the planner's estimates. */
  directPairsUnder(hub: NodeId): Map<NodeId, NodeId[]> {
    if (!this.s.nodes.has(hub)) return new Map();
    const view = { parentOf: (id: NodeId) => this.parentOf(id), childrenOf: (id: NodeId) => this.childrenOf(id), info: (id: NodeId) => this.s.nodes.get(id)?.info ?? null, estimateLinkMs: (a: NodeId, b: NodeId) => this.estimateLinkMs(a, b) };
    const o = this.options;
    return directPairsUnder(view, hub, { directPerSinger: o.directPerSinger ?? 0, directMaxMs: o.directMaxMs ?? 25, streamKbps: o.streamKbps, meshTops: o.meshTops });
  }

  estimateLinkMs(a: NodeId, b: NodeId): number {
    return this.s.link(this.s.get(a), this.s.get(b));
  }

  /**
   * The modelled delay from speaker a to listener b. `tops`: hubs that hear as a root does (the
   * top tier of a meshed design): a pair meeting at one waits for no stream from above.
   */
  pairDelayMs(a: NodeId, b: NodeId, tops?: ReadonlySet<NodeId>): number {
    if (!tops) return treePairDelayMs(this.view, this.s.get(a), this.s.get(b));
    const wait = this.view.belowRootMs!;
    return treePairDelayMs({ ...this.view, belowRootMs: (n) => (tops.has(n.id) ? 0 : wait(n)) }, this.s.get(a), this.s.get(b));
  }

  /** The worst pair delay over all voices in the tree (O(n)). */
  diameterMs(): number {
    return this.s.root === null ? 0 : treeDiameterMs(this.view, this.s.root);
  }

  /** Share of placed non-root nodes with a valid backup. */
  backupCoverage(): number {
    let placed = 0;
    let covered = 0;
    for (const n of this.s.nodes.values()) {
      if (n.depth <= 0) continue;
      placed++;
      if (validBackup(this.s, n, n.backup)) covered++;
    }
    return placed === 0 ? 1 : covered / placed;
  }

  toJSON(): Record<string, unknown> {
    let maxDepth = 0;
    for (const n of this.s.nodes.values()) maxDepth = Math.max(maxDepth, n.depth);
    return {
      nodes: this.s.nodes.size,
      root: this.rootId,
      maxDepth,
      waiting: this.s.waiting.length,
      openHubs: this.s.open.size,
      headRelocations: this.growth.headMoves,
      leafReviews: this.growth.reviewMoves,
      backupCoverage: this.backupCoverage(),
      vivaldi: this.s.vivaldi.toJSON(),
    };
  }

  // ---- placement -------------------------------------------------------------------------

  private waitNode(n: PNode): void {
    this.wait(n);
  }

  private wait(n: PNode): void {
    if (n.parent !== null) this.s.removeChild(n);
    n.waiting = true;
    this.s.settleSubtree(n);
    setBackup(this.s, n, null);
    this.s.noBackup.delete(n);
    if (!this.s.waiting.includes(n)) this.s.waiting.push(n);
  }

  /** Place a new, childless node; false when there is no room anywhere. */
  private place(n: PNode): boolean {
    const budget = this.s.opts.joinMoveBudget;
    const canReplace = (y: PNode) =>
      n.cap > y.cap + 1 && y.children.length + 1 <= budget && n.cap >= y.children.length + 1 && !y.info.dedicated;
    const root = this.s.root!;
    if (canReplace(root)) {
      this.s.takePlace(n, root, "rebalance");
      return true;
    }
    const shallowestFree = this.s.open.minDepth();
    // With dedicated capacity left, a singer's hub does not push others under itself.
    if (n.cap >= 2 && (this.s.openDedicated.size === 0 || n.info.dedicated)) {
      const y = this.s.findDisplaceable(n, shallowestFree < 0 ? Infinity : shallowestFree);
      if (y !== null) {
        this.s.takePlace(n, y, "rebalance");
        return true;
      }
    }
    const p = this.s.findParent(n, null);
    if (p === null) return false;
    if (canReplace(p)) this.s.takePlace(n, p, "rebalance");
    else this.s.attach(n, p, "join");
    return true;
  }

  /** Put an orphaned subtree back: its backup when still valid, else the best open hub. */
  private reattach(o: PNode, siblings: ReadonlySet<PNode>): void {
    if (validBackup(this.s, o, o.backup) && o.backup !== null && !siblings.has(o.backup)) {
      this.s.attach(o, o.backup, "repair");
      return;
    }
    // A sibling's subtree only when nothing else has room: each orphan keeps its subtree as it was.
    const p = this.s.findParent(o, o, (x) => !siblings.has(x)) ?? this.s.findParent(o, o);
    if (p !== null) {
      this.s.attach(o, p, "repair");
      return;
    }
    this.wait(o);
    this.s.touch(o, "repair");
  }


  /** Place waiting nodes and fragments where capacity now exists; returns the moves made. */
  private drainWaiting(limit = Infinity): number {
    let moved = 0;
    if (this.s.root === null) {
      const heir = this.s.waiting.find((w) => w.cap > 0);
      if (heir === undefined) return 0;
      this.s.waiting.splice(this.s.waiting.indexOf(heir), 1);
      this.s.makeRoot(heir, "join");
      moved++;
    }
    const still: PNode[] = [];
    for (const w of this.s.waiting) {
      if (moved >= limit || (this.s.open.size === 0 && w.cap <= w.children.length)) {
        still.push(w);
        continue;
      }
      const p = this.s.findParent(w, w);
      if (p === null) {
        still.push(w);
        continue;
      }
      this.s.attach(w, p, "join");
      moved++;
    }
    this.s.waiting = still;
    return moved;
  }

  // ---- recovery (recovery.ts) ----------------------------------------------------------

  /** Why `parent` cannot take one more restored child, or null when it can. */
  restoreRefusal(parent: NodeId): string | null {
    return this.recovery.restoreRefusal(parent);
  }

  /** Puts a node back under the parent it reports (see Recovery.restoreNode). */
  restoreNode(info: PlannerNodeInfo, parent: NodeId | null, backup: NodeId | null = null): Move[] {
    return this.recovery.restoreNode(info, parent, backup);
  }

  /** Keeps the backup a node reports when it is still valid; returns whether it did. */
  keepBackup(id: NodeId, backup: NodeId | null): boolean {
    return this.recovery.keepBackup(id, backup);
  }

  /** Moves `id` (and its subtree) off its current parent; [] when it has none or no place exists. */
  reparentToBackup(id: NodeId): Move[] {
    return this.recovery.reparentToBackup(id);
  }
}
