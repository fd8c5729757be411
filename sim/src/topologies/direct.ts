/**
 * A planner-built topology with neighbours who hear each other directly (docs/design.md,
 * "Neighbours, the meshed tier and geography"): the leaf singers under each hub pair up as the
 * live planner pairs them (signaling/planner/direct.ts, called, not reimplemented); a direct pair
 * pays its link and what a direct pair costs the engine beyond the endpoints (engine-timing.ts
 * directMs - endpointsMs: its frames come at the sender's phase, not the listener's); every other
 * pair is priced as in the topology it extends. Each direct neighbour is one more stream up and
 * one more down.
 */
import { directPairsUnder, type DirectView } from "@choirmesh/signaling/planner/direct";
import { engineHopFor } from "@choirmesh/signaling/planner/engine-timing";
import type { PlannerNodeInfo } from "@choirmesh/signaling/planner/types";
import type { Singer } from "../model/population.js";
import type { EngineTiming } from "../model/engine-timing.js";
import { hubInfo, singerInfo, type BuiltTree } from "./tree.js";
import type { Topology, TopologyName } from "./types.js";

export const DIRECT_SIM_DEFAULTS = {
  /** As `npm run compare` asks of the live planner. */
  perSinger: 5,
  maxMs: 25,
} as const;

export function withDirectNeighbours(
  base: Topology,
  name: TopologyName,
  title: string,
  b: BuiltTree,
  singers: readonly Singer[],
  timing: EngineTiming,
  opts: { perSinger: number; maxMs: number } = DIRECT_SIM_DEFAULTS,
): Topology {
  const infos = new Map<string, PlannerNodeInfo>();
  for (const s of singers) infos.set(s.id, singerInfo(s));
  for (const h of b.hubs) infos.set(h.id, hubInfo(h));
  const view: DirectView = {
    parentOf: (id) => b.views.get(id)?.parent ?? null,
    childrenOf: (id) => b.views.get(id)?.children ?? [],
    info: (id) => infos.get(id) ?? null,
    estimateLinkMs: (x, y) => b.planner.estimateLinkMs(x, y),
  };
  const idx = new Map(singers.map((s) => [s.id, s.idx] as const));
  const peers: Set<number>[] = singers.map(() => new Set<number>());
  for (const v of b.views.values()) {
    if (v.children.length === 0) continue;
    for (const [leaf, ps] of directPairsUnder(view, v.id, { directPerSinger: opts.perSinger, directMaxMs: opts.maxMs, streamKbps: timing.streamKbps })) {
      const i = idx.get(leaf);
      if (i !== undefined) for (const p of ps) if (idx.has(p)) peers[i].add(idx.get(p)!);
    }
  }
  const hop = engineHopFor(timing.frameMs, timing.downPath);
  const extraMs = hop.directMs - hop.endpointsMs;
  const up = Float64Array.from(base.uploadKbps, (u, i) => u + peers[i].size * timing.streamKbps);
  const down = Float64Array.from(base.downloadKbps, (d, i) => d + peers[i].size * timing.streamKbps);
  let pairs = 0;
  for (const p of peers) pairs += p.size;
  return {
    ...base,
    name,
    title,
    pairDelayMs: (x, y) => (peers[y].has(x) ? b.planner.estimateLinkMs(singers[x].id, singers[y].id) + extraMs : base.pairDelayMs(x, y)),
    uploadKbps: up,
    downloadKbps: down,
    notes: [...base.notes, `${pairs / 2} direct pairs (up to ${opts.perSinger} a singer within ${opts.maxMs} ms, under one hub), each ${extraMs.toFixed(1)} ms besides its link`],
    extra: { ...base.extra, directPairs: pairs / 2 },
  };
}
