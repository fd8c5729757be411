/**
 * A live choir placed on a map, set against the delay model on the same placement: the pair
 * classes the comparison reports (all pairs, each singer's nearest neighbours, section-mates) and,
 * for each, the live delays measured from the audio beside the model's for the same pairs. Pure:
 * a run's pairs and tree in, figures out.
 */
import { quantileSorted as quantile } from "@choirmesh/common/quantiles";
import { modelPairDelays, type LoopbackTree } from "@choirmesh/signaling/planner/loopback-model";
import { engineHopFor } from "@choirmesh/signaling/planner/engine-timing";
import { meanPathMs, type ChoirGeo, type GeoPlace } from "./choir-geo.js";

export const PAIR_CLASSES = ["all", "neighbours", "section"] as const;
export type PairClass = (typeof PAIR_CLASSES)[number];

/** Nearest neighbours per listener in the "neighbours" class (as the simulator's metric). */
export const NEIGHBOURS_PER_SINGER = 5;

export interface ClassFigures {
  /** Ordered (speaker, listener) pairs in the class, and how many of them were heard. */
  pairs: number;
  heard: number;
  liveP50Ms: number;
  liveP95Ms: number;
  /** The model over the same heard pairs. */
  modelP50Ms: number;
  modelP95Ms: number;
  /** (model - live) / live at the median, percent. */
  errorPct: number;
}

/**
 * Which ordered pairs (speaker a, listener b; singer indices) fall in each class: all of them;
 * each listener's `k` nearest singers by the model's one-way path (ties to the lower index);
 * singers of one section.
 */
export function pairClasses(geo: ChoirGeo, k = NEIGHBOURS_PER_SINGER): Record<PairClass, (a: number, b: number) => boolean> {
  const n = geo.singers.length;
  const near: Set<number>[] = [];
  for (let b = 0; b < n; b++) {
    const others = [...Array(n).keys()].filter((a) => a !== b);
    others.sort((x, y) => meanPathMs(geo.singers[x].place, geo.singers[b].place) - meanPathMs(geo.singers[y].place, geo.singers[b].place) || x - y);
    near.push(new Set(others.slice(0, k)));
  }
  return {
    all: (a, b) => a !== b,
    neighbours: (a, b) => a !== b && near[b].has(a),
    section: (a, b) => a !== b && geo.singers[a].section === geo.singers[b].section,
  };
}

/** Every node's place by its id: singers are named s<i>, dedicated hubs by their ChoirGeo name. */
export function placesById(geo: ChoirGeo, names: ReadonlyMap<string, string>): Map<string, GeoPlace> {
  const byName = new Map<string, GeoPlace>();
  geo.singers.forEach((s, i) => byName.set(`s${i}`, s.place));
  for (const h of geo.hubs) byName.set(h.name, h.place);
  const out = new Map<string, GeoPlace>();
  for (const [id, name] of names) {
    const p = byName.get(name);
    if (p) out.set(id, p);
  }
  return out;
}

/**
 * The model's delay for a pair over the run's own tree: the engine's measured timing on
 * loopback (loopback-model.ts) plus each link's mean path on the map (its delay and half its
 * jitter).
 */
export function geoModel(
  tree: LoopbackTree,
  places: ReadonlyMap<string, GeoPlace>,
  frameMs: number,
  direct: (from: string, to: string) => boolean = () => false,
  meshTops = false,
): (from: string, to: string) => number {
  const link = (c: string, p: string) => {
    const a = places.get(c);
    const b = places.get(p);
    return a && b ? meanPathMs(a, b) : Number.NaN;
  };
  const viaTree = modelPairDelays(tree, frameMs, "forward", link).delayMs;
  // Direct neighbours: their own path and what a direct pair pays besides it (engine-timing.ts).
  const hop = engineHopFor(frameMs, "forward");
  const tops = meshTops ? topsOf(tree) : null;
  return (from, to) => {
    if (direct(from, to)) return hop.directMs + link(from, to);
    const ta = tops?.topOf(from) ?? null;
    const tb = tops?.topOf(to) ?? null;
    if (ta === null || tb === null || ta === tb) return viaTree(from, to);
    // Across the meshed tier: up to the speaker's top hub, which mixes its region; straight to the
    // listener's, which mixes it for its children as it comes (not aligned to it: what a direct
    // pair pays for that, beyond the endpoints); down. The listener waits for the top stream once.
    const up = viaTree(from, ta) - hop.endpointsMs - hop.belowRootMs;
    const down = viaTree(tb, to) - hop.endpointsMs;
    return hop.endpointsMs + up + hop.hubDelayMs + link(ta, tb) + hop.hubDelayMs + (hop.directMs - hop.endpointsMs) + down;
  };
}

/**
 * The meshed tier of a tree (a dedicated root's dedicated children; the root's own singers meet
 * the rest through the root, as in a tree): each node's top hub below the root, null under the root.
 */
export function topsOf(tree: LoopbackTree): { tops: Set<string>; topOf(id: string): string | null } {
  const byId = new Map(tree.nodes.map((n) => [n.id, n] as const));
  const root = tree.nodes.find((n) => (n.parent ?? null) === null);
  const tops = new Set(tree.nodes.filter((n) => root && n.parent === root.id && n.hasVoice === false).map((n) => n.id));
  return {
    tops,
    topOf(id) {
      for (let x = byId.get(id); x && x.parent; x = byId.get(x.parent)) if (tops.has(x.id)) return x.id;
      return null;
    },
  };
}

/** Who hears whom directly at the end of a run, from its nodes' stats: (speaker, listener). */
export function directPairsOf(nodeStats: readonly { stats: unknown }[]): (from: string, to: string) => boolean {
  const heard = new Set<string>();
  for (const { stats } of nodeStats) {
    const s = stats as { id?: string | null; direct?: { heard?: string[] } | null };
    for (const p of s.direct?.heard ?? []) heard.add(`${p}>${s.id}`);
  }
  return (from, to) => heard.has(`${from}>${to}`);
}

export interface LivePair {
  from: string;
  to: string;
  heard: boolean;
  delayMs: number;
}

/** Live against model for each class, over the run's pairs (ids mapped to singer indices by `index`). */
export function compareClasses(
  pairs: readonly LivePair[],
  index: ReadonlyMap<string, number>,
  classes: Record<PairClass, (a: number, b: number) => boolean>,
  model: (from: string, to: string) => number,
): Record<PairClass, ClassFigures> {
  const out = {} as Record<PairClass, ClassFigures>;
  for (const c of PAIR_CLASSES) {
    const live: number[] = [];
    const predicted: number[] = [];
    let count = 0;
    for (const p of pairs) {
      const a = index.get(p.from);
      const b = index.get(p.to);
      if (a === undefined || b === undefined || !classes[c](a, b)) continue;
      count++;
      if (!p.heard) continue;
      live.push(p.delayMs);
      predicted.push(model(p.from, p.to));
    }
    live.sort((x, y) => x - y);
    predicted.sort((x, y) => x - y);
    const liveP50Ms = live.length ? quantile(live, 0.5) : Number.NaN;
    const modelP50Ms = predicted.length ? quantile(predicted, 0.5) : Number.NaN;
    out[c] = {
      pairs: count,
      heard: live.length,
      liveP50Ms,
      liveP95Ms: live.length ? quantile(live, 0.95) : Number.NaN,
      modelP50Ms,
      modelP95Ms: predicted.length ? quantile(predicted, 0.95) : Number.NaN,
      errorPct: (100 * (modelP50Ms - liveP50Ms)) / liveP50Ms,
    };
  }
  return out;
}

/**
 * The floor the neighbours class can reach with direct links (any hub, any design): the model's
 * median over each listener's `k` nearest if every one of those pairs heard the other directly,
 * its mean path plus what a direct pair costs the engine (`directMs`).
 */
export function allDirectNeighboursP50Ms(geo: ChoirGeo, frameMs: number, k = NEIGHBOURS_PER_SINGER): number {
  const near = pairClasses(geo, k).neighbours;
  const directMs = engineHopFor(frameMs).directMs;
  const d: number[] = [];
  const n = geo.singers.length;
  for (let b = 0; b < n; b++) for (let a = 0; a < n; a++) if (near(a, b)) d.push(meanPathMs(geo.singers[a].place, geo.singers[b].place) + directMs);
  d.sort((x, y) => x - y);
  return quantile(d, 0.5);
}
