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

export class SimUsageError extends Error {
  readonly code = "SIM_USAGE";
}

export interface CliArgs {
  run: RunOptions;
  json: boolean;
  out: string | null;
  progress: boolean;
}

function num(name: string, v: string | undefined): number {
  const x = Number(v);
  if (v === undefined || !Number.isFinite(x)) throw new SimUsageError(`${name} needs a number`);
  return x;
}

/** childrenPerCore from a saved `npm run bench:mixer -- --json` output (its last JSON line). */
export function childrenPerCoreFromBench(text: string): number {
  const last = text.trim().split("\n").reverse().find((l) => l.trim().startsWith("{"));
  const v = last ? (JSON.parse(last) as { childrenPerCore?: unknown }).childrenPerCore : undefined;
  if (typeof v !== "number" || !(v > 0)) throw new SimUsageError("no childrenPerCore in the benchmark output");
  return v;
}

export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = { run: { singers: 1000, region: "europe", seed: 1, timing: {} }, json: false, out: null, progress: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    switch (k) {
      case "--singers": a.run.singers = Math.floor(num(k, v)); i++; break;
      case "--region": if (!v) throw new SimUsageError("--region needs a name"); a.run.region = v; i++; break;
      case "--seed": a.run.seed = Math.floor(num(k, v)); i++; break;
      case "--pairs": a.run.pairs = Math.floor(num(k, v)); i++; break;
      case "--frame-ms": a.run.timing!.frameMs = num(k, v); i++; break;
      case "--jitter-buffer-ms": a.run.timing!.jitterBufferMs = num(k, v); i++; break;
      case "--children-per-core": a.run.timing!.childrenPerCore = num(k, v); i++; break;
      case "--bench": if (!v) throw new SimUsageError("--bench needs a file"); a.run.timing!.childrenPerCore = childrenPerCoreFromBench(readFileSync(v, "utf8")); i++; break;
      case "--churn-s": a.run.churnS = num(k, v); i++; break;
      case "--out": if (!v) throw new SimUsageError("--out needs a folder"); a.out = v; i++; break;
      case "--json": a.json = true; break;
      case "--progress": a.progress = true; break;
      default: throw new SimUsageError(`unknown option ${k}`);
    }
  }
  if (a.run.singers < 2) throw new SimUsageError("--singers must be at least 2");
  return a;
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
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
