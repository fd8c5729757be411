/**
 * The engine's timing as measured live: the one source that the planner (a room's options), the
 * simulator and the emulator read. perHopMs is what a mixing hub adds on the way up (and where a
 * pair meets), downLevelMs what each level adds on the way down, belowRootMs what a pair that
 * meets below the root waits for the top stream (the hear phase, runtime/hear-phase.ts); all
 * three are the demo's regression of pair delay over the hubs each pair passes (`npm start --
 * --singers 9 --fanout 2 --json`, `--frame-ms` for the other frames, `--down-path mix` for the
 * engine before), on two shared cores over loopback. endpointsMs is the same regression's
 * intercept: what a pair pays with no hub between (the speaker's tick and look-ahead, the
 * listener's jitter buffer and hear), which the simulator leaves out (the same for every topology)
 * and the demo's model adds back to set itself against the live run (client/src/choir-model.ts).
 * Frames not measured on the current engine fall back to the formula (hubDelayFromTiming; half a
 * frame below the root) and say so in `source`.
 */
import { hubDelayFromTiming } from "./defaults.js";

export type DownPath = "forward" | "mix";

export interface MeasuredHop {
  perHopMs: number;
  downLevelMs: number;
  /** 0 where nodes hear on their tick (the re-encoding engine). */
  belowRootMs: number;
  /** A pair through no hub on loopback: both endpoints' part. */
  endpointsMs: number;
  /**
   * Direct neighbours (runtime/direct-links.ts): what a pair that hears each other peer to peer
   * pays besides its link. More than endpointsMs: a peer's frames come at their sender's phase,
   * not the listener's, and wait for its hear (half a frame on average) in a buffer of their own.
   */
  directMs?: number;
  /** The runs the figures are the medians of. */
  runs: string;
}

export const MEASURED_ENGINE_TIMING: Readonly<Record<DownPath, Readonly<Partial<Record<number, MeasuredHop>>>>> = Object.freeze({
  forward: Object.freeze({
    // With the hear phase (runtime/hear-phase.ts): up / down / below the root / endpoints, ms.
    // 2.5 ms frames: one run, on a machine they overload (own voice -36.6 dB in that run).
    2.5: { perHopMs: 7.3, downLevelMs: 0.8, belowRootMs: 0, endpointsMs: 7.7, runs: "1 run: 7.3 / 0.8 / -0.2 / 7.7" },
    5: { perHopMs: 7.2, downLevelMs: 0.5, belowRootMs: 1.1, endpointsMs: 7.7, runs: "3 runs: 7.2 / 0.5 / 0.8 / 7.7, 7.5 / 0.5 / 1.2 / 8.0, 6.9 / 0.6 / 1.1 / 7.7" },
    // Direct pairs at 10 ms: the median over 12 direct pairs of a 6-singer choir on a map (live
    // delay less the link's mean path), 3 runs: 14.1, 14.7, 13.7.
    10: { perHopMs: 7.7, downLevelMs: 1.2, belowRootMs: 5.3, endpointsMs: 7.8, directMs: 14.1, runs: "3 runs: 8.1 / 1.2 / 5.3 / 8.2, 7.7 / 1.5 / 4.8 / 7.6, 7.7 / 1.1 / 5.6 / 7.8" },
    20: { perHopMs: 7.1, downLevelMs: 0.2, belowRootMs: 7.3, endpointsMs: 9.2, runs: "3 runs: 7.1 / 0.2 / 7.3 / 9.2, 7.5 / 0.4 / 7.7 / 9.8, 7.1 / -0.1 / 7.2 / 8.1" },
  }),
  mix: Object.freeze({
    // Up / down / endpoints: the engine did not change, so six runs over two sessions (the
    // endpoints' part measured in the later three).
    10: { perHopMs: 15.4, downLevelMs: 15.5, belowRootMs: 0, endpointsMs: 15.6, runs: "6 runs (--compare-engines): 15.5 / 14.7, 15.2 / 14.2, 15.3 / 16.7, 15.1 / 15.8 / 15.4, 16.3 / 15.9 / 15.6, 17.6 / 15.2 / 16.6" },
  }),
});

export interface EngineHop {
  hubDelayMs: number;
  downLevelMs: number;
  belowRootMs: number;
  endpointsMs: number;
  /** A direct pair's part besides its link (measured, or endpoints plus half a frame). */
  directMs: number;
  source: string;
}

/** What a hub costs up and down for a room's frame and down path. */
export function engineHopFor(frameMs: number, downPath: DownPath = "forward"): EngineHop {
  const m = MEASURED_ENGINE_TIMING[downPath][frameMs];
  if (m) return { hubDelayMs: m.perHopMs, downLevelMs: m.downLevelMs, belowRootMs: m.belowRootMs, endpointsMs: m.endpointsMs, directMs: m.directMs ?? m.endpointsMs + frameMs / 2, source: `measured live (${downPath}, ${frameMs} ms frames; ${m.runs})` };
  // Not measured: the re-encoding engine's formula, both ways (an upper bound for "forward"),
  // and on the forwarded path a wait of half a frame on average below the root.
  const h = hubDelayFromTiming({ frameMs, jitterBufferMs: frameMs });
  return { hubDelayMs: h, downLevelMs: h, belowRootMs: downPath === "forward" ? frameMs / 2 : 0, endpointsMs: h, directMs: h + frameMs / 2, source: `formula (frame/2 + jitter buffer + look-ahead + processing; ${downPath} at ${frameMs} ms not measured)` };
}
