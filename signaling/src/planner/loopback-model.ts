/**
 * The delay model's prediction for a choir on loopback (the demo's, and the emulator's run of the
 * same tree), to set against the delays measured from the audio.
 *
 * The run's own tree, priced by the delay model the planner and the simulator use (delay.ts) with
 * the one source of engine timing (engine-timing.ts: per hop up, per level down, below the root,
 * and the endpoints' part, which the simulator leaves out), every link 0 ms. Nothing of the run
 * itself goes into the prediction: when the engine changes and the table is not measured again,
 * the median pair's error shows it.
 */
import { quantileSorted as quantile } from "@choirmesh/common/quantiles";
import { treePairDelayMs, type TreeDelayView } from "./delay.js";
import { engineHopFor, type DownPath } from "./engine-timing.js";

/** A tree as a run reports it (a TreeMessage fits). */
export interface LoopbackTree {
  nodes: readonly { id: string; parent?: string | null; depth: number; hasVoice?: boolean }[];
}

export interface ModelComparison {
  /** Heard pairs compared. */
  pairs: number;
  liveP50Ms: number;
  modelP50Ms: number;
  /** (model - live) / live at the median pair, percent. */
  errorPct: number;
  /** Where the engine timing came from (measured, or the formula). */
  source: string;
}

/**
 * The model's delay from speaker `from` to listener `to` over `tree`: loopback links, or each
 * link's one-way delay from `linkMs(child, parent)` (a choir placed on a map, client/choir-geo.ts).
 */
export function modelPairDelays(
  tree: LoopbackTree,
  frameMs: number,
  downPath: DownPath,
  linkMs: (child: string, parent: string) => number = () => 0,
): { delayMs: (from: string, to: string) => number; source: string } {
  const hop = engineHopFor(frameMs, downPath);
  const parent = new Map(tree.nodes.map((n) => [n.id, n.parent ?? null] as const));
  const depth = new Map(tree.nodes.map((n) => [n.id, n.depth] as const));
  const view: TreeDelayView<string> = {
    parent: (n) => parent.get(n) ?? null,
    depth: (n) => depth.get(n) ?? -1,
    linkMs,
    hubMs: () => hop.hubDelayMs,
    downMs: () => hop.downLevelMs,
    belowRootMs: () => hop.belowRootMs,
  };
  return { delayMs: (from, to) => hop.endpointsMs + treePairDelayMs(view, from, to), source: hop.source };
}

/** The model against the live run over the pairs that were heard. */
export function compareWithModel(
  tree: LoopbackTree,
  pairs: readonly { from: string; to: string; heard: boolean; delayMs: number }[],
  frameMs: number,
  downPath: DownPath,
): ModelComparison {
  const model = modelPairDelays(tree, frameMs, downPath);
  const live: number[] = [];
  const predicted: number[] = [];
  for (const p of pairs) {
    if (!p.heard) continue;
    const m = model.delayMs(p.from, p.to);
    if (!Number.isFinite(m)) continue;
    live.push(p.delayMs);
    predicted.push(m);
  }
  live.sort((a, b) => a - b);
  predicted.sort((a, b) => a - b);
  const liveP50Ms = live.length > 0 ? quantile(live, 0.5) : Number.NaN;
  const modelP50Ms = predicted.length > 0 ? quantile(predicted, 0.5) : Number.NaN;
  return { pairs: live.length, liveP50Ms, modelP50Ms, errorPct: (100 * (modelP50Ms - liveP50Ms)) / liveP50Ms, source: model.source };
}
