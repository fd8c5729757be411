/**
 * The delay model's prediction for a live run, set against what the singers heard.
 *
 * The run's own tree, priced by the planner's delay model (`signaling/src/planner/delay.ts`,
 * the function the planner and the simulator call) with the one source of engine timing
 * (`planner/engine-timing.ts`: per hop up, per level down, below the root and the endpoints'
 * part, measured in earlier runs), every link 0 ms (loopback). Nothing of the run itself goes
 * into the prediction: when the engine changes and the table is not measured again, the
 * median pair's error shows it.
 */
import type { TreeMessage } from "@choirmesh/protocol";
import { treePairDelayMs, type TreeDelayView } from "@choirmesh/signaling/planner/delay";
import { engineHopFor, type DownPath } from "@choirmesh/signaling/planner/engine-timing";
import { quantileSorted as quantile } from "@choirmesh/common/quantiles";

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

/** The model's delay from speaker `from` to listener `to` over `tree`, loopback links. */
export function modelPairDelays(tree: TreeMessage, frameMs: number, downPath: DownPath): { delayMs: (from: string, to: string) => number; source: string } {
  const hop = engineHopFor(frameMs, downPath);
  const parent = new Map(tree.nodes.map((n) => [n.id, n.parent ?? null] as const));
  const depth = new Map(tree.nodes.map((n) => [n.id, n.depth] as const));
  const view: TreeDelayView<string> = {
    parent: (n) => parent.get(n) ?? null,
    depth: (n) => depth.get(n) ?? -1,
    linkMs: () => 0,
    hubMs: () => hop.hubDelayMs,
    downMs: () => hop.downLevelMs,
    belowRootMs: () => hop.belowRootMs,
  };
  return { delayMs: (from, to) => hop.endpointsMs + treePairDelayMs(view, from, to), source: hop.source };
}

/** The model against the live run over the pairs that were heard. */
export function compareWithModel(
  tree: TreeMessage,
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
