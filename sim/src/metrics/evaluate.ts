/** Turns a topology into the figures the report shows. */
import type { Topology } from "../topologies/types.js";
import type { Singer } from "../model/population.js";
import { summarizeDelays, summarizeValues, type DelaySummary, type ValueSummary } from "@choirmesh/common/quantiles";

export interface PairSets {
  all: Int32Array;
  neighbours: Int32Array;
  section: Int32Array;
}

export interface TopologyMetrics {
  title: string;
  pairs: { all: DelaySummary; neighbours: DelaySummary; section: DelaySummary };
  uploadKbps: ValueSummary;
  downloadKbps: ValueSummary;
  /** Singers whose needed upload exceeds their capacity. */
  overloadedSingers: number;
  /** Most cores any singer's own machine spends mixing. */
  maxSingerCores: number;
  servers: Topology["servers"];
  depth?: Topology["depth"];
  notes: string[];
  extra?: Record<string, unknown>;
}

/**
 * Delay of a pair as the pair experiences it: the worse of the two directions where both are
 * heard, the one heard direction where only one is (a chain), Infinity where neither is.
 */
export function pairDelays(t: Topology, pairs: Int32Array): Float64Array {
  const m = pairs.length >> 1;
  const out = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const a = pairs[2 * k];
    const b = pairs[2 * k + 1];
    const ab = t.pairDelayMs(a, b);
    const ba = t.pairDelayMs(b, a);
    if (Number.isFinite(ab) && Number.isFinite(ba)) out[k] = Math.max(ab, ba);
    else out[k] = Math.min(ab, ba);
  }
  return out;
}

export function evaluate(
  t: Topology,
  singers: readonly Singer[],
  sets: PairSets,
  thresholdsMs: readonly number[],
): { metrics: TopologyMetrics; allDelays: Float64Array; neighbourDelays: Float64Array } {
  const allDelays = pairDelays(t, sets.all);
  const neighbourDelays = pairDelays(t, sets.neighbours);
  let overloaded = 0;
  let maxCores = 0;
  for (let i = 0; i < singers.length; i++) {
    if (t.uploadKbps[i] > singers[i].uploadKbps) overloaded++;
    if (t.singerCores[i] > maxCores) maxCores = t.singerCores[i];
  }
  return {
    allDelays,
    neighbourDelays,
    metrics: {
      title: t.title,
      pairs: {
        all: summarizeDelays(allDelays, thresholdsMs),
        neighbours: summarizeDelays(neighbourDelays, thresholdsMs),
        section: summarizeDelays(pairDelays(t, sets.section), thresholdsMs),
      },
      uploadKbps: summarizeValues(t.uploadKbps),
      downloadKbps: summarizeValues(t.downloadKbps),
      overloadedSingers: overloaded,
      maxSingerCores: maxCores,
      servers: t.servers,
      depth: t.depth,
      notes: t.notes,
      extra: t.extra,
    },
  };
}
