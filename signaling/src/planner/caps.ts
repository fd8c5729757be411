import type { PlannerNodeInfo, PlannerOptions } from "./types.js";

/**
 * Children a node can feed: it uploads one stream to its parent plus one down mix per child,
 * so floor((uploadKbps - streamKbps) / streamKbps), clamped by the fan-out limit (a dedicated
 * hub's own limit when given). A node that cannot hub has none.
 */
export function childCap(info: PlannerNodeInfo, opts: PlannerOptions): number {
  if (!info.canHub) return 0;
  const up = info.uploadKbps;
  const stream = opts.streamKbps;
  if (!Number.isFinite(up) || !(stream > 0)) return 0;
  const byUpload = Math.floor((up - stream) / stream);
  const limit = info.dedicated ? (opts.maxFanoutDedicated ?? opts.maxFanout) : opts.maxFanout;
  return Math.max(0, Math.min(byUpload, limit));
}
