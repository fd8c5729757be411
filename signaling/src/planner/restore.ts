/**
 * Repair and restore on top of the tree planner, kept apart from its placement code:
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
import { TreePlanner } from "./tree-planner.js";
import type { Move, NodeId, PlannerNodeInfo } from "./types.js";

export class RecoveringTreePlanner extends TreePlanner {
  /**
   * Adds a node directly under `parent` (which must be placed), or as the root when `parent` is
   * null and the tree has none. A parent beyond its cap still takes the node: the place existed
   * before the restart, and refusing it would move someone. Throws UNKNOWN_NODE for an unknown
   * parent and DUPLICATE_NODE for a known id; a null parent while a root exists places the node
   * as an ordinary join.
   */
  restoreNode(info: PlannerNodeInfo, parent: NodeId | null): Move[] {
    if (parent !== null) {
      const p = this.get(parent);
      if (p.depth < 0) throw new PlannerError("UNKNOWN_NODE", `parent ${parent} is not placed`);
      const n = this.createNode(info);
      this.addChild(p, n);
      n.waiting = false;
      this.settleSubtree(n);
      this.refreshIndexes(p);
      this.markBackupDirty(n);
      return this.finish();
    }
    if (this.root !== null) return this.addNode(info);
    const n = this.createNode(info);
    this.makeRoot(n, "join");
    return this.finish();
  }

  /** Moves `id` (and its subtree) off its current parent; [] when it has none or no place exists. */
  reparentToBackup(id: NodeId): Move[] {
    const n = this.nodes.get(id);
    if (!n || n.parent === null || n.depth < 0) return [];
    const old = n.parent;
    let target = this.validBackup(n, n.backup) ? n.backup : null;
    if (target === null) target = this.findParent(n, n, (q) => q !== old);
    if (target === null || target === old || inSubtree(target, n)) return [];
    this.attach(n, target, "repair");
    return this.finish();
  }
}
