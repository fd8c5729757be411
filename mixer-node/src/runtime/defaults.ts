/**
 * Defaults of the node runtime (a hub or a singer in a live tree), in one place.
 */
export const NODE_DEFAULTS = {
  /** Section of a singer when none is given. */
  section: "",
  /** Whether the node may mix for children. Singers are hubs too, when they have the upload. */
  canHub: true,
  /** Upload capacity in kbit/s reported to the planner (it derives the child cap). */
  uploadKbps: 10_000,
  /** Whether the node sings (false for a dedicated hub). */
  hasVoice: true,
  /** Child slots in the engine; the planner's cap for this node must not exceed it. */
  maxChildren: 64,
  /** How often measured link RTTs are reported to the server (feeds the planner's estimates). */
  rttReportMs: 2000,
  /** How long a signal from a node not yet known as a neighbour is kept (it may race its tree-update). */
  pendingSignalMs: 5000,
  /** At most this many early signals kept per peer. */
  pendingSignalMax: 64,
  /** A new link may take this long to deliver its first packet before its silence counts, ms. */
  linkSetupAllowanceMs: 3000,
  /** Join reply timeout, ms. */
  joinTimeoutMs: 10_000,
} as const;
