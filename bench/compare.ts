/**
 * `npm run compare -- [--region europe] [--singers 24] [--seed 1] [--fanout 4] [--seconds 4]
 *                     [--topologies tree,topMesh,star(,hybrid,starDirect)] [--hub-every 12] [--direct 5] [--direct-max-ms 25] [--direct-weight-ms 20]
 *                     [--stats-file FILE] [--json]`
 *
 * One choir, placed on a map by the simulator's population model (cities weighted by population,
 * home connections drawn from its distributions), sung live on loopback three ways, with every
 * link delayed by the model's one-way figure (geography on loopback, client/choir-geo.ts):
 *   tree   the planner's tree of singers;
 *   topMesh dedicated hubs in the cloud-region cities nearest the singers, the top of the tree, each
 *          pair of them linked directly (a region hears the others through its own top hub);
 *   hybrid (on request) the same hubs as a plain tree under the first;
 *   star   a central server in the best cloud city;
 *   starDirect (on request) that server with neighbours' direct links under it.
 * For each it prints, per pair class (all pairs, each singer's 5 nearest neighbours, section-mates),
 * the live p50/p95 measured from the audio and the delay model's for the same placement and tree
 * (client/geo-compare.ts). Progress goes to stderr; with --json the last line is
 *   {"singers": 24, "region": "europe", "topologies": {"tree": {"allP50Ms": .., "neighboursP50Ms": ..,
 *    "sectionP50Ms": .., "heardAll": .., "modelAllP50Ms": .., "modelNeighboursP50Ms": .., ..}, ..}}
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { configureLogging } from "@choirmesh/common/log";
import { MAX_SIGNATURE_VOICES } from "@choirmesh/mixer-node/signature";
import { runChoir, type ChoirRunResult, type Topology } from "@choirmesh/client/choir-run";
import type { ChoirGeo, GeoPlace } from "@choirmesh/client/choir-geo";
import { allDirectNeighboursP50Ms, compareClasses, directPairsOf, geoModel, pairClasses, placesById, PAIR_CLASSES, type ClassFigures, type PairClass } from "@choirmesh/client/geo-compare";
import { makePopulation, type Singer } from "@choirmesh/sim/model/population";
import { engineTiming } from "@choirmesh/sim/model/engine-timing";
import { CLOUD_REGIONS } from "@choirmesh/sim/model/cloud-regions";
import { makeDelayModel } from "@choirmesh/sim/model/delay";
import { NETWORK_DEFAULTS } from "@choirmesh/sim/model/defaults";
import { bestServerRegion } from "@choirmesh/sim/topologies/central";
import { allocateDedicatedHubs } from "@choirmesh/sim/topologies/tree";
import { makeRng, parseRegion } from "@choirmesh/sim/ports";

const USAGE = `usage: npm run compare -- [--region europe] [--singers 24] [--seed 1] [--fanout 4] [--seconds 4]
                          [--topologies tree,topMesh,star(,hybrid,starDirect)] [--hub-every 12] [--direct 5] [--direct-max-ms 25] [--direct-weight-ms 20]
                          [--stats-file FILE] [--json]`;
/** What a run is asked for: a live topology, or `starDirect`, the star with direct neighbours. */
type CompareTopology = Topology | "starDirect";
const TOPOLOGIES: readonly CompareTopology[] = ["tree", "topMesh", "star", "hybrid", "starDirect"];
const DEFAULT_TOPOLOGIES = ["tree", "topMesh", "star"];

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        region: { type: "string", default: "europe" },
        singers: { type: "string", default: "24" },
        seed: { type: "string", default: "1" },
        fanout: { type: "string", default: "4" },
        seconds: { type: "string", default: "4" },
        topologies: { type: "string", default: DEFAULT_TOPOLOGIES.join(",") },
        "hub-every": { type: "string", default: "12" },
        direct: { type: "string", default: "5" },
        "direct-max-ms": { type: "string", default: "25" },
        "direct-weight-ms": { type: "string", default: "20" },
        json: { type: "boolean", default: false },
        "stats-file": { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const int = (name: keyof typeof values, lo: number, hi: number): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < lo || n > hi) fail(`--${name} must be an integer in [${lo}, ${hi}], not ${JSON.stringify(values[name])}`);
  return n;
};
const singersN = int("singers", 2, MAX_SIGNATURE_VOICES);
const seed = int("seed", 0, 2 ** 31);
const fanout = int("fanout", 1, 64);
const seconds = int("seconds", 1, 60);
const hubEvery = int("hub-every", 1, 1000);
const directPerSinger = int("direct", 0, 8);
const directMaxMs = int("direct-max-ms", 1, 200);
const directWeightMs = int("direct-weight-ms", 0, 200);
const regionSpec = values.region!;
try {
  parseRegion(regionSpec);
} catch (err) {
  fail((err as Error).message);
}
const topologies = values.topologies!.split(",").map((t) => t.trim()) as CompareTopology[];
for (const t of topologies) if (!TOPOLOGIES.includes(t)) fail(`unknown topology ${JSON.stringify(t)} (known: ${TOPOLOGIES.join(", ")})`);
configureLogging(process.env.CHOIRMESH_LOG ?? "warn");
const say = (line: string) => process.stderr.write(`${line}\n`);
const frameMs = 10 as const;

// The choir: the simulator's population, drawn from the seed.
const timing = engineTiming({ frameMs });
let population: Singer[];
try {
  population = makePopulation(regionSpec, singersN, makeRng(seed), timing);
} catch (err) {
  fail((err as Error).message);
}
const model = makeDelayModel(timing.perHopMs);
const allPairs = new Int32Array(singersN * (singersN - 1) * 2);
for (let a = 0, k = 0; a < singersN; a++) for (let b = 0; b < singersN; b++) if (a !== b) (allPairs[k++] = a), (allPairs[k++] = b);
const server = bestServerRegion(population, CLOUD_REGIONS, model, allPairs);
const dedicated = allocateDedicatedHubs(population, CLOUD_REGIONS, server, hubEvery, 0.1);
const dataCentre = (r: { lat: number; lon: number; city: string }): GeoPlace => ({ lat: r.lat, lon: r.lon, accessMs: NETWORK_DEFAULTS.dataCentreAccessMs, jitterMs: 0, label: r.city });
const singerGeo = population.map((s) => ({
  place: { lat: s.lat, lon: s.lon, accessMs: s.rawAccessMs, jitterMs: s.jitterMs, label: s.city },
  section: s.section,
  uploadKbps: s.uploadKbps,
}));
const liveTopology = (t: CompareTopology): Topology => (t === "starDirect" ? "star" : t);
const geoFor = (t: CompareTopology): ChoirGeo => ({
  singers: singerGeo,
  hubs: liveTopology(t) === "star" ? [{ name: `server-${server.city}`, place: dataCentre(server) }] : t === "hybrid" || t === "topMesh" ? dedicated.map((h, i) => ({ name: `hub${i}-${h.region.city}`, place: dataCentre(h.region) })) : [],
});
say(`choirmesh compare: ${singersN} singers in ${regionSpec} (seed ${seed}), 10 ms frames, forwarded down path`);
say(`  singers: ${population.map((s) => `s${s.idx} ${s.city} (${s.section}, access ${s.rawAccessMs.toFixed(1)} ms)`).join("; ")}`);
say(`  central server: ${server.city}; dedicated hubs: ${dedicated.map((h) => h.region.city).join(", ")}`);

const classes = pairClasses(geoFor("tree"));
// What the neighbours class could reach at best: every singer's 5 nearest heard directly.
const neighboursFloorMs = allDirectNeighboursP50Ms(geoFor("tree"), frameMs);
say(`  the model's floor for the 5 nearest (every such pair direct): p50 ${neighboursFloorMs.toFixed(1)} ms`);
interface TopologyFigures {
  classes: Record<PairClass, ClassFigures>;
  run: ChoirRunResult;
  /** Ordered pairs heard directly at the end of the run. */
  directPairs: number;
}
const results = new Map<CompareTopology, TopologyFigures>();
for (const t of topologies) {
  say(`\n== ${t} ==`);
  const geo = geoFor(t);
  const run = await runChoir({
    singers: singersN,
    fanout,
    seconds,
    frameMs,
    topology: liveTopology(t),
    downPath: "forward",
    bitrate: singersN > 20 ? 128_000 : 64_000,
    // Own voice over 32 s: over 16, a voice nobody sings reads up to -40 dB in 16 singers' ears
    // (codec noise at its frequency from the others' tones, which falls ~3 dB each time the
    // recording doubles); the run reports that floor beside the own voice.
    ownVoiceSeconds: 32,
    ownFloor: true,
    geo,
    // Neighbours hear each other directly in the tree, the hybrid and starDirect; the central
    // server is the baseline as it is built (every voice through it).
    ...(t !== "star" && directPerSinger > 0 ? { direct: { perSinger: directPerSinger, maxMs: directMaxMs, weightMs: directWeightMs } } : {}),
    room: `compare-${t}`,
    log: (l) => say(`  … ${l}`),
  });
  const index = new Map<string, number>();
  for (const [id, name] of run.names) if (/^s\d+$/.test(name)) index.set(id, Number(name.slice(1)));
  const direct = directPairsOf(run.nodeStats);
  const figures = compareClasses(run.pairs, index, classes, geoModel(run.tree, placesById(geo, run.names), frameMs, direct, t === "topMesh"));
  const directPairs = run.pairs.filter((p) => direct(p.from, p.to)).length;
  results.set(t, { classes: figures, run, directPairs });
  for (const c of PAIR_CLASSES) {
    const f = figures[c];
    say(`  ${c.padEnd(10)} live p50 ${f.liveP50Ms.toFixed(1)} / p95 ${f.liveP95Ms.toFixed(1)} ms, model ${f.modelP50Ms.toFixed(1)} / ${f.modelP95Ms.toFixed(1)} ms (${f.errorPct >= 0 ? "+" : ""}${f.errorPct.toFixed(1)} % at p50), ${f.heard}/${f.pairs} heard`);
  }
  say(`  direct pairs: ${directPairs} of ${run.pairs.length}`);
  say(`  heard all: ${run.heardAll}; own voice at most ${run.selfLeakDb.toFixed(1)} dB (a voice nobody sings: ${run.ownFloorDb.toFixed(1)}); depth ${run.depth}; nodes ${run.nodesCpuCores.toFixed(2)} cores; play-out shifts ${run.playoutShifts}; lateness p99 ${run.latenessP99Ms.toFixed(1)} ms`);
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
const out: Record<string, Record<string, unknown>> = {};
for (const [t, { classes: f, run, directPairs }] of results) {
  const key = (c: PairClass) => (c === "all" ? "all" : c);
  const row: Record<string, unknown> = {};
  for (const c of PAIR_CLASSES) {
    row[`${key(c)}P50Ms`] = round(f[c].liveP50Ms);
    row[`${key(c)}P95Ms`] = round(f[c].liveP95Ms);
  }
  row.heardAll = run.heardAll;
  row.ownVoiceDb = round(run.selfLeakDb);
  row.ownVoiceFloorDb = round(run.ownFloorDb);
  for (const c of PAIR_CLASSES) {
    const cap = c[0].toUpperCase() + c.slice(1);
    row[`model${cap}P50Ms`] = round(f[c].modelP50Ms);
    row[`model${cap}ErrorPct`] = round(f[c].errorPct);
  }
  Object.assign(row, { directPairs, depth: run.depth, nodesCpuCores: round(run.nodesCpuCores), playoutShifts: run.playoutShifts, latenessP99Ms: round(run.latenessP99Ms) });
  out[t] = row;
}
const summary = { singers: singersN, region: regionSpec, seed, server: server.city, hubs: dedicated.map((h) => h.region.city), modelAllDirectNeighboursP50Ms: round(neighboursFloorMs), topologies: out };
// Every node's own stats at the end of each run, the trees and each node's CPU, for a closer look.
if (values["stats-file"]) {
  const dump = Object.fromEntries([...results].map(([t, { run }]) => [t, { tree: run.tree, names: Object.fromEntries(run.names), pairs: run.pairs, cpu: run.nodeCpu, nodes: run.nodeStats }]));
  writeFileSync(values["stats-file"], JSON.stringify(dump));
}
if (values.json) console.log(JSON.stringify(summary));
else say(`\n${JSON.stringify(summary, null, 1)}`);
process.exit(0);
