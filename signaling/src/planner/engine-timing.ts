/**
 * The engine's timing as measured live: the one source that the planner (a room's options), the
 * simulator and the emulator read. perHopMs is what a mixing hub adds on the way up (and where a
 * pair meets), downLevelMs what each level adds on the way down; both are the demo's regression
 * of pair delay over the hubs each pair passes (`npm start -- --singers 9 --fanout 2 --json`,
 * `--frame-ms` for the other frames, `--down-path mix` for the engine before), on two shared
 * cores over loopback. Frames not measured on the current engine fall back to the formula
 * (hubDelayFromTiming) and say so in `source`.
 */
import { hubDelayFromTiming } from "./defaults.js";

export type DownPath = "forward" | "mix";

export interface MeasuredHop {
  perHopMs: number;
  downLevelMs: number;
  /** The runs the figures are the medians of. */
  runs: string;
}

export const MEASURED_ENGINE_TIMING: Readonly<Record<DownPath, Readonly<Partial<Record<number, MeasuredHop>>>>> = Object.freeze({
  forward: Object.freeze({
    5: { perHopMs: 6.9, downLevelMs: 3.0, runs: "3 runs: 6.9 / 3.0, 7.1 / 2.8, 6.7 / 3.2" },
    10: { perHopMs: 7.2, downLevelMs: 6.9, runs: "3 runs: 7.2 / 6.5, 7.0 / 6.9, 7.8 / 7.8" },
    20: { perHopMs: 6.5, downLevelMs: 16.5, runs: "3 runs: 6.5 / 16.7, 6.8 / 15.7, 6.2 / 16.5" },
  }),
  mix: Object.freeze({
    10: { perHopMs: 15.3, downLevelMs: 14.7, runs: "3 runs (--compare-engines): 15.5 / 14.7, 15.2 / 14.2, 15.3 / 16.7" },
  }),
});

export interface EngineHop {
  hubDelayMs: number;
  downLevelMs: number;
  source: string;
}

/** What a hub costs up and down for a room's frame and down path. */
export function engineHopFor(frameMs: number, downPath: DownPath = "forward"): EngineHop {
  const m = MEASURED_ENGINE_TIMING[downPath][frameMs];
  if (m) return { hubDelayMs: m.perHopMs, downLevelMs: m.downLevelMs, source: `measured live (${downPath}, ${frameMs} ms frames; ${m.runs})` };
  // Not measured: the re-encoding engine's formula, both ways (an upper bound for "forward").
  const h = hubDelayFromTiming({ frameMs, jitterBufferMs: frameMs });
  return { hubDelayMs: h, downLevelMs: h, source: `formula (frame/2 + jitter buffer + look-ahead + processing; ${downPath} at ${frameMs} ms not measured)` };
}
