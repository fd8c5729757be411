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
import type { PNode } from "./node.js";
import type { PlannerState } from "./state.js";

export class Growth {
  /** Room size at which the root and the hubs below it are next reconsidered. */
  private nextCheck: number;
  /** Hubs still to reconsider in this check, one per join, the upper levels first. */
  private pendingHeads: PNode[] = [];
  /** Heads replaced so far (the root included), for toJSON. */
  headMoves = 0;
  /** Nodes in join order, reviewed round-robin from reviewAt (see review). */
  private reviewQueue: PNode[] = [];
  private reviewAt = 0;
  /** Leaves moved by reviews so far, for toJSON. */
  reviewMoves = 0;

  constructor(
    private readonly s: PlannerState,
    /** Puts a node back among the waiting (the planner's own rule). */
    private readonly waitNode: (n: PNode) => void,
  ) {
    this.nextCheck = s.opts.rootCheckFirst;
  }

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
  afterJoin(n: PNode): void {
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
    for (let k = 0; k < this.s.opts.reviewPerJoin && this.reviewAt < this.reviewQueue.length; k++) {
      const x = this.reviewQueue[this.reviewAt++];
      if (this.s.nodes.get(x.id) !== x) continue;
      this.reviewQueue.push(x);
      const p0 = x.parent;
      if (moved || p0 === null || x.depth < 2 || x.children.length > 0 || this.s.coolingDown(x)) continue;
      const p = this.s.findParent(x, x, (q) => q !== p0);
      if (p === null) continue;
      // Leaving a dedicated hub for a singer's hub must gain dedicatedPreferenceMs more, as in findParent.
      const bar = this.s.opts.reviewGainMs + (p0.info.dedicated && !p.info.dedicated ? this.s.opts.dedicatedPreferenceMs : 0);
      if (this.s.placeCost(x, p0) - this.s.placeCost(x, p) > bar) {
        this.s.attach(x, p, "rebalance");
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
    const root = this.s.root;
    if (root === null || this.s.opts.rootCheckFactor <= 1) return;
    if (this.s.nodes.size >= this.nextCheck) {
      while (this.nextCheck <= this.s.nodes.size) this.nextCheck = Math.ceil(this.nextCheck * this.s.opts.rootCheckFactor);
      // Breadth-first: the root, its children, theirs, down to relocateDepth.
      const heads = [root];
      for (let i = 0; i < heads.length; i++) if (heads[i].depth < this.s.opts.relocateDepth) heads.push(...heads[i].children);
      this.pendingHeads = heads;
    }
    while (this.pendingHeads.length > 0) {
      const h = this.pendingHeads.shift()!;
      if (this.s.nodes.get(h.id) !== h || h.depth < 0 || h.depth > this.s.opts.relocateDepth) continue;
      this.reconsider(h);
      return;
    }
  }

  /** Replaces hub h by the childless hub that saves the most size-weighted link, if any saves enough. */
  private reconsider(h: PNode): void {
    if (h.info.dedicated || this.s.waiting.length > 0 || h.children.length === 0) return;
    if (this.s.coolingDown(h) || h.children.some((c) => this.s.coolingDown(c))) return;
    const kids = h.children;
    const sizes = kids.map((c) => this.subtreeSize(c));
    const up = h.parent;
    let total = 0;
    for (const s of sizes) total += s;
    const region = up === null ? 0 : total + (h.info.hasVoice ? 1 : 0);
    if (total === 0) return;
    const costAt = (x: PNode): number => {
      let c = up === null ? 0 : region * this.s.link(x, up);
      for (let i = 0; i < kids.length; i++) c += sizes[i] * this.s.link(kids[i], x);
      return c;
    };
    let best: PNode | null = null;
    let bestCost = costAt(h) - this.s.opts.rootMoveGainMs * (up === null ? total : region);
    const consider = (x: PNode) => {
      if (x === h || x.depth <= 0 || x.children.length > 0 || x.cap < kids.length || x.cap < h.cap || x.info.dedicated) return;
      const c = costAt(x);
      if (c < bestCost) {
        bestCost = c;
        best = x;
      }
    };
    if (up === null) for (const x of this.s.nodes.values()) consider(x);
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
    this.s.removeChild(x);
    this.s.takePlace(x, h, "rebalance");
    this.headMoves++;
    // takePlace leaves h under x; it goes wherever a newcomer would.
    this.s.removeChild(h);
    h.depth = -1;
    h.up = 0;
    h.top = null;
    this.s.refreshIndexes(h);
    const p = this.s.findParent(h, h);
    if (p !== null) this.s.attach(h, p, "rebalance");
    else this.waitNode(h);
    for (const u of [...h.backupUsers]) this.s.markBackupDirty(u);
  }

  /** Put a detached node in the waiting list (the planner's own wait). */
}
