/**
 * Topologies built by the planner: the tree of singers, the hybrid with dedicated hubs in cloud
 * regions on top, and the top mesh (the hybrid whose top-level hubs talk to each other directly).
 */
import type { PlannerNodeInfo, TreeSnapshot, TreeNodeView } from "@choirmesh/signaling/planner/types";
import type { Singer } from "../model/population.js";
import type { CloudRegion } from "../model/cloud-regions.js";
import type { EngineTiming } from "../model/engine-timing.js";
import { NETWORK_DEFAULTS, TOPOLOGY_DEFAULTS } from "../model/defaults.js";
import { toUnitVec } from "@choirmesh/signaling/latency";
import { summarizeValues } from "@choirmesh/common/quantiles";
import type { PlannerLike } from "./planner-port.js";
import type { ServerCost, Topology, TopologyName } from "./types.js";

export interface DedicatedHub {
  id: string;
  region: CloudRegion;
}

export type Progress = (done: number, total: number) => void;

export function singerInfo(s: Singer): PlannerNodeInfo {
  return {
    id: s.id,
    section: s.section,
    canHub: true,
    uploadKbps: s.uploadKbps,
    hasVoice: true,
    location: { lat: s.lat, lon: s.lon },
    accessMs: s.accessMs,
  };
}

export function hubInfo(h: DedicatedHub): PlannerNodeInfo {
  return {
    id: h.id,
    name: h.region.city,
    section: "",
    canHub: true,
    uploadKbps: NETWORK_DEFAULTS.dataCentreUploadKbps,
    hasVoice: false,
    dedicated: true,
    location: { lat: h.region.lat, lon: h.region.lon },
    accessMs: NETWORK_DEFAULTS.dataCentreAccessMs,
  };
}

/** Index of each singer's nearest cloud region. */
export function nearestRegions(singers: readonly Singer[], regions: readonly CloudRegion[]): Int32Array {
  const rv = regions.map((r) => toUnitVec(r));
  const out = new Int32Array(singers.length);
  for (const s of singers) {
    const { x, y, z } = s.pos;
    let best = 0;
    let bestDot = -2;
    rv.forEach((v, r) => {
      const d = v.x * x + v.y * y + v.z * z;
      if (d > bestDot) {
        bestDot = d;
        best = r;
      }
    });
    out[s.idx] = best;
  }
  return out;
}

/**
 * Dedicated hubs for the hybrid: regions that are nearest for enough singers get hubs in
 * proportion to their singers (one per `singersPerHub`, at least one each). The central region
 * comes first, then one hub per region, then the rest, so the planner meets the top ones first.
 */
export function allocateDedicatedHubs(
  singers: readonly Singer[],
  regions: readonly CloudRegion[],
  central: CloudRegion,
  singersPerHub: number = TOPOLOGY_DEFAULTS.singersPerDedicatedHub,
  minShare: number = TOPOLOGY_DEFAULTS.minRegionShare,
): DedicatedHub[] {
  const n = singers.length;
  const near = nearestRegions(singers, regions);
  const counts = new Array<number>(regions.length).fill(0);
  for (let i = 0; i < n; i++) counts[near[i]]++;
  const used = regions.map((_, r) => r).filter((r) => counts[r] > 0 && counts[r] >= minShare * n);
  const centralIdx = regions.indexOf(central);
  if (centralIdx >= 0 && !used.includes(centralIdx)) used.unshift(centralIdx);
  const total = Math.max(used.length, Math.ceil(n / singersPerHub));
  const usedSingers = used.reduce((a, r) => a + counts[r], 0) || 1;
  // Largest remainder, with a floor of one hub per used region.
  const quota = used.map((r) => Math.max(1, (total * counts[r]) / usedSingers));
  const alloc = quota.map((q) => Math.floor(q));
  let left = total - alloc.reduce((a, b) => a + b, 0);
  const byRemainder = used.map((_, i) => i).sort((a, b) => quota[b] - alloc[b] - (quota[a] - alloc[a]) || a - b);
  for (let i = 0; left > 0 && byRemainder.length > 0; i = (i + 1) % byRemainder.length, left--) alloc[byRemainder[i]]++;
  const order = used.map((_, i) => i).sort((a, b) => (used[a] === centralIdx ? -1 : used[b] === centralIdx ? 1 : counts[used[b]] - counts[used[a]]));
  const hubs: DedicatedHub[] = [];
  const made = new Array<number>(used.length).fill(0);
  for (let round = 0; hubs.length < total; round++) {
    for (const i of order) {
      if (made[i] < alloc[i]) {
        hubs.push({ id: `h${hubs.length}`, region: regions[used[i]] });
        made[i]++;
      }
    }
    if (round > total) break;
  }
  return hubs;
}

export interface BuiltTree {
  planner: PlannerLike;
  hubs: DedicatedHub[];
  snapshot: TreeSnapshot;
  views: Map<string, TreeNodeView>;
  buildMs: number;
  joinUs: number[];
}

export function buildTree(planner: PlannerLike, singers: readonly Singer[], hubs: DedicatedHub[], progress?: Progress): BuiltTree {
  const total = hubs.length + singers.length;
  const joinUs: number[] = [];
  const t0 = performance.now();
  let done = 0;
  for (const h of hubs) {
    planner.addNode(hubInfo(h));
    done++;
  }
  for (const s of singers) {
    const a = performance.now();
    planner.addNode(singerInfo(s));
    joinUs.push((performance.now() - a) * 1000);
    if (progress && (++done & 1023) === 0) progress(done, total);
  }
  const buildMs = performance.now() - t0;
  progress?.(total, total);
  const snapshot = planner.snapshot();
  return { planner, hubs, snapshot, views: new Map(snapshot.nodes.map((v) => [v.id, v])), buildMs, joinUs };
}

function treeCosts(b: BuiltTree, singers: readonly Singer[], timing: EngineTiming) {
  const n = singers.length;
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  const cores = new Float64Array(n);
  const depths = new Float64Array(n);
  let maxLevel = 0;
  for (const s of singers) {
    const v = b.views.get(s.id)!;
    // Forwarded down path: a hub at depth d sends each child d + 1 streams, and a node at depth
    // d receives d from above; re-encoded: one each way per link.
    const fwd = timing.downPath === "forward";
    const perChild = fwd ? v.depth + 1 : 1;
    const fromAbove = v.parent === null ? 0 : fwd ? v.depth : 1;
    up[s.idx] = ((v.parent === null ? 0 : 1) + v.children.length * perChild) * timing.streamKbps;
    down[s.idx] = (fromAbove + v.children.length) * timing.streamKbps;
    cores[s.idx] = v.children.length / timing.childrenPerCore;
    depths[s.idx] = v.depth;
    if (v.depth > maxLevel) maxLevel = v.depth;
  }
  const servers: ServerCost = { count: 0, cores: 0, uploadMbps: 0, maxChildren: 0, where: [] };
  const where = new Set<string>();
  for (const h of b.hubs) {
    const v = b.views.get(h.id);
    if (!v) continue;
    const k = v.children.length;
    servers.count++;
    servers.cores += k / timing.childrenPerCore;
    servers.uploadMbps += ((v.parent === null ? 0 : 1) + k * (timing.downPath === "forward" ? v.depth + 1 : 1)) * (timing.streamKbps / 1000);
    servers.maxChildren = Math.max(servers.maxChildren, k);
    where.add(h.region.city);
  }
  servers.where = [...where];
  return { up, down, cores, servers, depth: { ...summarizeValues(depths), maxLevel } };
}

export function treeTopology(name: TopologyName, title: string, b: BuiltTree, singers: readonly Singer[], timing: EngineTiming): Topology {
  const c = treeCosts(b, singers, timing);
  const planner = b.planner;
  return {
    name,
    title,
    pairDelayMs: (x, y) => planner.pairDelayMs(singers[x].id, singers[y].id),
    uploadKbps: c.up,
    downloadKbps: c.down,
    singerCores: c.cores,
    servers: c.servers,
    depth: c.depth,
    notes: [`${b.planner.size} nodes joined one by one in ${Math.round(b.buildMs)} ms`],
    extra: { buildMs: b.buildMs, joinUs: summarizeValues(b.joinUs), dedicatedHubs: b.hubs.length },
  };
}

/**
 * The hybrid with its top level meshed: the root's dedicated children (and the root itself)
 * each carry a region; a pair in one region meets as in the hybrid, a pair across regions goes
 * up to its region's top hub, straight across to the other, and down.
 */
export function topMeshTopology(b: BuiltTree, singers: readonly Singer[], timing: EngineTiming, hubMs: number): Topology {
  const hybrid = treeTopology("topMesh", "", b, singers, timing);
  const root = b.snapshot.root;
  const dedicated = new Set(b.hubs.map((h) => h.id));
  const planner = b.planner;
  const tops: string[] = root === null ? [] : [root, ...b.views.get(root)!.children.filter((c) => dedicated.has(c))];
  const topSet = new Set(tops);
  const topOf = new Array<string>(singers.length);
  for (const s of singers) {
    let id = s.id;
    let p = planner.parentOf(id);
    while (p !== null && p !== root) {
      id = p;
      p = planner.parentOf(id);
    }
    topOf[s.idx] = topSet.has(id) ? id : (root ?? id);
  }
  const k = tops.length;
  // The mesh replaces the links between the root and the other tops: each top now sends its
  // region's mix to k - 1 others and receives k - 1.
  const servers = { ...hybrid.servers };
  servers.uploadMbps += (k * (k - 1) - 2 * (k - 1)) * (timing.streamKbps / 1000);
  servers.cores += (k * (k - 1) - (k - 1)) / timing.childrenPerCore;
  return {
    ...hybrid,
    name: "topMesh",
    title: `Hybrid with its ${k} top hubs in a full mesh`,
    pairDelayMs: (x, y) => {
      const ta = topOf[x];
      const tb = topOf[y];
      const a = singers[x].id;
      const bb = singers[y].id;
      // Each top hub hears as a root: its region's pairs that meet there wait for nothing above.
      if (ta === tb) return planner.pairDelayMs(a, bb, topSet);
      const up = a === ta ? 0 : planner.pairDelayMs(a, ta, topSet) + hubMs;
      const down = bb === tb ? 0 : hubMs + planner.pairDelayMs(tb, bb, topSet);
      return up + planner.estimateLinkMs(ta, tb) + down;
    },
    servers,
    notes: [`${k} top hubs: ${tops.map((t) => b.hubs.find((h) => h.id === t)?.region.city ?? t).join(", ")}`],
    extra: { ...hybrid.extra, topHubs: k, topHubIds: tops },
  };
}
