/**
 * One model run: a choir on real cities, every topology built over the same singers and priced
 * with the same delay model, the figures, churn on the planner's tree, and what the report draws.
 */
import { TreePlanner } from "@choirmesh/signaling/planner";
import { makeRng, type Rng } from "./ports.js";
import { downLevelMs, engineTiming, hubDelayMs, type EngineTiming, type TimingOverrides } from "./model/engine-timing.js";
import { makeDelayModel } from "./model/delay.js";
import { makePopulation, type Singer } from "./model/population.js";
import { CLOUD_REGIONS } from "./model/cloud-regions.js";
import { CHURN_DEFAULTS, METRIC_DEFAULTS, POPULATION_DEFAULTS, TOPOLOGY_DEFAULTS } from "./model/defaults.js";
import { neighbourPairs, samplePairs, sectionPairs } from "./metrics/pairs.js";
import { evaluate, type PairSets, type TopologyMetrics } from "./metrics/evaluate.js";
import { bestServerRegion, chainTopology, meshTopology, starTopology } from "./topologies/central.js";
import { allocateDedicatedHubs, buildTree, topMeshTopology, treeTopology, type BuiltTree } from "./topologies/tree.js";
import type { PlannerLike } from "./topologies/planner-port.js";
import { DIRECT_SIM_DEFAULTS, starWithDirectNeighbours, withDirectNeighbours } from "./topologies/direct.js";
import type { Topology, TopologyName } from "./topologies/types.js";
import { runChurn, type ChurnResult } from "./churn.js";
import { drawingData, type DrawingData } from "./report/drawing-data.js";

export interface RunOptions {
  singers: number;
  region: string;
  seed: number;
  pairs?: number;
  neighbourSingers?: number;
  sectionPairs?: number;
  timing?: TimingOverrides;
  /** Simulated seconds of churn on the tree; 0 skips churn. */
  churnS?: number;
  progress?: (phase: string, done: number, total: number) => void;
}

export interface RunResult {
  singers: number;
  region: string;
  seed: number;
  timing: EngineTiming & { hubDelayMs: number };
  assumptions: Record<string, unknown>;
  pairsSampled: { all: number; neighbours: number; section: number };
  topologies: Record<TopologyName, TopologyMetrics>;
  /** Sorted all-pairs delays, thinned, per topology (ms); Infinity dropped. */
  cdf: Record<TopologyName, Array<[number, number]>>;
  /** The same for each sampled singer's nearest neighbours. */
  cdfNeighbours: Record<TopologyName, Array<[number, number]>>;
  /** Sorted per-singer upload (kbit/s) against rank share, thinned; plus singers' capacity. */
  upload: Record<string, Array<[number, number]>>;
  drawings: { tree: DrawingData; hybrid: DrawingData; topMesh: DrawingData };
  churn: ChurnResult | null;
  phasesMs: Record<string, number>;
  elapsedMs: number;
}

/** A derived seed per purpose, so that one part's draws never shift another's. */
function rngFor(seed: number, label: string): Rng {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return makeRng(h >>> 0);
}

function thinCurve(sorted: ArrayLike<number>, points = 240): Array<[number, number]> {
  const n = sorted.length;
  const out: Array<[number, number]> = [];
  if (n === 0) return out;
  const step = Math.max(1, Math.floor(n / points));
  for (let i = 0; i < n; i += step) out.push([sorted[i], (i + 1) / n]);
  out.push([sorted[n - 1], 1]);
  return out;
}

function cdfOf(delays: Float64Array): Array<[number, number]> {
  const n = delays.length;
  const heard = Float64Array.from(delays).filter(Number.isFinite).sort();
  // Share of all pairs: unheard pairs stay in the denominator, so such a curve never reaches 1.
  return thinCurve(heard).map(([x, y]) => [x, (y * heard.length) / n]);
}

function uploadCurve(values: ArrayLike<number>): Array<[number, number]> {
  const sorted = Float64Array.from(values).sort();
  return thinCurve(sorted).map(([v, share]) => [share, v]);
}

export function newPlanner(timing: EngineTiming, direct = false): PlannerLike {
  return new TreePlanner({
    streamKbps: timing.streamKbps,
    hubDelayMs: hubDelayMs(timing),
    downLevelMs: downLevelMs(timing),
    belowRootMs: timing.belowRootMs,
    forwardedDown: timing.downPath === "forward",
    // The direct variants: the planner also gathers close singers under one hub (state.ts placeCost).
    ...(direct ? { directPerSinger: DIRECT_SIM_DEFAULTS.perSinger, directMaxMs: DIRECT_SIM_DEFAULTS.maxMs } : {}),
  });
}

export function runModel(opts: RunOptions): RunResult {
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    mark = now;
  };
  const progress = opts.progress ?? (() => {});
  const timing = engineTiming(opts.timing);
  const hubMs = hubDelayMs(timing);
  const model = makeDelayModel(hubMs);
  const singers = makePopulation(opts.region, opts.singers, rngFor(opts.seed, "population"), timing);
  phase("population");

  const sets: PairSets = {
    all: samplePairs(singers.length, opts.pairs ?? METRIC_DEFAULTS.pairs, rngFor(opts.seed, "pairs")),
    neighbours: neighbourPairs(singers, METRIC_DEFAULTS.neighbours, opts.neighbourSingers ?? METRIC_DEFAULTS.neighbourSingers, rngFor(opts.seed, "neighbours")),
    section: sectionPairs(singers, opts.sectionPairs ?? METRIC_DEFAULTS.sectionPairs, rngFor(opts.seed, "section")),
  };
  phase("pairs");

  const central = bestServerRegion(singers, CLOUD_REGIONS, model, sets.all.subarray(0, 4000));
  const results = {} as Record<TopologyName, TopologyMetrics>;
  const cdf = {} as Record<TopologyName, Array<[number, number]>>;
  const cdfNeighbours = {} as Record<TopologyName, Array<[number, number]>>;
  const upload: Record<string, Array<[number, number]>> = { "singers' capacity": uploadCurve(singers.map((s) => s.uploadKbps)) };
  const thresholds = METRIC_DEFAULTS.thresholdsMs;
  const add = (t: Topology) => {
    const { metrics, allDelays, neighbourDelays } = evaluate(t, singers, sets, thresholds);
    results[t.name] = metrics;
    cdf[t.name] = cdfOf(allDelays);
    cdfNeighbours[t.name] = cdfOf(neighbourDelays);
    upload[t.name] = uploadCurve(t.uploadKbps);
  };

  const tree = buildTree(newPlanner(timing), singers, [], (d, n) => progress("tree: joins", d, n));
  phase("treeBuild");
  const treeT = treeTopology("tree", "Tree of singers (the planner, joined one by one)", tree, singers, timing);
  add(treeT);
  phase("treeEval");
  const treeD = buildTree(newPlanner(timing, true), singers, [], (d, n) => progress("tree, direct: joins", d, n));
  const treeDT = treeTopology("treeDirect", "", treeD, singers, timing);
  add(withDirectNeighbours(treeDT, "treeDirect", "Tree of singers, close singers gathered under one hub and hearing each other directly", treeD, singers, timing));
  phase("treeDirect");

  const hubs = allocateDedicatedHubs(singers, CLOUD_REGIONS, central);
  const hybrid = buildTree(newPlanner(timing), singers, hubs, (d, n) => progress("hybrid: joins", d, n));
  phase("hybridBuild");
  add(treeTopology("hybrid", `Hybrid: ${hubs.length} dedicated hubs in cloud regions, singers below`, hybrid, singers, timing));
  const topMesh = topMeshTopology(hybrid, singers, timing, hubMs);
  add(topMesh);
  const hybridD = buildTree(newPlanner(timing, true), singers, hubs, (d, n) => progress("hybrid, direct: joins", d, n));
  const topMeshD = topMeshTopology(hybridD, singers, timing, hubMs);
  add(withDirectNeighbours(topMeshD, "topMeshDirect", `${topMesh.title}, close singers gathered under one hub and hearing each other directly`, hybridD, singers, timing));
  phase("hybridEval");

  const star = starTopology(singers, model, timing, central);
  add(star);
  add(starWithDirectNeighbours(star, singers, model, timing));
  add(meshTopology(singers, model, timing));
  add(chainTopology(singers, timing, central, rngFor(opts.seed, "chain")));
  phase("othersEval");
  progress("evaluate", 1, 1);

  const drawings = {
    tree: drawingData(tree, singers, rngFor(opts.seed, "drawing")),
    hybrid: drawingData(hybrid, singers, rngFor(opts.seed, "drawing")),
    topMesh: drawingData(hybrid, singers, rngFor(opts.seed, "drawing"), (topMesh.extra?.topHubIds as string[]) ?? []),
  };

  let churn: ChurnResult | null = null;
  const churnS = opts.churnS ?? CHURN_DEFAULTS.durationS;
  if (churnS > 0) {
    const expectedJoins = Math.ceil((singers.length / CHURN_DEFAULTS.meanStayS) * churnS * 1.5) + 10;
    const newcomers = makePopulation(opts.region, expectedJoins, rngFor(opts.seed, "newcomers"), timing).map(
      (s): Singer => ({ ...s, id: `n${s.idx}` }),
    );
    churn = runChurn(tree.planner, [...singers], newcomers, rngFor(opts.seed, "churn"), { durationS: churnS });
    phase("churn");
  }

  return {
    singers: singers.length,
    region: opts.region,
    seed: opts.seed,
    timing: { ...timing, hubDelayMs: hubMs },
    assumptions: { population: POPULATION_DEFAULTS, topology: TOPOLOGY_DEFAULTS, metrics: METRIC_DEFAULTS, centralServer: central.city },
    pairsSampled: { all: sets.all.length / 2, neighbours: sets.neighbours.length / 2, section: sets.section.length / 2 },
    topologies: results,
    cdf,
    cdfNeighbours,
    upload,
    drawings,
    churn,
    phasesMs: phases,
    elapsedMs: performance.now() - t0,
  };
}

export type { BuiltTree };
