import type { PlannerNodeInfo, PlannerOptions } from "./types.js";

/**
 * Children a node can feed: it uploads one stream to its parent plus one down mix per child,
 * so floor((uploadKbps - streamKbps) / streamKbps), clamped by the fan-out limit (a dedicated
 * hub's own limit when given). A node that cannot hub has none.
 *
 * On the forwarded down path (opts.forwardedDown) a hub at depth d sends each child its own
 * stream and the d streams from above: d + 1 per child, so its cap shrinks with its depth.
 */
export function streamsPerChild(opts: Pick<PlannerOptions, "forwardedDown">, depth: number): number {
  return opts.forwardedDown ? Math.max(0, depth) + 1 : 1;
}

export function childCap(info: PlannerNodeInfo, opts: PlannerOptions, depth = 0): number {
  if (!info.canHub) return 0;
  const up = info.uploadKbps;
  const stream = opts.streamKbps;
  if (!Number.isFinite(up) || !(stream > 0)) return 0;
  const byUpload = Math.floor((up - stream) / (stream * streamsPerChild(opts, depth)));
  const limit = info.dedicated ? (opts.maxFanoutDedicated ?? opts.maxFanout) : opts.maxFanout;
  return Math.max(0, Math.min(byUpload, limit));
}
