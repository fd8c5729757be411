/**
 * The live demo's choir in virtual time: the trees a demo run on loopback built (`npm start --
 * --tree-file FILE`), run again through the real engine over a virtual network of loopback
 * links, and the pair delays of all three set side by side over the same pairs: live (measured
 * from what the singers heard), emulated (the same, from the emulated recordings) and the model
 * (the planner's delay model priced with the engine timing table, planner/loopback-model.ts).
 * All three are mouth to ear, endpoints included, as the live run measures.
 */
import { readFileSync } from "node:fs";
import { loadCodecBackend, type BackendPreference } from "@choirmesh/mixer-node/codec";
import { FRAME_MS_ALLOWED, type FrameMs } from "@choirmesh/mixer-node/codec/types";
import { MAX_SIGNATURE_VOICES } from "@choirmesh/mixer-node/signature";
import { quantileSorted } from "@choirmesh/common/quantiles";
import { UsageError } from "@choirmesh/common/errors";
import { modelPairDelays } from "@choirmesh/signaling/planner/loopback-model";
import { makeRng } from "../ports.js";
import { runChoir, type EmuNodeSpec, type EmuPlan } from "./choir.js";
import { measurePair } from "./analyze.js";
import { EMULATE_DEFAULTS } from "./defaults.js";
import type { LinkParams } from "./network.js";

export interface LoopbackNode {
  id: string;
  parent: string | null;
  depth: number;
  hasVoice: boolean;
  voice: number | null;
}

export interface LoopbackRun {
  nodes: LoopbackNode[];
  pairs: { from: string; to: string; heard: boolean; delayMs: number }[];
  /** The live jitter buffers' lateness p99, median over inputs (ms): the loopback links' jitter. */
  latenessP99Ms: number;
}

export interface LoopbackRunFile {
  frameMs: FrameMs;
  downPath: "forward" | "mix";
  tree: LoopbackRun;
  star: LoopbackRun | null;
}

export interface LoopbackComparison {
  /** The engine's ticks as timed in the emulated run (µs), beside the processing charged for them. */
  tickUsP50: number;
  /** The live jitter buffers' lateness p99 and the virtual links' mean extra delay drawn from it (ms). */
  latenessP99Ms: number;
  linkJitterMeanMs: number;
  /** Pairs heard live and emulated, the ones compared. */
  pairs: number;
  /** Pairs heard live, and of those heard in the emulation. */
  liveHeard: number;
  emulatedHeard: number;
  liveP50Ms: number;
  emulatedP50Ms: number;
  modelP50Ms: number;
  /** Relative differences at the median pair, percent. */
  emulatedVsLivePct: number;
  modelVsLivePct: number;
  modelVsEmulatedPct: number;
}

export interface LoopbackResult {
  frameMs: number;
  downPath: "forward" | "mix";
  backend: string;
  modelSource: string;
  processingMs: number;
  topologies: Partial<Record<"tree" | "star", LoopbackComparison>>;
  elapsedMs: number;
}

export interface LoopbackOptions {
  seed?: number;
  backend?: BackendPreference;
  warmupS?: number | undefined;
  recordS?: number | undefined;
  /** Processing charged per tick (ms); default LOOPBACK_PROCESSING_MS. */
  processingMs?: number | undefined;
  progress?: (phase: string, done: number, total: number) => void;
}

/**
 * One loopback link of a run: what a datagram takes between two processes on one machine, and
 * how late packets came in that run (processes waking late on two shared cores, the sender's
 * included), as the virtual network's one-sided noise: an exponential whose 99th percentile
 * (4.6 times its mean) is the lateness the live jitter buffers measured. That is the network
 * the engine met, measured, not fitted: the engine's own timing is what the emulation adds.
 */
export function loopbackLink(latenessP99Ms: number): LinkParams {
  return { baseMs: 0.05, jitterSdMs: Math.max(0.01, latenessP99Ms / Math.log(100)), loss: 0 };
}

/**
 * Processing charged per tick on loopback (ms): what a node's tick costs on these machines (a
 * leaf's or a two-child hub's decode, mix and encode: 0.1-0.3 ms; the run reports the ticks it
 * timed, tickUs). The large-choir emulation charges the planner's 1 ms stand-in instead.
 */
export const LOOPBACK_PROCESSING_MS = 0.25;

/** Reads and checks a demo's tree file (it comes from outside: every field is checked). */
export function readLoopbackRunFile(path: string): LoopbackRunFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`--tree ${path}: ${(e as Error).message}`);
  }
  return checkRunFile(raw, path);
}

export function checkRunFile(raw: unknown, where: string): LoopbackRunFile {
  const bad = (what: string): never => {
    throw new UsageError(`--tree ${where}: ${what} (write it with npm start -- --tree-file FILE)`);
  };
  const o = raw as Record<string, unknown>;
  if (typeof o !== "object" || o === null) bad("not an object");
  if (!FRAME_MS_ALLOWED.includes(o.frameMs as FrameMs)) bad(`bad frameMs ${JSON.stringify(o.frameMs)}`);
  if (o.downPath !== "forward" && o.downPath !== "mix") bad(`bad downPath ${JSON.stringify(o.downPath)}`);
  const run = (r: unknown, name: string): LoopbackRun => {
    const x = r as Record<string, unknown>;
    if (typeof x !== "object" || x === null || !Array.isArray(x.nodes) || !Array.isArray(x.pairs)) return bad(`${name}: nodes and pairs expected`);
    if (x.nodes.length < 2 || x.nodes.length > 64) bad(`${name}: 2 to 64 nodes expected, got ${x.nodes.length}`);
    const ids = new Set<string>();
    for (const n of x.nodes as LoopbackNode[]) {
      if (typeof n?.id !== "string" || ids.has(n.id)) bad(`${name}: a node without a unique id`);
      if (!(n.parent === null || typeof n.parent === "string") || !Number.isInteger(n.depth) || typeof n.hasVoice !== "boolean") bad(`${name}: node ${n.id} malformed`);
      if (!(n.voice === null || (Number.isInteger(n.voice) && n.voice >= 0 && n.voice < MAX_SIGNATURE_VOICES))) bad(`${name}: node ${n.id} has a bad voice`);
      ids.add(n.id);
    }
    const nodes = x.nodes as LoopbackNode[];
    if (nodes.filter((n) => n.parent === null).length !== 1) bad(`${name}: one root expected`);
    for (const n of nodes) if (n.parent !== null && !ids.has(n.parent)) bad(`${name}: ${n.id}'s parent is not in the tree`);
    for (const p of x.pairs as LoopbackRun["pairs"]) {
      if (!ids.has(p?.from) || !ids.has(p?.to) || typeof p.heard !== "boolean" || typeof p.delayMs !== "number") bad(`${name}: a malformed pair`);
    }
    if (typeof x.latenessP99Ms !== "number" || !(x.latenessP99Ms >= 0 && x.latenessP99Ms < 1000)) bad(`${name}: bad latenessP99Ms`);
    return { nodes, pairs: x.pairs as LoopbackRun["pairs"], latenessP99Ms: x.latenessP99Ms as number };
  };
  return { frameMs: o.frameMs as FrameMs, downPath: o.downPath as "forward" | "mix", tree: run(o.tree, "tree"), star: o.star == null ? null : run(o.star, "star") };
}

/** The plan of one run's tree: parents before children, loopback links, random tick phases. */
function planOf(run: LoopbackRun, frameSamples: number, seed: number): { plan: EmuPlan; index: Map<string, number> } {
  const order = [...run.nodes].sort((a, b) => a.depth - b.depth);
  const index = new Map(order.map((n, i) => [n.id, i] as const));
  const rng = makeRng(seed);
  const link = loopbackLink(run.latenessP99Ms);
  const nodes: EmuNodeSpec[] = order.map((n) => ({
    id: n.id,
    parent: n.parent === null ? -1 : index.get(n.parent)!,
    hasVoice: n.hasVoice,
    voice: n.voice,
    listen: n.voice !== null,
    phaseSamples: rng.int(frameSamples),
    up: n.parent === null ? null : link,
  }));
  return { plan: { nodes }, index };
}

function pct(a: number, b: number): number {
  return Math.round((1000 * (a - b)) / b) / 10;
}

function p50(xs: number[]): number {
  return Math.round(quantileSorted(Float64Array.from(xs).sort(), 0.5) * 10) / 10;
}

export function emulateLoopback(file: LoopbackRunFile, opts: LoopbackOptions = {}): LoopbackResult {
  const t0 = performance.now();
  const backend = loadCodecBackend(opts.backend ?? "auto");
  const frameSamples = file.frameMs * 48;
  const enc = backend.createEncoder({ frameMs: file.frameMs });
  const lookaheadMs = enc.lookaheadSamples / 48;
  enc.destroy();
  const topologies: LoopbackResult["topologies"] = {};
  let modelSource = "";
  for (const name of ["tree", "star"] as const) {
    const run = file[name];
    if (run === null) continue;
    const { plan, index } = planOf(run, frameSamples, (opts.seed ?? 1) * 7919 + (name === "tree" ? 1 : 2));
    const choir = runChoir(plan, {
      backend,
      frameMs: file.frameMs,
      rng: makeRng((opts.seed ?? 1) * 104729 + (name === "tree" ? 1 : 2)),
      // The live demo records 4 s once its buffers are steady: the same here.
      warmupS: opts.warmupS ?? 3,
      recordS: opts.recordS ?? 4,
      processingMs: opts.processingMs ?? LOOPBACK_PROCESSING_MS,
      downPath: file.downPath,
      progress: (d, t) => opts.progress?.(`${name}: engine`, d, t),
    });
    const model = modelPairDelays(run, file.frameMs, file.downPath);
    modelSource = model.source;
    const live: number[] = [];
    const emulated: number[] = [];
    const predicted: number[] = [];
    let liveHeard = 0;
    let emulatedHeard = 0;
    for (const p of run.pairs) {
      if (!p.heard) continue;
      liveHeard++;
      const to = index.get(p.to)!;
      const rec = choir.recordings.get(to);
      if (rec === undefined) continue;
      const m = measurePair(plan, rec, index.get(p.from)!, to, { lookaheadMs, senderMs: opts.processingMs ?? LOOPBACK_PROCESSING_MS });
      if (!m.heard) continue;
      emulatedHeard++;
      live.push(p.delayMs);
      emulated.push(m.heardMs);
      predicted.push(model.delayMs(p.from, p.to));
    }
    const l = p50(live);
    const e = p50(emulated);
    const mo = p50(predicted);
    topologies[name] = {
      tickUsP50: Math.round(choir.tickUs.p50),
      latenessP99Ms: run.latenessP99Ms,
      linkJitterMeanMs: Math.round(loopbackLink(run.latenessP99Ms).jitterSdMs * 100) / 100,
      pairs: live.length,
      liveHeard,
      emulatedHeard,
      liveP50Ms: l,
      emulatedP50Ms: e,
      modelP50Ms: mo,
      emulatedVsLivePct: pct(e, l),
      modelVsLivePct: pct(mo, l),
      modelVsEmulatedPct: pct(mo, e),
    };
  }
  return { frameMs: file.frameMs, downPath: file.downPath, backend: backend.name, modelSource, processingMs: opts.processingMs ?? LOOPBACK_PROCESSING_MS, topologies, elapsedMs: Math.round(performance.now() - t0) };
}
