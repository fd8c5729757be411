/**
 * Rebuilding a room after a signaling server restart, from what its nodes report.
 *
 * Nodes come back one by one (each with its resume token and its current parent, backup and
 * children). A node whose parent is already back is put under it at once; one whose parent is
 * not back yet waits here, and goes in as soon as the parent does. Nobody moves: every node is
 * told its own report back until the rebuild ends (all reports in, or the window closes). Then
 * fragments whose parent never came back are placed like ordinary joins, and everyone whose
 * neighbourhood differs from what it was told gets one tree-update.
 *
 * A report is a claim: the planner's rules hold for it (a parent that cannot hub or is full takes
 * no restored child; rooms.ts refuses such a report, or, when the parent came back after its
 * child, the child is placed like a join).
 *
 * Pure bookkeeping over the planner: no sockets, no timers (rooms.ts owns the window timer).
 */
import type { TreePlanner } from "./planner/tree-planner.js";
import type { Move, NodeId, PlannerNodeInfo } from "./planner/types.js";

export interface RestoreReport {
  parent: NodeId | null;
  backup: NodeId | null;
  children: NodeId[];
}

export class RoomRebuild {
  /** Reported nodes whose parent is not back yet. */
  private readonly buffered = new Map<NodeId, { info: PlannerNodeInfo; parent: NodeId }>();
  /** Backups as reported, kept where still valid once everyone is back. */
  private readonly backups = new Map<NodeId, NodeId>();
  /** Every id some report named as parent or child. */
  private readonly named = new Set<NodeId>();
  private readonly reported = new Set<NodeId>();
  restored = 0;

  constructor(private readonly planner: TreePlanner) {}

  has(id: NodeId): boolean {
    return this.buffered.has(id);
  }

  /** Puts a reporting node back (or keeps it until its parent is back); returns the planner's moves. */
  add(info: PlannerNodeInfo, report: RestoreReport): Move[] {
    this.reported.add(info.id);
    if (report.backup !== null) this.backups.set(info.id, report.backup);
    if (report.parent !== null) this.named.add(report.parent);
    for (const c of report.children) this.named.add(c);
    const p = report.parent;
    if (p !== null && !this.planner.has(p)) {
      this.buffered.set(info.id, { info, parent: p });
      return [];
    }
    const moves = this.planner.restoreNode(info, p, report.backup);
    this.restored++;
    return moves.concat(this.drainUnder(info.id));
  }

  /** A reporting node left before the rebuild ended. */
  drop(id: NodeId): void {
    this.buffered.delete(id);
  }

  /** True when every node that reported is placed and every node named has reported. */
  get complete(): boolean {
    if (this.buffered.size > 0) return false;
    for (const id of this.named) if (!this.reported.has(id)) return false;
    return true;
  }

  /** Ends the rebuild: fragments whose parent never came back are placed anew. */
  finish(): Move[] {
    const moves: Move[] = [];
    // Tops of fragments first (their parent is not waiting here too), then what hangs below.
    const tops = [...this.buffered.values()].filter((b) => !this.buffered.has(b.parent));
    for (const t of tops) {
      if (!this.buffered.has(t.info.id)) continue;
      this.buffered.delete(t.info.id);
      moves.push(...this.planner.addNode(t.info));
      moves.push(...this.drainUnder(t.info.id));
    }
    // Cycles in reports (not possible from honest nodes): place whatever is left.
    for (const b of [...this.buffered.values()]) {
      this.buffered.delete(b.info.id);
      moves.push(...this.planner.addNode(b.info));
    }
    // Backups named before their node was back: keep them where still valid.
    for (const [id, b] of this.backups) if (this.planner.backupOf(id) !== b) this.planner.keepBackup(id, b);
    return moves;
  }

  private drainUnder(id: NodeId): Move[] {
    const moves: Move[] = [];
    const stack = [id];
    while (stack.length > 0) {
      const p = stack.pop()!;
      for (const b of [...this.buffered.values()]) {
        if (b.parent !== p) continue;
        this.buffered.delete(b.info.id);
        if (this.planner.restoreRefusal(p) === null) {
          moves.push(...this.planner.restoreNode(b.info, p, this.backups.get(b.info.id) ?? null));
          this.restored++;
        } else {
          // The parent came back unable to take it (it cannot hub, or it is full): a plain join.
          moves.push(...this.planner.addNode(b.info));
        }
        stack.push(b.info.id);
      }
    }
    return moves;
  }
}
