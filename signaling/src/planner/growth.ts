/**
 * Growth-time corrections that joins alone cannot make.
 *
 * The root is the first hub to join, wherever that singer lives, and the hubs of the upper
 * levels are early joiners too: every pair from different regions meets at the root, every
 * stream of a region passes its head, and every singer below a depth-2 hub passes that hub on
 * its way up. At a few room sizes (rootCheckFirst, then each time the room has grown by
 * rootCheckFactor) the planner reconsiders the root, then each region head, then each hub at
 * depth 2 .. relocateDepth, one per join: a childless hub that can hold the hub's children
 * takes its place when that lowers the size-weighted links from the hub's children (and, below
 * the root, the subtree's link to its parent) by more than rootMoveGainMs per singer. The new
 * hub adopts the children with their subtrees; the old one, now childless, joins like a
 * newcomer. One relocation moves the children plus two nodes (at most maxFanout + 2); each
 * check relocates each hub at most once, and the check sizes only grow.
 *
 * Depth 2 matters as much as the heads: those hubs are the first thousand joiners, placed
 * before the singers below them came; in 10,000-singer Europe rooms, moving them towards
 * their children cuts the mean detour at that level from 1.0 to 0.7 ms a singer, the median
 * pair by 0.3-0.7 ms and the diameter by 6-33 ms, for ~150 more relocations in 10,000 joins
 * (figures at rootMoveGainMs 0.5; the default is now 0.25, see defaults.ts).
 *
 * A leaf chose the best parent there was when it joined; hubs placed or relocated later may
 * suit it better. Each join therefore reviews reviewPerJoin earlier nodes, round-robin over the
 * room, and moves at most one of them: a childless node below depth 1 whose placement cost
 * under the best other open hub is lower by more than reviewGainMs. In 10,000-singer Europe
 * rooms this moves ~1,200 leaves in all (one a join at most) and lowers the median pair by a
 * further 0.3-0.5 ms on each of five seeds, and the diameter of seed 1 from 256 to 208 ms.
 */
import { PlannerState } from "./state.js";
import type { PNode } from "./node.js";

export abstract class GrowthState extends PlannerState {
  /** Room size at which the root and the hubs below it are next reconsidered. */
  private nextCheck = this.opts.rootCheckFirst;
  /** Hubs still to reconsider in this check, one per join, the upper levels first. */
  private pendingHeads: PNode[] = [];
  /** Heads replaced so far (the root included), for toJSON. */
  protected headMoves = 0;
  /** Nodes in join order, reviewed round-robin from reviewAt (see review). */
  private reviewQueue: PNode[] = [];
  private reviewAt = 0;
  /** Leaves moved by reviews so far, for toJSON. */
  protected reviewMoves = 0;

  private subtreeSize(c: PNode): number {
    let s = 0;
    const stack = [c];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x.info.hasVoice) s++;
      for (const k of x.children) stack.push(k);
    }
    return s;
  }

  /** Called at the end of each join: reviews earlier nodes, then relocates a hub when a check is under way. */
  protected afterJoin(n: PNode): void {
    this.review();
    this.reviewQueue.push(n);
    this.maybeRelocateHead();
  }

  /**
   * Re-examines the next reviewPerJoin nodes in the queue (each goes to the back again) and
   * moves the first leaf that gains more than reviewGainMs to its best other parent.
   */
  private review(): void {
    let moved = false;
    for (let k = 0; k < this.opts.reviewPerJoin && this.reviewAt < this.reviewQueue.length; k++) {
      const x = this.reviewQueue[this.reviewAt++];
      if (this.nodes.get(x.id) !== x) continue;
      this.reviewQueue.push(x);
      const p0 = x.parent;
      if (moved || p0 === null || x.depth < 2 || x.children.length > 0 || this.coolingDown(x)) continue;
      const p = this.findParent(x, x, (q) => q !== p0);
      if (p === null) continue;
      // Leaving a dedicated hub for a singer's hub must gain dedicatedPreferenceMs more, as in findParent.
      const bar = this.opts.reviewGainMs + (p0.info.dedicated && !p.info.dedicated ? this.opts.dedicatedPreferenceMs : 0);
      if (this.placeCost(x, p0) - this.placeCost(x, p) > bar) {
        this.attach(x, p, "rebalance");
        this.reviewMoves++;
        moved = true;
      }
    }
    // Drop the reviewed head of the queue now and then (amortised O(1) a join).
    if (this.reviewAt >= 1024 && this.reviewAt * 2 >= this.reviewQueue.length) {
      this.reviewQueue = this.reviewQueue.slice(this.reviewAt);
      this.reviewAt = 0;
    }
  }

  /**
   * Starts a check when the room has reached the next check size (the root first, then the
   * hubs below it level by level, down to relocateDepth), and reconsiders one of them per join.
   */
  private maybeRelocateHead(): void {
    const root = this.root;
    if (root === null || this.opts.rootCheckFactor <= 1) return;
    if (this.nodes.size >= this.nextCheck) {
      while (this.nextCheck <= this.nodes.size) this.nextCheck = Math.ceil(this.nextCheck * this.opts.rootCheckFactor);
      // Breadth-first: the root, its children, theirs, down to relocateDepth.
      const heads = [root];
      for (let i = 0; i < heads.length; i++) if (heads[i].depth < this.opts.relocateDepth) heads.push(...heads[i].children);
      this.pendingHeads = heads;
    }
    while (this.pendingHeads.length > 0) {
      const h = this.pendingHeads.shift()!;
      if (this.nodes.get(h.id) !== h || h.depth < 0 || h.depth > this.opts.relocateDepth) continue;
      this.reconsider(h);
      return;
    }
  }

  /** Replaces hub h by the childless hub that saves the most size-weighted link, if any saves enough. */
  private reconsider(h: PNode): void {
    if (h.info.dedicated || this.waiting.length > 0 || h.children.length === 0) return;
    if (this.coolingDown(h) || h.children.some((c) => this.coolingDown(c))) return;
    const kids = h.children;
    const sizes = kids.map((c) => this.subtreeSize(c));
    const up = h.parent;
    let total = 0;
    for (const s of sizes) total += s;
    const region = up === null ? 0 : total + (h.info.hasVoice ? 1 : 0);
    if (total === 0) return;
    const costAt = (x: PNode): number => {
      let c = up === null ? 0 : region * this.link(x, up);
      for (let i = 0; i < kids.length; i++) c += sizes[i] * this.link(kids[i], x);
      return c;
    };
    let best: PNode | null = null;
    let bestCost = costAt(h) - this.opts.rootMoveGainMs * (up === null ? total : region);
    const consider = (x: PNode) => {
      if (x === h || x.depth <= 0 || x.children.length > 0 || x.cap < kids.length || x.cap < h.cap || x.info.dedicated) return;
      const c = costAt(x);
      if (c < bestCost) {
        bestCost = c;
        best = x;
      }
    };
    if (up === null) for (const x of this.nodes.values()) consider(x);
    else {
      const stack = h.children.slice();
      while (stack.length > 0) {
        const x = stack.pop()!;
        consider(x);
        for (const k of x.children) stack.push(k);
      }
    }
    if (best !== null) this.takeOver(best, h);
  }

  /** Childless x takes h's place with h's children (PlannerState.takePlace); h joins again like a newcomer. */
  private takeOver(x: PNode, h: PNode): void {
    this.removeChild(x);
    this.takePlace(x, h, "rebalance");
    this.headMoves++;
    // takePlace leaves h under x; it goes wherever a newcomer would.
    this.removeChild(h);
    h.depth = -1;
    h.up = 0;
    h.top = null;
    this.refreshIndexes(h);
    const p = this.findParent(h, h);
    if (p !== null) this.attach(h, p, "rebalance");
    else this.waitNode(h);
    for (const u of [...h.backupUsers]) this.markBackupDirty(u);
  }

  /** Put a detached node in the waiting list (the planner's own wait). */
  protected abstract waitNode(n: PNode): void;
}
