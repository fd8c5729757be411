/**
 * An emulated run: the model run's choir (same population, same planner tree, same best central
 * city), played through the real engine over the virtual network, for the tree and the star; the
 * pair delays measured from the audio are set against the model's for the same pairs.
 */
import { loadCodecBackend, type BackendPreference } from "@choirmesh/mixer-node/codec";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { makeRng, type Rng } from "../ports.js";
import { downLevelMs, engineTiming, hubDelayMs } from "../model/engine-timing.js";
import { makeDelayModel } from "../model/delay.js";
import { makePopulation } from "../model/population.js";
import { CLOUD_REGIONS } from "../model/cloud-regions.js";
import { samplePairs } from "../metrics/pairs.js";
import { quantileSorted } from "@choirmesh/common/quantiles";
import { bestServerRegion, starTopology } from "../topologies/central.js";
import { buildTree, treeTopology } from "../topologies/tree.js";
import { newPlanner } from "../run.js";
import { runChoir, type ChoirResult } from "./choir.js";
import { measurePair, type PairMeasure } from "./analyze.js";
import { hubsBetween, starPlan, treePlan, type TopologyPlan, type VoiceAssignment } from "./plan.js";
import { EMULATE_DEFAULTS } from "./defaults.js";
import { MAX_SIGNATURE_VOICES } from "@choirmesh/mixer-node/signature";


export interface EmulateOptions {
  singers: number;
  region: string;
  seed: number;
  /** Voiced (and listening) singers; default EMULATE_DEFAULTS.voices, at most MAX_SIGNATURE_VOICES. */
  voices?: number;
  warmupS?: number;
  recordS?: number;
  frameMs?: FrameMs;
  processingMs?: number;
  /** The engines' down path: "forward" (default: the cheap hop, ticks aligned) or "mix" (the engine before). */
  downPath?: "forward" | "mix";
  /** Loss per home-connection crossing (%); default NETWORK_DEFAULTS.homeLossPct. */
  lossPct?: number;
  backend?: BackendPreference;
  topologies?: Array<"tree" | "star">;
  progress?: (phase: string, done: number, total: number) => void;
}

export interface Quantiles {
  p50: number;
  p95: number;
}

export interface TopologyComparison {
  /** Directed pairs (sender, listener) analysed, and those where the voice was clearly heard. */
  pairs: number;
  heardPairs: number;
  /** Hubs on a pair's path (median). */
  hubsP50: number;
  /** Delay found in the listener's recording: what the singer hears (capture and playback devices aside). */
  mouthToEarMs: Quantiles;
  /** The same less the endpoints' own part (sender's look-ahead and processing, receiver's play-out): the model's definition. */
  emulatedMs: Quantiles;
  /** The model's delay for the same pairs. */
  modelMs: Quantiles;
  error: {
    /** Median over pairs of (emulated - model) / model. */
    medianRelative: number;
    /** p50 emulated / p50 model - 1. */
    p50Relative: number;
  };
  /** One hub's own delay: measured (median over pairs of the path's excess over its links, per hub) against the model's. */
  perHopMs: { emulated: number; model: number };
  /**
   * The model priced with the hop the engine itself reports (its hubs' median jitter-buffer
   * play-out delay + look-ahead + processing) instead of the model's constant: the same pairs,
   * links and hub counts, model - hubs x (model hop - engine hop).
   */
  engineHop: { hubMs: number; modelMs: Quantiles; error: TopologyComparison["error"] };
  /** The endpoints' part taken out of mouth-to-ear (median, ms). */
  endpointMsP50: number;
  jitterBuffer: ChoirResult["jitterBuffer"];
  tickUs: ChoirResult["tickUs"];
  packetsLost: number;
  codecCallsPerS: number;
  wallMs: number;
}

export interface EmulateResult {
  singers: number;
  region: string;
  seed: number;
  backend: string;
  frameMs: number;
  voices: number;
  pairsMeasured: number;
  /** Virtual seconds of audio run per topology (warm-up included), and recorded. */
  seconds: number;
  recordSeconds: number;
  centralServer: string;
  /** The engines' down path. */
  downPath: "forward" | "mix";
  /** The model's hub: per hop up (and where a pair meets), per level down. */
  model: { hubMs: number; downLevelMs: number; belowRootMs: number; timing: Record<string, number> };
  topologies: Partial<Record<"tree" | "star", TopologyComparison>>;
  elapsedMs: number;
}

function rngFor(seed: number, label: string): Rng {
  let h = seed ^ 0x5bd1e995;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return makeRng(h >>> 0);
}

function q(sorted: Float64Array): Quantiles {
  return { p50: r2(quantileSorted(sorted, 0.5)), p95: r2(quantileSorted(sorted, 0.95)) };
}

function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

function sorted(xs: number[]): Float64Array {
  return Float64Array.from(xs).sort();
}

function errorOf(emu: number[], model: number[]): TopologyComparison["error"] {
  const rel = emu.map((e, k) => (e - model[k]) / model[k]);
  return {
    medianRelative: Math.round(quantileSorted(sorted(rel), 0.5) * 1000) / 1000,
    p50Relative: Math.round((quantileSorted(sorted(emu), 0.5) / quantileSorted(sorted(model), 0.5) - 1) * 1000) / 1000,
  };
}

export function compare(
  plan: TopologyPlan,
  choir: ChoirResult,
  measures: PairMeasure[],
  hubMs: number,
  singerOf: Int32Array,
  engineHopMs: number,
): TopologyComparison {
  const heard = measures.filter((m) => m.heard && Number.isFinite(m.pathMs));
  const mte: number[] = [];
  const emu: number[] = [];
  const mod: number[] = [];
  const modEngine: number[] = [];
  const hop: number[] = [];
  const hubs: number[] = [];
  const endpoint: number[] = [];
  for (const m of heard) {
    const model = plan.modelMs(singerOf[m.from], singerOf[m.to]);
    const h = hubsBetween(plan, m.from, m.to);
    mte.push(m.heardMs);
    emu.push(m.pathMs);
    mod.push(model);
    modEngine.push(model - h * (hubMs - engineHopMs));
    hubs.push(h);
    endpoint.push(m.heardMs - m.pathMs);
    if (h > 0) hop.push((m.pathMs - (model - h * hubMs)) / h);
  }
  return {
    pairs: measures.length,
    heardPairs: heard.length,
    hubsP50: quantileSorted(sorted(hubs), 0.5),
    mouthToEarMs: q(sorted(mte)),
    emulatedMs: q(sorted(emu)),
    modelMs: q(sorted(mod)),
    error: errorOf(emu, mod),
    perHopMs: { emulated: r2(quantileSorted(sorted(hop), 0.5)), model: hubMs },
    engineHop: { hubMs: r2(engineHopMs), modelMs: q(sorted(modEngine)), error: errorOf(emu, modEngine) },
    endpointMsP50: r2(quantileSorted(sorted(endpoint), 0.5)),
    jitterBuffer: choir.jitterBuffer,
    tickUs: choir.tickUs,
    packetsLost: choir.packetsLost,
    codecCallsPerS: choir.codecCallsPerS,
    wallMs: choir.wallMs,
  };
}

export function runEmulation(opts: EmulateOptions): EmulateResult {
  const t0 = performance.now();
  const progress = opts.progress ?? (() => {});
  const backend = loadCodecBackend(opts.backend ?? "auto");
  // The engines run the room's down path (the forwarded one unless told), priced as that engine.
  const downPath = opts.downPath ?? "forward";
  const timing = engineTiming({ ...(opts.frameMs !== undefined ? { frameMs: opts.frameMs } : {}), downPath });
  const frameMs = timing.frameMs as FrameMs;
  const hubMs = hubDelayMs(timing);
  const model = makeDelayModel(hubMs);
  const singers = makePopulation(opts.region, opts.singers, rngFor(opts.seed, "population"), timing);
  const n = singers.length;

  const voices = Math.min(opts.voices ?? EMULATE_DEFAULTS.voices, MAX_SIGNATURE_VOICES, n);
  const voiced = rngFor(opts.seed, "voices").shuffle(singers.map((s) => s.idx)).slice(0, voices).sort((a, b) => a - b);
  const v: VoiceAssignment = { voiceOf: new Int32Array(n).fill(-1), phaseOf: new Int32Array(n) };
  voiced.forEach((s, k) => (v.voiceOf[s] = k));
  const phases = rngFor(opts.seed, "phases");
  const frameSamples = frameMs * 48;
  for (let i = 0; i < n; i++) v.phaseOf[i] = phases.int(frameSamples);
  const hubPhase = phases.int(frameSamples);

  const central = bestServerRegion(singers, CLOUD_REGIONS, model, samplePairs(n, 4000, rngFor(opts.seed, "pairs")));
  const plans: TopologyPlan[] = [];
  const want = opts.topologies ?? ["tree", "star"];
  if (want.includes("tree")) {
    const tree = buildTree(newPlanner(timing), singers, []);
    plans.push(treePlan(tree, singers, treeTopology("tree", "tree", tree, singers, timing), v, opts.lossPct));
  }
  if (want.includes("star")) plans.push(starPlan(singers, central, starTopology(singers, model, timing, central), v, hubPhase, opts.lossPct));

  const enc = backend.createEncoder({ frameMs });
  const lookaheadMs = enc.lookaheadSamples / 48;
  enc.destroy();
  const processingMs = opts.processingMs ?? EMULATE_DEFAULTS.processingMs;
  const topologies: EmulateResult["topologies"] = {};
  let seconds = 0;
  let pairsMeasured = 0;
  for (const plan of plans) {
    const choir = runChoir(plan, {
      backend,
      frameMs,
      rng: rngFor(opts.seed, `network-${plan.name}`),
      warmupS: opts.warmupS,
      recordS: opts.recordS,
      processingMs,
      downPath,
      progress: (d, t) => progress(`${plan.name}: engine`, d, t),
    });
    seconds = choir.seconds;
    const singerOf = new Int32Array(plan.nodes.length).fill(-1);
    plan.nodeOf.forEach((node, s) => (singerOf[node] = s));
    const measures: PairMeasure[] = [];
    const total = voiced.length * (voiced.length - 1);
    for (const a of voiced) {
      for (const b of voiced) {
        if (a === b) continue;
        const to = plan.nodeOf[b];
        measures.push(measurePair(plan, choir.recordings.get(to)!, plan.nodeOf[a], to, { lookaheadMs, senderMs: processingMs }));
        progress(`${plan.name}: analysis`, measures.length, total);
      }
    }
    pairsMeasured += measures.length;
    const engineHopMs = choir.jitterBuffer.hubInputDelayMsP50 + lookaheadMs + processingMs;
    topologies[plan.name] = compare(plan, choir, measures, hubMs, singerOf, engineHopMs);
  }
  return {
    singers: n,
    region: opts.region,
    seed: opts.seed,
    backend: backend.name,
    frameMs,
    voices,
    pairsMeasured,
    seconds,
    recordSeconds: opts.recordS ?? EMULATE_DEFAULTS.recordS,
    centralServer: central.city,
    downPath,
    model: {
      hubMs,
      downLevelMs: downLevelMs(timing),
      belowRootMs: timing.belowRootMs,
      timing: { frameMs: timing.frameMs, jitterBufferMs: timing.jitterBufferMs, lookaheadMs: timing.lookaheadMs, processingMs: timing.processingMs },
    },
    topologies,
    elapsedMs: Math.round(performance.now() - t0),
  };
}
