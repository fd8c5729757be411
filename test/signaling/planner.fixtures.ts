import { describe, expect, it } from "vitest";
import {
  DEFAULT_PLANNER_OPTIONS,
  PlannerError,
  TreePlanner,
  bfsFillBaseline,
  childCap,
  hubDelayFromTiming,
  streamKbpsFor,
  treePairDelayMs,
  type Move,
  type PlannerNodeInfo,
  type TreeDelayView,
} from "@choirmesh/signaling/planner";
import { Rng } from "@choirmesh/sim/rng";
import { checkTree, coverage, randomNodes, uploadFor } from "./planner-helpers.js";
export const node = (id: string, children: number, extra: Partial<PlannerNodeInfo> = {}): PlannerNodeInfo => ({
  id,
  section: "",
  canHub: children > 0,
  uploadKbps: children > 0 ? uploadFor(children) : 500,
  hasVoice: true,
  ...extra,
});
export const parentMoves = (moves: Move[]) => moves.filter((m) => m.reason !== "backup");
