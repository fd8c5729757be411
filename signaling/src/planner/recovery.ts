/**
 * Repair and restore, a part of the tree planner kept apart from its placement code:
 *
 * - restoreNode(info, parent): put a node back at a place it reports (after a signaling server
 *   restart the room is rebuilt from what the nodes say, without moving anyone);
 * - reparentToBackup(id): move a node, with its subtree, away from a parent it lost its link to
 *   (to its backup when still valid, else to the best open hub outside its subtree).
 *
 * Both return moves like every planner operation, and settle backups as usual.
 */
import { PlannerError } from "./errors.js";
import { inSubtree } from "./node.js";
import { setBackup, validBackup } from "./backups.js";
import type { PlannerState } from "./state.js";
import type { Move, NodeId, PlannerNodeInfo } from "./types.js";

export class Recovery {
  constructor(
    private readonly s: PlannerState,
    /** Places a node as an ordinary join (the planner's addNode). */
    private readonly join: (info: PlannerNodeInfo) => Move[],
  ) {}

  /**
   * Why `parent` cannot take one more restored child (it cannot hub, or its cap is reached), or
   * null when it can. A report is only a claim: the planner's rules hold for it as for a join.
   */
  restoreRefusal(parent: NodeId): string | null {
    const p = this.s.nodes.get(parent);
    if (!p || p.depth < 0) return `${parent} is not placed`;
    if (p.cap === 0) return `${parent} does not carry children`;
    if (p.children.length >= p.cap) return `${parent} carries its most children (${p.cap})`;
    return null;
  }

  /**
   * Adds a node directly under `parent` (which must be placed and have a free slot), or as the
   * root when `parent` is null and the tree has none. Throws unknown-node for an unknown parent,
   * parent-full for a parent that cannot take it (restoreRefusal) and duplicate-node for a known
   * id; a null parent while a root exists places the node as an ordinary join.
   */
  restoreNode(info: PlannerNodeInfo, parent: NodeId | null, backup: NodeId | null = null): Move[] {
    if (parent !== null) {
      const p = this.s.get(parent);
      if (p.depth < 0) throw new PlannerError("unknown-node", `parent ${parent} is not placed`);
      const refusal = this.restoreRefusal(parent);
      if (refusal !== null) throw new PlannerError("parent-full", refusal);
      const n = this.s.createNode(info);
      this.s.addChild(p, n);
      n.waiting = false;
      this.s.settleSubtree(n);
      this.s.refreshIndexes(p);
      this.keepBackup(n.id, backup);
      this.s.markBackupDirty(n);
      return this.s.finish();
    }
    if (this.s.root !== null) return this.join(info);
    const n = this.s.createNode(info);
    this.s.makeRoot(n, "join");
    return this.s.finish();
  }

  /**
   * Gives `id` the backup it reports when that is still a valid one (so that a rebuilt room does
   * not make every node set up a new standby link); returns whether it did.
   */
  keepBackup(id: NodeId, backup: NodeId | null): boolean {
    const n = this.s.nodes.get(id);
    const b = backup === null ? undefined : this.s.nodes.get(backup);
    if (!n || !b || n.backup === b || !validBackup(this.s, n, b)) return false;
    setBackup(this.s, n, b);
    return true;
  }

  /** Moves `id` (and its subtree) off its current parent; [] when it has none or no place exists. */
  reparentToBackup(id: NodeId): Move[] {
    const n = this.s.nodes.get(id);
    if (!n || n.parent === null || n.depth < 0) return [];
    const old = n.parent;
    let target = validBackup(this.s, n, n.backup) ? n.backup : null;
    if (target === null) target = this.s.findParent(n, n, (q) => q !== old);
    if (target === null || target === old || inSubtree(target, n)) return [];
    this.s.attach(n, target, "repair");
    return this.s.finish();
  }
}
