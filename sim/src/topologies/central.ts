/**
 * The designs without a tree of singers: a central mixing server (Jamulus), a full P2P mesh
 * (SonoBus), and a chain of buckets (Bucket Brigade).
 */
import { linkEnd, type DelayModel, type LinkEnd } from "../model/delay.js";
import type { Singer } from "../model/population.js";
import type { CloudRegion } from "../model/cloud-regions.js";
import type { EngineTiming } from "../model/engine-timing.js";
import { NETWORK_DEFAULTS, TOPOLOGY_DEFAULTS } from "../model/defaults.js";
import { quantileSorted } from "@choirmesh/common/quantiles";
import { treePairDelayMs, type TreeDelayView } from "@choirmesh/signaling/planner/delay";
import type { Rng } from "../ports.js";
import { noServers, type Topology } from "./types.js";

export function regionEndpoint(r: CloudRegion): LinkEnd {
  return linkEnd(`server-${r.id}`, r.lat, r.lon, NETWORK_DEFAULTS.dataCentreAccessMs);
}

function starDelay(model: DelayModel, s: LinkEnd, a: Singer, b: Singer): number {
  return model.linkMs(a, s) + model.hubMs + model.linkMs(s, b);
}

/**
 * A central server is the root of a depth-1 tree: the planner's path delay gives the star's
 * pair delays (node -1 is the server).
 */
function starView(model: DelayModel, s: LinkEnd, singers: readonly Singer[]): TreeDelayView<number> {
  return {
    parent: (n) => (n < 0 ? null : -1),
    depth: (n) => (n < 0 ? 0 : 1),
    linkMs: (child) => model.linkMs(singers[child], s),
    hubMs: () => model.hubMs,
  };
}

/** The cloud region whose server gives the lowest median delay over the given pairs. */
export function bestServerRegion(
  singers: readonly Singer[],
  regions: readonly CloudRegion[],
  model: DelayModel,
  pairs: Int32Array,
): CloudRegion {
  let best = regions[0];
  let bestScore = Infinity;
  const m = pairs.length >> 1;
  const d = new Float64Array(m);
  for (const r of regions) {
    const s = regionEndpoint(r);
    let sum = 0;
    for (let k = 0; k < m; k++) sum += d[k] = starDelay(model, s, singers[pairs[2 * k]], singers[pairs[2 * k + 1]]);
    d.sort();
    // Median first, mean to break ties (a one-city choir ties every far region at +Infinity never).
    const score = quantileSorted(d, 0.5) + sum / m / 1e6;
    if (score < bestScore) {
      bestScore = score;
      best = r;
    }
  }
  return best;
}

function serverCost(n: number, timing: EngineTiming, r: CloudRegion) {
  return {
    count: 1,
    cores: n / timing.childrenPerCore,
    uploadMbps: (n * timing.streamKbps) / 1000,
    maxChildren: n,
    where: [r.city],
  };
}

export function starTopology(singers: readonly Singer[], model: DelayModel, timing: EngineTiming, server: CloudRegion): Topology {
  const n = singers.length;
  const view = starView(model, regionEndpoint(server), singers);
  return {
    name: "star",
    title: `Central server in ${server.city} (Jamulus)`,
    pairDelayMs: (a, b) => treePairDelayMs(view, a, b),
    uploadKbps: new Float64Array(n).fill(timing.streamKbps),
    downloadKbps: new Float64Array(n).fill(timing.streamKbps),
    singerCores: new Float64Array(n),
    servers: serverCost(n, timing, server),
    notes: ["every pair meets at the server: one hub hop, two access crossings and two trips to the server"],
  };
}

export function meshTopology(singers: readonly Singer[], model: DelayModel, timing: EngineTiming): Topology {
  const n = singers.length;
  const up = new Float64Array(n).fill((n - 1) * timing.streamKbps);
  let overloaded = 0;
  for (const s of singers) if ((n - 1) * timing.streamKbps > s.uploadKbps) overloaded++;
  return {
    name: "mesh",
    title: "Full P2P mesh (SonoBus)",
    pairDelayMs: (a, b) => model.linkMs(singers[a], singers[b]),
    uploadKbps: up,
    downloadKbps: up.slice(),
    // Every peer decodes every other peer's stream: a child's worth of work each.
    singerCores: new Float64Array(n).fill((n - 1) / timing.childrenPerCore),
    servers: noServers(),
    notes: [`${overloaded} of ${n} singers cannot upload ${n - 1} streams`],
    extra: { overloadedSingers: overloaded, overloadedShare: n ? overloaded / n : 0 },
  };
}

/**
 * Bucket Brigade: everyone sends to one server; a singer in bucket k hears the mix of all
 * earlier buckets, k x spacing behind the first, and sings along. The later singer hears the
 * earlier one after the song-time offset between their buckets; the earlier never hears the
 * later, and singers in one bucket never hear each other. Not real-time ensemble, by design.
 */
export function chainTopology(
  singers: readonly Singer[],
  timing: EngineTiming,
  server: CloudRegion,
  rng: Rng,
  spacingMs: number = TOPOLOGY_DEFAULTS.chainBucketSpacingMs,
  shares: readonly number[] = TOPOLOGY_DEFAULTS.chainBucketShares,
): Topology {
  const n = singers.length;
  const bucket = new Int32Array(n);
  const counts = new Array<number>(shares.length).fill(0);
  for (let i = 0; i < n; i++) {
    const x = rng.next();
    let acc = 0;
    let k = shares.length - 1;
    for (let j = 0; j < shares.length; j++) {
      acc += shares[j];
      if (x < acc) {
        k = j;
        break;
      }
    }
    bucket[i] = k;
    counts[k]++;
  }
  return {
    name: "chain",
    title: `Chain of ${shares.length} buckets, ${spacingMs / 1000} s apart (Bucket Brigade)`,
    pairDelayMs: (a, b) => (bucket[a] === bucket[b] ? Infinity : Math.abs(bucket[a] - bucket[b]) * spacingMs),
    uploadKbps: new Float64Array(n).fill(timing.streamKbps),
    downloadKbps: new Float64Array(n).fill(timing.streamKbps),
    singerCores: new Float64Array(n),
    servers: serverCost(n, timing, server),
    notes: [
      "delays are song-time offsets between buckets (seconds, by design); a pair in one bucket never hears each other",
      "only one direction of a pair is heard: the later bucket hears the earlier",
    ],
    extra: { bucketCounts: counts, spacingMs },
  };
}
