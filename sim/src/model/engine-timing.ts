/**
 * The engine's timing, as the simulator prices one hop through a hub. The frame and bitrate come
 * from mixer-node's codec defaults; the hop formula and the stream's wire rate from the planner's
 * defaults (the one delay model). Figures the engine does not export yet (jitter-buffer depth,
 * processing, children per core) use the planner's stand-ins and are reported as such (`source`).
 */
import { CODEC_DEFAULTS } from "@choirmesh/mixer-node/codec/defaults";
import { DEFAULT_HUB_TIMING, hubDelayFromTiming, streamKbpsFor } from "@choirmesh/signaling/planner/defaults";
import { engineHopFor, type DownPath } from "@choirmesh/signaling/planner/engine-timing";

/** Opus algorithmic delay with RESTRICTED_LOWDELAY (120 samples at 48 kHz); other modes add 4 ms. */
const LOWDELAY_LOOKAHEAD_MS = 2.5;
/**
 * The jitter buffers' targets in the live runs the hop was measured in (2.5-3.5 ms on loopback,
 * two shared cores: `npm start -- --stats-file F`, each input's jitter.targetDelayMs).
 */
const LIVE_JITTER_TARGET_MS = 3;
/** The issue-2 target for the engine benchmark's childrenPerCore (native backend, 10 ms frames). */
const CHILDREN_PER_CORE_TARGET = 150;

export interface EngineTiming {
  frameMs: number;
  /** The engine's down path: "forward" (the default, the cheap hop) or "mix" (re-encoded at every level). */
  downPath: DownPath;
  /** What a hub adds on the way up and where a pair meets, ms (measured live: planner/engine-timing.ts). */
  perHopMs: number;
  /** What each level adds on the way down, ms. */
  downLevelMs: number;
  /** What a pair that meets below the root waits for the top stream (the hear phase), ms. */
  belowRootMs: number;
  /** Jitter-buffer depth a hub holds on each input, in ms. */
  jitterBufferMs: number;
  /** Opus lookahead (2.5 ms with RESTRICTED_LOWDELAY). */
  lookaheadMs: number;
  /** Decode + mix + encode time of one tick, in ms. */
  processingMs: number;
  /** Children one core serves in real time (the engine benchmark's childrenPerCore). */
  childrenPerCore: number;
  /** Bitrate of one Opus stream including packet headers, kbit/s. */
  streamKbps: number;
  /** Where each figure came from, for the report. */
  source: Record<string, string>;
}

/** What a hub costs on the way up and where a pair meets (the per-hop figure). */
export function hubDelayMs(t: EngineTiming): number {
  return t.perHopMs;
}

/** What a hub costs on the way down (the per-level figure; the per-hop one on the re-encoding path). */
export function downLevelMs(t: EngineTiming): number {
  return t.downLevelMs;
}

export interface TimingOverrides {
  frameMs?: number;
  jitterBufferMs?: number;
  childrenPerCore?: number;
  processingMs?: number;
  downPath?: DownPath;
}

export function engineTiming(o: TimingOverrides = {}): EngineTiming {
  const frameMs = o.frameMs ?? CODEC_DEFAULTS.frameMs;
  const lookaheadMs = CODEC_DEFAULTS.application === "restricted-lowdelay" ? LOWDELAY_LOOKAHEAD_MS : LOWDELAY_LOOKAHEAD_MS + 4;
  const downPath = o.downPath ?? "forward";
  // The hop as measured live, unless the parts of the formula are given (then the formula, both ways).
  const formula = o.jitterBufferMs !== undefined || o.processingMs !== undefined;
  const hop = engineHopFor(frameMs, downPath);
  // The jitter-buffer depth the hop holds: what the live hop measured on loopback holds (its
  // buffers' targets there), or one frame in the formula.
  const jitterBufferMs = o.jitterBufferMs ?? (formula || !hop.source.startsWith("measured") ? (DEFAULT_HUB_TIMING.jitterBufferMs / DEFAULT_HUB_TIMING.frameMs) * frameMs : LIVE_JITTER_TARGET_MS);
  const processingMs = o.processingMs ?? DEFAULT_HUB_TIMING.processingMs;
  const formulaMs = hubDelayFromTiming({ frameMs, jitterBufferMs, lookaheadMs, processingMs });
  return {
    frameMs,
    downPath,
    perHopMs: formula ? formulaMs : hop.hubDelayMs,
    downLevelMs: formula ? (downPath === "mix" ? formulaMs : hop.downLevelMs) : hop.downLevelMs,
    belowRootMs: hop.belowRootMs,
    // One frame of buffering at the hub's inputs, as the planner's default assumes.
    jitterBufferMs,
    lookaheadMs,
    processingMs,
    childrenPerCore: o.childrenPerCore ?? CHILDREN_PER_CORE_TARGET,
    streamKbps: streamKbpsFor(CODEC_DEFAULTS.bitrate / 1000, frameMs),
    source: {
      perHopMs: formula ? "formula: frame/2 + jitter buffer + look-ahead + processing" : hop.source,
      downLevelMs: formula ? (downPath === "mix" ? "formula, as the per-hop figure" : hop.source) : hop.source,
      belowRootMs: hop.source,
      frameMs: o.frameMs !== undefined ? "--frame-ms" : "mixer-node CODEC_DEFAULTS.frameMs",
      jitterBufferMs: o.jitterBufferMs !== undefined ? "--jitter-buffer-ms" : formula || !hop.source.startsWith("measured") ? "planner DEFAULT_HUB_TIMING: one frame" : "the live hop's jitter-buffer targets on loopback",
      lookaheadMs: `Opus lookahead of CODEC_DEFAULTS.application (${CODEC_DEFAULTS.application})`,
      processingMs: o.processingMs !== undefined ? "option" : "planner DEFAULT_HUB_TIMING.processingMs",
      childrenPerCore: o.childrenPerCore !== undefined ? "engine benchmark (bench:mixer)" : "issue-2 target (bench:mixer not available)",
      streamKbps: "CODEC_DEFAULTS.bitrate + per-packet headers (planner streamKbpsFor)",
    },
  };
}
