export type PlannerErrorCode = "duplicate-node" | "invalid-node" | "unknown-node" | "parent-full";

/** A planner error with a code the server can turn into a reply. */
import { ChoirmeshError } from "@choirmesh/common/errors";
export class PlannerError extends ChoirmeshError<PlannerErrorCode> {}
