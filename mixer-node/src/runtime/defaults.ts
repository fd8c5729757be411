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
  /**
   * After a stall of the event loop (GC, a link set-up, a busy machine), the tick clock runs the
   * missed ticks back to back up to this much audio, ms. A skipped tick is a frame lost for every
   * listener downstream (and, at 5 and 2.5 ms frames, a phase jump); a late one is only late,
   * and the jitter buffers downstream absorb it.
   */
  catchUpMs: 60,
  /**
   * Incidents kept in the node's timeline (late ticks, concealment runs, jitter-buffer moves,
   * link changes): at 4 numbers each, 512 cost 16 kB and hold minutes of a healthy node.
   */
  timelineEntries: 512,
  /** How often each link's loss is looked at to turn redundant copies on or off, ms. */
  redundancyCheckMs: 1000,
  /** Join reply timeout, ms. */
  joinTimeoutMs: 10_000,
} as const;

/**
 * V8 flags every node process starts with (the demo's, the tests' and the benchmarks' node
 * processes, `npm run hub` and `npm run singer`). `--no-memory-reducer`: V8's memory reducer
 * takes a process that allocates little for an idle one and runs full collections to shrink its
 * heap, and a node ticking at 100 Hz is never idle. Measured in bench:hub's child processes (8
 * singers each): "reduce" mark-compacts every ~0.6 s for a while, each pausing 2-7 ms with
 * incremental steps of up to 7 ms, which made the hub conceal 0-8 frames of 16,000 (underruns:
 * a child's packet later than a ~5 ms jitter target); without it, none in three runs of three.
 * `--expose-gc`: a node host that leaves its room collects before it is reused (node-host.ts).
 */
export const NODE_PROCESS_FLAGS: readonly string[] = ["--no-memory-reducer", "--expose-gc"];
