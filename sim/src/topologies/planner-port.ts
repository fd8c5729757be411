/**
 * What the simulator needs of the tree planner (signaling/src/planner). The planner is called,
 * never reimplemented: tree, hybrid and top-mesh pair delays come from its delay model.
 */
import type { Move, NodeId, PlannerNodeInfo, PlannerOptions, TreeSnapshot } from "@choirmesh/signaling/planner/types";

export interface PlannerLike {
  addNode(info: PlannerNodeInfo): Move[];
  removeNode(id: NodeId): Move[];
  has(id: NodeId): boolean;
  readonly size: number;
  parentOf(id: NodeId): NodeId | null;
  backupOf(id: NodeId): NodeId | null;
  childrenOf(id: NodeId): readonly NodeId[];
  snapshot(): TreeSnapshot;
  estimateLinkMs(a: NodeId, b: NodeId): number;
  /** `tops`: hubs that hear as a root (TreePlanner.pairDelayMs). */
  pairDelayMs(a: NodeId, b: NodeId, tops?: ReadonlySet<NodeId>): number;
}

export type PlannerFactory = (opts: Partial<PlannerOptions>) => PlannerLike;
