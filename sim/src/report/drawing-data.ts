/** The upper levels of a planner-built tree, placed on the map, for the report's drawing. */
import type { Rng } from "../ports.js";
import type { Singer } from "../model/population.js";
import type { BuiltTree } from "../topologies/tree.js";
import type { MapNode } from "./svg.js";

export interface DrawingData {
  nodes: MapNode[];
  edges: Array<[string, string]>;
  meshEdges: Array<[string, string]>;
  backdrop: Array<{ lat: number; lon: number }>;
  /** Deepest level drawn, and how many nodes sit on each level of the whole tree. */
  levelsDrawn: number;
  levelCounts: number[];
  /** Top hubs meshed (drawn only when few). */
  meshHubs: number;
}

const MAX_NODES = 450;
const MAX_BACKDROP = 2500;
/** Beyond this many top hubs their full mesh is a solid smear: it is described, not drawn. */
const MAX_MESH_DRAWN = 40;

export function drawingData(b: BuiltTree, singers: readonly Singer[], rng: Rng, meshIds: readonly string[] = []): DrawingData {
  const levelCounts: number[] = [];
  for (const v of b.snapshot.nodes) if (v.depth >= 0) levelCounts[v.depth] = (levelCounts[v.depth] ?? 0) + 1;
  let levelsDrawn = 0;
  let count = levelCounts[0] ?? 0;
  while (levelsDrawn + 1 < levelCounts.length && count + levelCounts[levelsDrawn + 1] <= MAX_NODES) {
    levelsDrawn++;
    count += levelCounts[levelsDrawn];
  }
  // At least two levels, even when the second must be cut short.
  const minLevels = Math.min(1, levelCounts.length - 1);
  levelsDrawn = Math.max(levelsDrawn, minLevels);
  const hubById = new Map(b.hubs.map((h) => [h.id, h]));
  const singerById = new Map(singers.map((s) => [s.id, s]));
  const nodes: MapNode[] = [];
  const ids = new Set<string>();
  for (const v of b.snapshot.nodes) {
    if (v.depth < 0 || v.depth > levelsDrawn || nodes.length >= MAX_NODES) continue;
    const h = hubById.get(v.id);
    const s = singerById.get(v.id);
    const place = h ? h.region : s;
    if (!place) continue;
    const few = (levelCounts[v.depth] ?? 0) <= 24 || (!!h && b.hubs.length <= 40);
    nodes.push({
      id: v.id,
      lat: place.lat,
      lon: place.lon,
      level: v.depth,
      dedicated: !!h,
      label: (v.depth <= 1 || h) && few ? (h ? h.region.city : s!.city) : undefined,
    });
    ids.add(v.id);
  }
  const edges: Array<[string, string]> = [];
  for (const v of b.snapshot.nodes) if (v.parent !== null && ids.has(v.id) && ids.has(v.parent)) edges.push([v.parent, v.id]);
  const meshEdges: Array<[string, string]> = [];
  if (meshIds.length <= MAX_MESH_DRAWN)
    for (let i = 0; i < meshIds.length; i++) for (let j = i + 1; j < meshIds.length; j++) meshEdges.push([meshIds[i], meshIds[j]]);
  const backdrop: Array<{ lat: number; lon: number }> = [];
  const take = Math.min(singers.length, MAX_BACKDROP);
  for (let i = 0; i < take; i++) {
    const s = singers[Math.floor(rng.next() * singers.length)];
    backdrop.push({ lat: s.lat, lon: s.lon });
  }
  return { nodes, edges, meshEdges, backdrop, levelsDrawn, levelCounts, meshHubs: meshIds.length };
}
