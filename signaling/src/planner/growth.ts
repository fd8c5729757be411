/**
 * Growth-time corrections that joins alone cannot make.
 *
 * The root is the first hub to join, wherever that singer lives, and the heads of the depth-1
 * regions are early joiners too; every pair from different regions meets at the root, and every
 * stream of a region passes its head. At a few room sizes (rootCheckFirst, then each time the
 * room has grown by rootCheckFactor) the planner reconsiders the root and then each region head,
 * one per join: a childless hub that can hold the head's children takes its place when that
 * lowers the size-weighted links from the head's children (and, for a region head, the region's
 * link to the root) by more than rootMoveGainMs per singer. The new head adopts the children with
 * their subtrees; the old head, now childless, joins like a newcomer. One relocation moves the
 * children plus two nodes (at most maxFanout + 2); each check relocates each head at most once,
 * and the check sizes only grow.
 */
import { PlannerState } from "./state.js";
import type { PNode } from "./node.js";

export abstract class GrowthState extends PlannerState {
  /** Room size at which the root and the region heads are next reconsidered. */
  private nextCheck = this.opts.rootCheckFirst;
  /** Heads still to reconsider in this check, one per join. */
  private pendingHeads: PNode[] = [];
  /** Heads replaced so far (the root included), for toJSON. */
  protected headMoves = 0;

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

  /**
   * Called at the end of each join: starts a check when the room has reached the next check
   * size (the root first, then the region heads), and reconsiders one head per join.
   */
  protected maybeRelocateHead(): void {
    const root = this.root;
    if (root === null || this.opts.rootCheckFactor <= 1) return;
    if (this.nodes.size >= this.nextCheck) {
      while (this.nextCheck <= this.nodes.size) this.nextCheck = Math.ceil(this.nextCheck * this.opts.rootCheckFactor);
      this.pendingHeads = [root, ...root.children];
    }
    while (this.pendingHeads.length > 0) {
      const h = this.pendingHeads.shift()!;
      if (this.nodes.get(h.id) !== h || h.depth < 0 || h.depth > 1) continue;
      this.reconsider(h);
      return;
    }
  }

  /** Replaces head h by the childless hub that saves the most size-weighted link, if any saves enough. */
  private reconsider(h: PNode): void {
    if (h.info.dedicated || this.waiting.length > 0 || h.children.length === 0) return;
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
