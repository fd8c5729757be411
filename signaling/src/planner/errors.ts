export type PlannerErrorCode = "DUPLICATE_NODE" | "INVALID_NODE" | "UNKNOWN_NODE" | "PARENT_FULL";

/** A planner error with a code the server can turn into a reply. */
export class PlannerError extends Error {
  constructor(
    readonly code: PlannerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "PlannerError";
  }
}
