/**
 * npm run emulate -- --singers 200 --region europe [--seed 1] [--json] [--voices 20]
 *   [--warmup-s 1.5] [--record-s 2] [--frame-ms 10] [--processing-ms 1] [--loss-pct 0.1]
 *   [--topology tree|star] [--down-path forward|mix] [--progress]
 * npm run emulate -- --tree FILE [--seed 1] [--json]   (FILE from npm start -- --tree-file FILE)
 * Runs the real engine over the virtual network for the tree and the star and compares the
 * delays measured from the audio with the model's; with --tree, the live demo's trees over
 * loopback links, set against the live run and the model (emulate/loopback.ts). Prints a table,
 * or with --json one JSON line last.
 */
import { FRAME_MS_ALLOWED } from "@choirmesh/mixer-node/codec/types";
import { runEmulation, type EmulateOptions, type EmulateResult } from "./emulate/run.js";
import { emulateLoopback, readLoopbackRunFile, type LoopbackResult } from "./emulate/loopback.js";
import { ProgressBar } from "./progress.js";
import { exitOnUsageError, numberArg, parseCommandLine } from "@choirmesh/common/args";
import { UsageError } from "@choirmesh/common/errors";

export interface EmulateCliArgs {
  run: EmulateOptions;
  json: boolean;
  progress: boolean;
  /** A live demo's trees to run over loopback links instead (npm start -- --tree-file). */
  tree?: string;
}

export function parseEmulateArgs(argv: string[]): EmulateCliArgs {
  const v = parseCommandLine(argv, {
    singers: { type: "string" },
    region: { type: "string", default: "europe" },
    seed: { type: "string" },
    voices: { type: "string" },
    "warmup-s": { type: "string" },
    "record-s": { type: "string" },
    "processing-ms": { type: "string" },
    "loss-pct": { type: "string" },
    "frame-ms": { type: "string" },
    topology: { type: "string", multiple: true },
    "down-path": { type: "string" },
    json: { type: "boolean", default: false },
    progress: { type: "boolean", default: false },
    tree: { type: "string" },
  });
  const run: EmulateOptions = {
    singers: Math.floor(numberArg("singers", v.singers, 200, { min: 3 })),
    region: v.region!,
    seed: Math.floor(numberArg("seed", v.seed, 1)),
  };
  const optional: Array<[keyof EmulateOptions, string, number | undefined]> = [
    ["voices", "voices", numberArg("voices", v.voices, undefined, { min: 2, integer: true })],
    ["warmupS", "warmup-s", numberArg("warmup-s", v["warmup-s"], undefined, { min: 0 })],
    ["recordS", "record-s", numberArg("record-s", v["record-s"], undefined, { min: 0.5 })],
    ["processingMs", "processing-ms", numberArg("processing-ms", v["processing-ms"], undefined, { min: 0 })],
    ["lossPct", "loss-pct", numberArg("loss-pct", v["loss-pct"], undefined, { min: 0, max: 100 })],
    ["frameMs", "frame-ms", numberArg("frame-ms", v["frame-ms"], undefined, { oneOf: FRAME_MS_ALLOWED })],
  ];
  for (const [key, , value] of optional) if (value !== undefined) (run as unknown as Record<string, number>)[key] = value;
  if (run.recordS !== undefined && run.recordS <= 0.5) throw new UsageError("--record-s must be above 0.5");
  for (const t of v.topology ?? []) if (t !== "tree" && t !== "star") throw new UsageError("--topology must be tree or star");
  if (v.topology !== undefined) run.topologies = v.topology as ("tree" | "star")[];
  const dp = v["down-path"];
  if (dp !== undefined && dp !== "forward" && dp !== "mix") throw new UsageError("--down-path must be forward or mix");
  if (dp !== undefined) run.downPath = dp;
  return { run, json: v.json!, progress: v.progress!, ...(v.tree !== undefined ? { tree: v.tree } : {}) };
}

export function emulateTable(r: EmulateResult): string {
  const lines = [
    `${r.singers} singers, ${r.region}, seed ${r.seed}: ${r.voices} voiced singers, ${r.pairsMeasured} directed pairs, ${r.seconds} virtual s per topology (${r.recordSeconds} s recorded), Opus ${r.backend}, ${r.frameMs} ms frames; star at ${r.centralServer}`,
    `${r.downPath} down path; model hub: ${r.model.hubMs} ms per hop up, ${r.model.downLevelMs} ms per level down, ${r.model.belowRootMs} ms below the root`,
    "topology  heard     mouth-to-ear p50/p95   emulated p50/p95   model p50/p95   error (median rel, p50)   per hop emu/model   wall",
  ];
  for (const [name, t] of Object.entries(r.topologies)) {
    lines.push(
      `${name.padEnd(9)} ${`${t.heardPairs}/${t.pairs}`.padEnd(9)} ${`${t.mouthToEarMs.p50} / ${t.mouthToEarMs.p95}`.padEnd(22)} ${`${t.emulatedMs.p50} / ${t.emulatedMs.p95}`.padEnd(18)} ${`${t.modelMs.p50} / ${t.modelMs.p95}`.padEnd(15)} ${`${(t.error.medianRelative * 100).toFixed(1)} %, ${(t.error.p50Relative * 100).toFixed(1)} %`.padEnd(25)} ${`${t.perHopMs.emulated} / ${t.perHopMs.model}`.padEnd(19)} ${(t.wallMs / 1000).toFixed(1)} s`,
    );
  }
  for (const [name, t] of Object.entries(r.topologies)) {
    lines.push(
      `${name}: the model priced with the engine's own hop instead (${t.engineHop.hubMs} ms: hub jitter buffers' median play-out ${t.jitterBuffer.hubInputDelayMsP50} ms + look-ahead + processing; the connections' jitter is then counted twice, in the buffers and in the model's access delays): p50 ${t.engineHop.modelMs.p50} ms, error ${(t.engineHop.error.p50Relative * 100).toFixed(1)} %; endpoints' own part left out of "emulated": ${t.endpointMsP50} ms`,
    );
  }
  lines.push(`elapsed ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return lines.join("\n");
}

export function loopbackTable(r: LoopbackResult): string {
  const lines = [
    `the live demo's trees over loopback links, ${r.frameMs} ms frames, ${r.downPath} down path, Opus ${r.backend}, ${r.processingMs} ms processing a tick (timed: ${Object.values(r.topologies).map((t) => `${t.tickUsP50} µs`).join(", ")}); model: ${r.modelSource}`,
    "topology  pairs   live p50   emulated p50   model p50   emulated/live   model/live   model/emulated   link jitter (live lateness p99)",
  ];
  for (const [name, t] of Object.entries(r.topologies)) {
    const sign = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)} %`;
    lines.push(
      `${name.padEnd(9)} ${`${t.pairs}/${t.liveHeard}`.padEnd(7)} ${`${t.liveP50Ms} ms`.padEnd(10)} ${`${t.emulatedP50Ms} ms`.padEnd(14)} ${`${t.modelP50Ms} ms`.padEnd(11)} ${sign(t.emulatedVsLivePct).padEnd(15)} ${sign(t.modelVsLivePct).padEnd(12)} ${sign(t.modelVsEmulatedPct).padEnd(16)} ${t.linkJitterMeanMs} ms (${t.latenessP99Ms} ms)`,
    );
  }
  lines.push(`elapsed ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  let args: EmulateCliArgs;
  try {
    args = parseEmulateArgs(process.argv.slice(2));
  } catch (e) {
    exitOnUsageError(e, "emulate");
  }
  const bar = args.progress || process.stderr.isTTY ? new ProgressBar(process.stderr) : null;
  let lastPhase = "";
  let lastLine = 0;
  args.run.progress = (phase, done, total) => {
    if (bar) return bar.update(phase, done, total);
    // Not a terminal: a plain line per phase and every few seconds, so a log shows the run is alive.
    const now = performance.now();
    if (phase !== lastPhase || now - lastLine > 5000) {
      process.stderr.write(`emulate: ${phase} ${done.toFixed(2)}/${total.toFixed(2)}\n`);
      lastPhase = phase;
      lastLine = now;
    }
  };
  if (args.tree !== undefined) {
    const file = readLoopbackRunFile(args.tree);
    const r = emulateLoopback(file, { seed: args.run.seed, progress: args.run.progress, processingMs: args.run.processingMs, warmupS: args.run.warmupS, recordS: args.run.recordS });
    bar?.done();
    process.stdout.write(`${args.json ? JSON.stringify(r) : loopbackTable(r)}\n`);
    return;
  }
  const result = runEmulation(args.run);
  bar?.done();
  if (!args.json) process.stdout.write(`${emulateTable(result)}\n`);
  else process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
