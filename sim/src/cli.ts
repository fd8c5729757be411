/**
 * npm run sim -- --singers 100000 --region world [--seed 1] [--json] [--out DIR] [--progress]
 *   [--pairs N] [--frame-ms F] [--jitter-buffer-ms J] [--children-per-core N | --bench FILE]
 *   [--churn-s S]
 * Prints a table (or, with --json, one JSON line last); --out writes the report.
 */
import { readFileSync } from "node:fs";
import { runModel, type RunOptions } from "./run.js";
import { summaryLine, summaryTable } from "./summary.js";
import { writeReport } from "./report/html.js";
import { ProgressBar } from "./progress.js";
import { exitOnUsageError, numberArg, parseCommandLine } from "@choirmesh/common/args";
import { UsageError } from "@choirmesh/common/errors";

export interface CliArgs {
  run: RunOptions;
  json: boolean;
  out: string | null;
  progress: boolean;
}

/** childrenPerCore from a saved `npm run bench:mixer -- --json` output (its last JSON line). */
export function childrenPerCoreFromBench(text: string): number {
  const last = text.trim().split("\n").reverse().find((l) => l.trim().startsWith("{"));
  const v = last ? (JSON.parse(last) as { childrenPerCore?: unknown }).childrenPerCore : undefined;
  if (typeof v !== "number" || !(v > 0)) throw new UsageError("no childrenPerCore in the benchmark output");
  return v;
}

export function parseArgs(argv: string[]): CliArgs {
  const v = parseCommandLine(argv, {
    singers: { type: "string" },
    region: { type: "string", default: "europe" },
    seed: { type: "string" },
    pairs: { type: "string" },
    "frame-ms": { type: "string" },
    "jitter-buffer-ms": { type: "string" },
    "children-per-core": { type: "string" },
    bench: { type: "string" },
    "churn-s": { type: "string" },
    out: { type: "string" },
    json: { type: "boolean", default: false },
    progress: { type: "boolean", default: false },
  });
  const timing: NonNullable<RunOptions["timing"]> = {};
  const frameMs = numberArg("frame-ms", v["frame-ms"], undefined, { min: 0 });
  if (frameMs !== undefined) timing.frameMs = frameMs;
  const jb = numberArg("jitter-buffer-ms", v["jitter-buffer-ms"], undefined, { min: 0 });
  if (jb !== undefined) timing.jitterBufferMs = jb;
  const cpc = numberArg("children-per-core", v["children-per-core"], undefined, { min: 0 });
  if (cpc !== undefined) timing.childrenPerCore = cpc;
  if (v.bench !== undefined) timing.childrenPerCore = childrenPerCoreFromBench(readFileSync(v.bench, "utf8"));
  const run: RunOptions = {
    singers: Math.floor(numberArg("singers", v.singers, 1000, { min: 2 })),
    region: v.region!,
    seed: Math.floor(numberArg("seed", v.seed, 1)),
    timing,
  };
  const pairs = numberArg("pairs", v.pairs, undefined, { min: 1 });
  if (pairs !== undefined) run.pairs = Math.floor(pairs);
  const churn = numberArg("churn-s", v["churn-s"], undefined, { min: 0 });
  if (churn !== undefined) run.churnS = churn;
  return { run, json: v.json!, out: v.out ?? null, progress: v.progress! };
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    exitOnUsageError(e, "sim");
  }
  const bar = args.progress || process.stderr.isTTY ? new ProgressBar(process.stderr) : null;
  if (bar) args.run.progress = (phase, done, total) => bar.update(phase, done, total);
  const result = runModel(args.run);
  bar?.done();
  if (args.out) {
    const files = writeReport(args.out, result);
    process.stderr.write(`report: ${files.join(", ")}\n`);
  }
  if (!args.json) process.stdout.write(`${summaryTable(result)}\n`);
  else process.stdout.write(`${summaryLine(result)}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
