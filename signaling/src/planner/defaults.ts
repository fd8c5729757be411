/**
 * Planner defaults, each with the reasoning behind it. Derived figures are computed from
 * their parts so that the simulator and the engine can recompute them for other settings.
 */
import type { PlannerOptions } from "./types.js";
import { DEFAULT_VIVALDI_OPTIONS, type VivaldiOptions } from "../latency/vivaldi.js";

/** Per-packet header bytes of an Opus RTP packet: IPv4 20 + UDP 8 + RTP 12 + SRTP tag 10. */
export const PACKET_OVERHEAD_BYTES = 50;

/** Bitrate of one stream on the wire (kbit/s): Opus payload plus one packet's headers per frame. */
export function streamKbpsFor(opusKbps = 64, frameMs = 10): number {
  return opusKbps + ((1000 / frameMs) * PACKET_OVERHEAD_BYTES * 8) / 1000;
}

export interface HubTiming {
  /**
   * Frame (tick) period. Frames arrive at any phase of the hub's tick, so a frame waits half a
   * period for its tick on average (0..F).
   */
  frameMs: number;
  /** Jitter-buffer depth at the hub's inputs. */
  jitterBufferMs: number;
  /** Opus look-ahead of the re-encode (2.5 ms with RESTRICTED_LOWDELAY). */
  lookaheadMs: number;
  /** Decode, sum and encode. */
  processingMs: number;
}

export const DEFAULT_HUB_TIMING: HubTiming = { frameMs: 10, jitterBufferMs: 10, lookaheadMs: 2.5, processingMs: 1 };

/**
 * A hub's own delay per hop: half a frame of tick wait + jitter buffer + look-ahead + processing
 * (18.5 ms at 10 ms frames). Measured against the real engine at 10 ms frames: 17.0 ms a hop live
 * over WebRTC on loopback (`npm start`, slope of pair delay on hubs passed), 17.3 ms in the
 * emulated 200-singer tree (`npm run emulate`), 18.3 ms from the engine's own jitter-buffer
 * reports. (A full frame of tick wait, 23.5 ms, over-charged every hop by ~6 ms.)
 */
export function hubDelayFromTiming(t: Partial<HubTiming> = {}): number {
  const f = { ...DEFAULT_HUB_TIMING, ...t };
  return f.frameMs / 2 + f.jitterBufferMs + f.lookaheadMs + f.processingMs;
}

export type ResolvedPlannerOptions = Required<Omit<PlannerOptions, "vivaldi">> & { vivaldi: VivaldiOptions };

/** A level of the tree averaged over both directions (up at hubDelayMs, down at downLevelMs): what depth costs a pair. */
export function levelMsOf(o: Pick<ResolvedPlannerOptions, "hubDelayMs" | "downLevelMs">): number {
  return (o.hubDelayMs + o.downLevelMs) / 2;
}

export const DEFAULT_PLANNER_OPTIONS: ResolvedPlannerOptions = {
  /** 64 kbit/s Opus in 10 ms frames: 104 kbit/s on the wire. */
  streamKbps: streamKbpsFor(64, 10),
  /**
   * A singer's machine mixes for at most 32 children: each child costs one decode and one
   * encode of its own down mix, about 35 us per 10 ms frame with libopus (`npm run bench:mixer`:
   * a hub's tick at 64 children, 2.2 ms), so 32 children take ~11% of a core next to the
   * singer's own audio.
   */
  maxFanout: 32,
  hubDelayMs: hubDelayFromTiming(),
  downLevelMs: hubDelayFromTiming(),
  belowRootMs: 0,
  forwardedDown: false,
  defaultAccessMs: 3,
  dedicatedAccessMs: 0.5,
  defaultLinkMs: 25,
  maxFanoutDedicated: 256,
  directPerSinger: 0,
  directMaxMs: 25,
  directWeightMs: 20,
  meshTops: false,
  dedicatedPreferenceMs: 20,
  sectionWeightMs: 6,
  regionWeight: 0.75,
  weakHubWeightMs: 4,
  joinMoveBudget: 4,
  backupUsersPerSlot: 2,
  smallRoomSize: 24,
  /**
   * The first joiner is the root wherever it lives, and the first hubs head the regions; once
   * the room has regions (64 nodes) and again each time it doubles, better-placed hubs may take
   * over (see growth.ts). The gain asked of a relocation trades moves for delay; 10,000-singer
   * Europe rooms, seeds 1-5, others moved by all joins and median pair against the baseline:
   * 0.5 ms per singer 4,960 and -32.90 %, 0.25 ms 6,540 and -33.00 %, 0.1 ms 8,370 and -33.11 %.
   * A move is made before it is broken (node-links.ts): it costs the moved singers ~10-70 ms of
   * audio once, not a link set-up, so 0.25 ms.
   */
  rootCheckFirst: 64,
  rootCheckFactor: 2,
  rootMoveGainMs: 0.25,
  /** Depth-2 hubs too: see growth.ts for what they gain. */
  relocateDepth: 2,
  /**
   * Two reviews a join reach every node again while the room doubles; 1 ms keeps moves to
   * leaves that gain something real (0.5 ms moved more for the same delay).
   */
  reviewPerJoin: 2,
  reviewGainMs: 1,
  moveCooldownMs: 0,
  now: () => 0,
  vivaldi: DEFAULT_VIVALDI_OPTIONS,
};

export function resolvePlannerOptions(opts: Partial<PlannerOptions> = {}): ResolvedPlannerOptions {
  const out = { ...DEFAULT_PLANNER_OPTIONS } as ResolvedPlannerOptions;
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  out.vivaldi = { ...DEFAULT_VIVALDI_OPTIONS, ...(opts.vivaldi ?? {}) };
  // The down path costs what the up path does unless told otherwise (the re-encoding engine).
  if (opts.downLevelMs === undefined) out.downLevelMs = out.hubDelayMs;
  return out;
}
