/**
 * `npm start`: a local demo choir on loopback. A signaling server, singers with distinct
 * signature voices, each node a process of its own over real WebRTC; first as the planner's
 * tree (singers are hubs too), then as a central server (one dedicated hub, every singer its
 * child). Prints the tree, who hears whom, the per-pair delays and both runs' figures; with
 * --json the last line is one JSON object.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { MAX_SIGNATURE_VOICES } from "@choirmesh/mixer-node/signature";
import { configureLogging } from "@choirmesh/common/log";
import { renderTree, runChoir, type ChoirRunResult } from "./choir-run.js";
import { RemoteNode } from "./remote-node.js";
import { compareWithModel, type ModelComparison } from "@choirmesh/signaling/planner/loopback-model";

const USAGE = `usage: npm start -- [--singers N] [--fanout K] [--seconds S] [--frame-ms 2.5|5|10|20]
                     [--bitrate KBPS] [--record-dir DIR] [--backend auto|native|fallback] [--no-star] [--json]
                     [--down-path forward|mix] [--compare-engines] [--stats-file FILE] [--tree-file FILE]
       npm start -- --serve [--port 8080] [--singers N] [--fanout K]   (keep the choir singing; open the page)`;

function fail(msg: string): never {
  console.error(`error: ${msg}\n${USAGE}`);
  process.exit(2);
}

function num(v: string | undefined, name: string, def: number, ok: (n: number) => boolean): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || !ok(n)) fail(`bad --${name} ${JSON.stringify(v)}`);
  return n;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        singers: { type: "string" },
        fanout: { type: "string" },
        seconds: { type: "string" },
        "frame-ms": { type: "string" },
        bitrate: { type: "string" },
        "record-dir": { type: "string" },
        backend: { type: "string" },
        "no-star": { type: "boolean" },
        "down-path": { type: "string" },
        "compare-engines": { type: "boolean" },
        "stats-file": { type: "string" },
        "tree-file": { type: "string" },
        json: { type: "boolean" },
        serve: { type: "boolean" },
        port: { type: "string" },
        help: { type: "boolean" },
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
const singers = num(values.singers, "singers", 9, (n) => Number.isInteger(n) && n >= 2 && n <= MAX_SIGNATURE_VOICES);
const fanout = num(values.fanout, "fanout", 3, (n) => Number.isInteger(n) && n >= 1 && n <= 64);
const seconds = num(values.seconds, "seconds", 4, (n) => n >= 1 && n <= 120);
const frameMs = num(values["frame-ms"], "frame-ms", 10, (n) => [2.5, 5, 10, 20].includes(n)) as FrameMs;
// The signature voices share the codec's bits: past 20 of them, 64 kbit/s leaves each tone
// barely above the codec's noise (signature.ts), so a larger demo choir sings at 128.
const bitrate = num(values.bitrate, "bitrate", singers > 20 ? 128 : 64, (n) => Number.isInteger(n) && n >= 6 && n <= 510) * 1000;
const backend = (values.backend ?? "auto") as "auto" | "native" | "fallback";
if (!["auto", "native", "fallback"].includes(backend)) fail(`bad --backend ${backend}`);
const json = values.json ?? false;
// "forward" (the cheap hop: forwarded down streams, ticks aligned to the parent's) or "mix" (every
// hub re-encodes a whole down mix on a free-running tick, the engine before it).
const downPath = (values["down-path"] ?? "forward") as "forward" | "mix";
if (!["forward", "mix"].includes(downPath)) fail(`bad --down-path ${downPath}`);
const compareEngines = values["compare-engines"] ?? false;

// Progress and tables go to stderr with --json, so that stdout's last line is the JSON.
const out = (line = "") => (json ? console.error(line) : console.log(line));
configureLogging(process.env.CHOIRMESH_LOG ?? "warn");

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "—";
}

function printRun(r: ChoirRunResult): void {
  const label = (id: string) => r.names.get(id) ?? id;
  out(renderTree(r.tree, (id) => {
    const n = r.tree.nodes.find((x) => x.id === id)!;
    return `${label(id)}${n.hasVoice ? "" : " (hub, no voice)"}${n.section ? ` [${n.section}]` : ""}`;
  }));
  out();
  const names = [...r.names.entries()].filter(([id]) => r.tree.nodes.find((n) => n.id === id)?.hasVoice).map(([id, name]) => ({ id, name }));
  out(`who hears whom (delay in ms; rows listen, columns sing; ✗ = not heard):`);
  out(`        ${names.map((n) => n.name.padStart(6)).join("")}`);
  for (const listener of names) {
    const cells = names.map((singer) => {
      if (singer.id === listener.id) return "     ·";
      const p = r.pairs.find((x) => x.from === singer.id && x.to === listener.id);
      return (p?.heard ? fmt(p.delayMs, 0) : "✗").padStart(6);
    });
    out(`  ${listener.name.padEnd(6)}${cells.join("")}`);
  }
  out();
  const byHubs = new Map<number, number[]>();
  for (const p of r.pairs) if (p.heard) byHubs.set(p.hubs, [...(byHubs.get(p.hubs) ?? []), p.delayMs]);
  for (const [h, d] of [...byHubs].sort((a, b) => a[0] - b[0])) {
    d.sort((a, b) => a - b);
    out(`  pairs through ${h} hub${h === 1 ? "" : "s"}: ${d.length}, delay median ${fmt(d[Math.floor(d.length / 2)])} ms (min ${fmt(d[0])}, max ${fmt(d[d.length - 1])})`);
  }
  out(
    `  heard all: ${r.heardAll}; own voice at most ${fmt(r.selfLeakDb)} dB; root mix holds every voice: ${r.rootMixHasAll}; ` +
      `delay p50 ${fmt(r.latencyMs.p50)} / p95 ${fmt(r.latencyMs.p95)} / max ${fmt(r.latencyMs.max)} ms; ` +
      `per hub hop up ${fmt(r.perHopMs)} ms, per level down ${fmt(r.downLevelMs)} ms` +
      (Number.isFinite(r.belowRootMs) ? `, meeting below the root ${fmt(r.belowRootMs)} ms` : "") +
      ` (base ${fmt(r.baseMs)} ms)`,
  );
  out(
    `  concealed ${fmt(r.concealedShare * 100, 2)}% of frames; play-out shifts ${r.playoutShifts}, skipped ticks ${r.skippedTicks} while recording; tick lateness p99 ${fmt(r.tickLateP99Ms)} ms; ` +
      `busiest node ${fmt(r.nodeCpuMax * 100, 0)}% of a core, all nodes ${fmt(r.nodesCpuCores, 2)} cores; jitter buffers ${fmt(r.jitterDelayMs.p50)} ms median; setup ${fmt(r.setupMs / 1000)} s; ` +
      `parent changes ${r.moves.total} (at most ${r.moves.maxPerNode} for one node)`,
  );
}

if (values.serve) {
  await serve();
  // serve() returns only on a signal.
}

/**
 * Keeps a demo choir singing on a signaling server at a fixed port, so that a person can open the
 * browser singer's page and join it: a dedicated hub at the root and the test singers below it.
 */
async function serve(): Promise<never> {
  const port = num(values.port, "port", 8080, (n) => Number.isInteger(n) && n > 0 && n < 65536);
  const { startSignalingServer } = await import("@choirmesh/signaling/server");
  const { DEFAULT_MEDIA } = await import("@choirmesh/protocol");
  const server = await startSignalingServer({ port, host: "127.0.0.1", media: { ...DEFAULT_MEDIA, frameMs, bitrate, downPath }, planner: { maxFanout: Math.max(fanout, 8) } });
  const room = "demo";
  const hub = new RemoteNode("hub");
  const choir = Array.from({ length: singers }, (_, i) => new RemoteNode(`s${i}`));
  const common = { url: server.url, room, backend, link: { loopbackOnly: true } } as const;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping the demo choir");
    await Promise.allSettled([hub, ...choir].map((n) => n.stop()));
    await server.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  await hub.start({ ...common, name: "hub", hasVoice: false, canHub: true, dedicated: true, uploadKbps: 1_000_000 });
  for (let i = 0; i < choir.length; i++) {
    await choir[i].start({ ...common, name: `singer${i}`, section: ["soprano", "alto", "tenor", "bass"][i % 4], canHub: true, uploadKbps: 20_000, voiceIndex: i });
  }
  console.log(`the demo choir is singing: ${singers} singers under a hub, ${frameMs} ms frames`);
  console.log(`open ${server.url}/?room=${room} in a browser to join it (Ctrl-C to stop)`);
  return new Promise<never>(() => {});
}

/** Pairs that meet at the root (depth >= 2): their median delay under each engine, and how much faster the new one is. */
function compareRuns(forward: ChoirRunResult, mixed: ChoirRunResult) {
  const rootP50 = (r: ChoirRunResult) => {
    const d = r.pairs.filter((p) => p.heard && p.meetsAtRoot && p.up + p.down >= 2).map((p) => p.delayMs).sort((x, y) => x - y);
    return d.length === 0 ? NaN : d.length % 2 ? d[(d.length - 1) / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
  };
  const f = rootP50(forward);
  const m = rootP50(mixed);
  const r1 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(1)) : null);
  const line = (r: ChoirRunResult, p50: number) => ({ rootPairsP50Ms: r1(p50), allP50Ms: r1(r.latencyMs.p50), perHopMs: r1(r.perHopMs), downLevelMs: r1(r.downLevelMs), baseMs: r1(r.baseMs), heardAll: r.heardAll });
  const faster = Number.isFinite(f) && Number.isFinite(m) && m > 0 ? Number((100 * (1 - f / m)).toFixed(1)) : null;
  out(`\nroot-meeting pairs, median: ${fmt(f)} ms (forwarded, aligned) against ${fmt(m)} ms (re-encoded, free-running): ${faster ?? "?"} % faster`);
  return { forward: line(forward, f), mix: line(mixed, m), rootPairsFasterPct: faster };
}

/** A run as the emulator's loopback mode reads it (sim/src/emulate/loopback.ts). */
function loopbackRunFile(tree: ChoirRunResult, star: ChoirRunResult | null) {
  const run = (r: ChoirRunResult) => ({
    nodes: r.tree.nodes.map((n) => ({ id: n.id, parent: n.parent ?? null, depth: n.depth, hasVoice: n.hasVoice, voice: r.voices.get(n.id) ?? null })),
    pairs: r.pairs.map((p) => ({ from: p.from, to: p.to, heard: p.heard, delayMs: p.delayMs })),
    latenessP99Ms: r.latenessP99Ms,
  });
  return { frameMs, downPath, tree: run(tree), star: star ? run(star) : null };
}

function modelJson(m: ModelComparison) {
  const r1 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(1)) : null);
  return { modelP50Ms: r1(m.modelP50Ms), liveP50Ms: r1(m.liveP50Ms), errorPct: r1(m.errorPct) };
}

const started = performance.now();
// One process per node, started at once and reused by both runs (the star needs one more: its hub).
const pool = Array.from({ length: singers + 1 }, (_, i) => new RemoteNode(`node${i}`));
try {
  out(`choirmesh demo: ${singers} singers, fan-out ${fanout}, ${frameMs} ms frames at ${bitrate / 1000} kbit/s, ${seconds} s recorded per run`);
  out(`\n== tree: the planner's tree, singers are hubs too ==`);
  const tree = await runChoir({ singers, fanout, seconds, frameMs, bitrate, topology: "tree", downPath, backend, recordDir: values["record-dir"], pool: pool.slice(1), log: (l) => out(`  … ${l}`) });
  printRun(tree);
  // The engine before the cheap hop, on the same processes: the same choir with every down mix
  // re-encoded at every level on free-running ticks.
  let mix: ChoirRunResult | null = null;
  if (compareEngines) {
    out(`\n== tree, the engine before: down mixes re-encoded at every level, free-running ticks ==`);
    mix = await runChoir({ singers, fanout, seconds, frameMs, bitrate, topology: "tree", downPath: downPath === "forward" ? "mix" : "forward", backend, pool: pool.slice(1), log: (l) => out(`  … ${l}`) });
    printRun(mix);
  }
  let star: ChoirRunResult | null = null;
  if (!values["no-star"]) {
    out(`\n== star: one central server (a dedicated hub), every singer its child ==`);
    star = await runChoir({ singers, fanout, seconds, frameMs, bitrate, topology: "star", backend, recordDir: values["record-dir"], pool, log: (l) => out(`  … ${l}`) });
    printRun(star);
  }
  // Every node's own stats at the end of each run (ChoirNodeStats), for a closer look.
  if (values["stats-file"]) writeFileSync(values["stats-file"], JSON.stringify({ tree: tree.nodeStats, mix: mix?.nodeStats ?? null, star: star?.nodeStats ?? null }));
  // The trees, voices and live pair delays, for the emulator to run the same choir in virtual time
  // (npm run emulate -- --tree FILE).
  if (values["tree-file"]) {
    mkdirSync(dirname(values["tree-file"]), { recursive: true });
    writeFileSync(values["tree-file"], JSON.stringify(loopbackRunFile(tree, star)));
  }
  // The delay model on the same trees, priced with the engine timing the planner and the simulator read.
  const treeModel = compareWithModel(tree.tree, tree.pairs, frameMs, downPath);
  const starModel = star ? compareWithModel(star.tree, star.pairs, frameMs, downPath) : null;
  const modelLine = (name: string, m: ModelComparison) =>
    out(`  ${name}: model p50 ${fmt(m.modelP50Ms)} ms against ${fmt(m.liveP50Ms)} ms live (${m.errorPct >= 0 ? "+" : ""}${fmt(m.errorPct)} %, ${m.pairs} pairs)`);
  out(`\n== the delay model on the same trees (loopback links; engine timing: ${treeModel.source}) ==`);
  modelLine("tree", treeModel);
  if (starModel) modelLine("star", starModel);
  out(`\nbackend ${tree.backend}; total ${fmt((performance.now() - started) / 1000)} s`);
  if (values["record-dir"]) out(`recordings in ${values["record-dir"]}`);
  const summary = {
    singers,
    depth: tree.depth,
    heardAll: tree.heardAll,
    selfLeakDb: Number(tree.selfLeakDb.toFixed(1)),
    latencyMs: { p50: Number(tree.latencyMs.p50.toFixed(1)), p95: Number(tree.latencyMs.p95.toFixed(1)), max: Number(tree.latencyMs.max.toFixed(1)) },
    perHopMs: Number(tree.perHopMs.toFixed(1)),
    downLevelMs: Number.isFinite(tree.downLevelMs) ? Number(tree.downLevelMs.toFixed(1)) : null,
    belowRootMs: Number.isFinite(tree.belowRootMs) ? Number(tree.belowRootMs.toFixed(1)) : null,
    baseMs: Number.isFinite(tree.baseMs) ? Number(tree.baseMs.toFixed(1)) : null,
    moves: tree.moves,
    star: star
      ? {
          heardAll: star.heardAll,
          selfLeakDb: Number(star.selfLeakDb.toFixed(1)),
          latencyMs: { p50: Number(star.latencyMs.p50.toFixed(1)), p95: Number(star.latencyMs.p95.toFixed(1)), max: Number(star.latencyMs.max.toFixed(1)) },
          moves: star.moves,
        }
      : null,
    model: { tree: modelJson(treeModel), star: starModel ? modelJson(starModel) : null },
    downPath,
    engines: mix ? compareRuns(downPath === "forward" ? tree : mix, downPath === "forward" ? mix : tree) : null,
    frameMs,
    bitrateKbps: bitrate / 1000,
    concealedShare: Number(tree.concealedShare.toFixed(4)),
    backend: tree.backend,
  };
  if (json) console.log(JSON.stringify(summary));
  await Promise.allSettled(pool.map((p) => p.stop()));
  process.exit(tree.heardAll && (!star || star.heardAll) && (!mix || mix.heardAll) ? 0 : 1);
} catch (err) {
  console.error(`demo failed: ${(err as Error)?.stack ?? String(err)}`);
  for (const p of pool) p.kill();
  process.exit(1);
}
