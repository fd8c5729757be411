/** The tree planner: a pure module that places nodes in the mixing tree and returns moves. */
export * from "./types.js";
export { TreePlanner } from "./tree-planner.js";
export { childCap } from "./caps.js";
export { bfsFillBaseline, snapshotDelayView } from "./baseline.js";
export {
  treePairDelayMs,
  treeDiameterMs,
  type TreeDelayView,
  type TreeDiameterView,
} from "./delay.js";
export {
  DEFAULT_PLANNER_OPTIONS,
  DEFAULT_HUB_TIMING,
  hubDelayFromTiming,
  resolvePlannerOptions,
  streamKbpsFor,
  type HubTiming,
  type ResolvedPlannerOptions,
} from "./defaults.js";
export { PlannerError, type PlannerErrorCode } from "./errors.js";
