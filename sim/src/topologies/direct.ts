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
import type { DelayModel } from "../model/delay.js";
import { groupByPlace } from "../metrics/pairs.js";
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

/** How many of a singer's nearest others are candidates for its direct neighbours. */
const STAR_CANDIDATES = 12;

/**
 * The central server with direct neighbours (`npm run compare` starDirect): every singer is a
 * leaf of the one server, so any two may pair. Each singer's nearest others by great circle are
 * the candidates (its own city first); pairs within `maxMs` are taken closest first, each singer
 * within its cap and its upload, as the planner pairs leaves under one hub (planner/direct.ts).
 */
export function starWithDirectNeighbours(
  star: Topology,
  singers: readonly Singer[],
  model: DelayModel,
  timing: EngineTiming,
  opts: { perSinger: number; maxMs: number } = DIRECT_SIM_DEFAULTS,
): Topology {
  const n = singers.length;
  const near = nearestOthers(singers, STAR_CANDIDATES);
  const cand: { a: number; b: number; ms: number }[] = [];
  for (let a = 0; a < n; a++) {
    for (let k = 0; k < STAR_CANDIDATES; k++) {
      const b = near[a * STAR_CANDIDATES + k];
      if (b < 0) break;
      // Each unordered pair once: from the lower index, or from the higher when the lower does not list it.
      if (b < a && listed(near, b, a)) continue;
      const ms = model.linkMs(singers[a], singers[b]);
      if (ms <= opts.maxMs) cand.push({ a: Math.min(a, b), b: Math.max(a, b), ms });
    }
  }
  cand.sort((x, y) => x.ms - y.ms || x.a - y.a || x.b - y.b);
  const per = opts.perSinger;
  const peers = new Int32Array(n * per).fill(-1);
  const deg = new Int32Array(n);
  const cap = (i: number) => Math.max(0, Math.min(per, Math.floor((singers[i].uploadKbps - timing.streamKbps) / timing.streamKbps)));
  let pairs = 0;
  for (const { a, b } of cand) {
    if (deg[a] >= cap(a) || deg[b] >= cap(b)) continue;
    peers[a * per + deg[a]++] = b;
    peers[b * per + deg[b]++] = a;
    pairs++;
  }
  const isPeer = (x: number, y: number) => {
    for (let k = 0; k < deg[y]; k++) if (peers[y * per + k] === x) return true;
    return false;
  };
  const extraMs = engineHopFor(timing.frameMs, timing.downPath).directMs - engineHopFor(timing.frameMs, timing.downPath).endpointsMs;
  return {
    ...star,
    name: "starDirect",
    title: `${star.title}, neighbours hearing each other directly`,
    pairDelayMs: (x, y) => (isPeer(x, y) ? model.linkMs(singers[x], singers[y]) + extraMs : star.pairDelayMs(x, y)),
    uploadKbps: Float64Array.from(star.uploadKbps, (u, i) => u + deg[i] * timing.streamKbps),
    downloadKbps: Float64Array.from(star.downloadKbps, (d, i) => d + deg[i] * timing.streamKbps),
    notes: [...star.notes, `${pairs} direct pairs (up to ${per} a singer within ${opts.maxMs} ms, the server leaving their voices out), each ${extraMs.toFixed(1)} ms besides its link`],
    extra: { ...star.extra, directPairs: pairs },
  };
}

function listed(near: Int32Array, a: number, b: number): boolean {
  for (let k = 0; k < STAR_CANDIDATES; k++) if (near[a * STAR_CANDIDATES + k] === b) return true;
  return false;
}

/**
 * Each singer's `k` nearest others (-1 where there are fewer), by great circle: singers stand on
 * cities, so the search runs over places, then takes their members.
 */
function nearestOthers(singers: readonly Singer[], k: number): Int32Array {
  const { members, pos } = groupByPlace(singers);
  const L = members.length;
  const out = new Int32Array(singers.length * k).fill(-1);
  const order = new Float64Array(L);
  const idx = Array.from({ length: L }, (_, i) => i);
  for (let p = 0; p < L; p++) {
    // Nearest places first (largest dot product), this place first of all.
    const q = pos[p];
    for (let o = 0; o < L; o++) order[o] = o === p ? 2 : q.x * pos[o].x + q.y * pos[o].y + q.z * pos[o].z;
    const ranked = partialTop(idx, order, k + 1);
    const own = members[p];
    const m = own.length;
    for (let i = 0; i < m; i++) {
      const a = own[i];
      // In its own city a singer's candidates are the next and previous in the city's list, then
      // the ones beyond (everyone there is as near, so each gets others than its neighbours do).
      let f = 0;
      for (let step = 1; f < k && step < m; step++) {
        const j = step & 1 ? (i + ((step + 1) >> 1)) % m : (i - (step >> 1) + m) % m;
        out[a * k + f++] = own[j];
      }
      for (const o of ranked) {
        if (o === p) continue;
        for (const b of members[o]) {
          if (f === k) break;
          out[a * k + f++] = b;
        }
        if (f === k) break;
      }
    }
  }
  return out;
}

/** The `m` indices with the largest `score`, best first (ties by index). */
function partialTop(idx: number[], score: Float64Array, m: number): number[] {
  const top: number[] = [];
  for (const i of idx) {
    if (top.length === m && score[i] <= score[top[m - 1]]) continue;
    let j = top.length < m ? top.length : m - 1;
    if (top.length < m) top.push(i);
    while (j > 0 && score[top[j - 1]] < score[i]) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = i;
  }
  return top;
}
