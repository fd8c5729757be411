/**
 * Backup parents: every placed node below the root keeps one (a hub outside its subtree with a
 * free slot, not its parent), to fail over to without waiting for the server's repair. Chosen,
 * checked and settled at the end of each planner operation; functions of the planner's state.
 */
import { levelMsOf } from "./defaults.js";
import { inSubtree, type PNode } from "./node.js";
import type { PlannerState } from "./state.js";

/**
 * Keep a backup hub's users within its spare slots; the evicted choose again. Checked at the
 * end of an operation, so that orphans of a leave still find the backup they were promised.
 */
export function checkBackupLoad(s: PlannerState, b: PNode): void {
  if (b.backupUsers.size === 0) return;
  const spare = b.depth >= 0 ? b.cap - b.children.length : 0;
  const limit = spare * s.opts.backupUsersPerSlot;
  if (b.backupUsers.size <= limit) return;
  let excess = b.backupUsers.size - limit;
  for (const u of b.backupUsers) {
    if (excess-- <= 0) break;
    setBackup(s, u, null);
    s.backupDirty.add(u);
  }
}

export function invalidateBackup(s: PlannerState, n: PNode): void {
  setBackup(s, n, null);
  s.backupDirty.add(n);
}

export function setBackup(s: PlannerState, n: PNode, b: PNode | null): void {
  if (n.backup === b) return;
  if (n.backup !== null) n.backup.backupUsers.delete(n);
  n.backup = b;
  if (b !== null) b.backupUsers.add(n);
  s.touch(n, "backup");
}

/** A valid backup: placed, another node, not n's parent, outside n's subtree, with a free slot. */
export function validBackup(s: PlannerState, n: PNode, b: PNode | null): b is PNode {
  return (
    b !== null && b !== n && b !== n.parent && b.depth >= 0 && b.cap > b.children.length &&
    s.nodes.get(b.id) === b && !inSubtree(b, n)
  );
}

export function chooseBackup(s: PlannerState, n: PNode): PNode | null {
  const parent = n.parent;
  let best: PNode | null = null;
  let bestCost = Infinity;
  const from = s.open.minDepth();
  if (from < 0) return null;
  const max = s.open.maxDepth();
  let firstHit = -1;
  for (let d = from; d <= max; d++) {
    if (firstHit >= 0 && (d > firstHit + 1 || bestCost <= s.depthLowerBound(d) - levelMsOf(s.opts))) break;
    s.open.visitNear(d, n, (b) => {
      if (b === n || b === parent || b.backupUsers.size >= (b.cap - b.children.length) * s.opts.backupUsersPerSlot) return;
      if (inSubtree(b, n)) return;
      // A backup in a sibling's subtree falls with the parent: only when nothing else exists.
      const shared = parent !== null && inSubtree(b, parent) ? 1000 : 0;
      const c = b.up + s.link(b, n) + shared;
      if (c < bestCost) {
        bestCost = c;
        best = b;
      }
    });
    if (best !== null && firstHit < 0) firstHit = d;
  }
  return best;
}

export function refreshBackup(s: PlannerState, n: PNode): void {
  if (s.nodes.get(n.id) !== n) return;
  if (n.depth <= 0) {
    setBackup(s, n, null);
    s.noBackup.delete(n);
    return;
  }
  // A backup under the node's own parent falls with that parent: look again for one outside.
  const sharesParent = n.backup !== null && n.parent !== null && inSubtree(n.backup, n.parent);
  if (!validBackup(s, n, n.backup) || sharesParent) setBackup(s, n, chooseBackup(s, n));
  if (n.backup === null) s.noBackup.add(n);
  else s.noBackup.delete(n);
}
