/**
 * npm run emulate -- --singers 200 --region europe [--seed 1] [--json] [--voices 20]
 *   [--warmup-s 1.5] [--record-s 2] [--frame-ms 10] [--processing-ms 1] [--loss-pct 0.1]
 *   [--topology tree|star] [--progress]
 * Runs the real engine over the virtual network for the tree and the star and compares the
 * delays measured from the audio with the model's. Prints a table, or with --json one JSON line last.
 */
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { FRAME_MS_ALLOWED } from "@choirmesh/mixer-node/codec/types";
import { runEmulation, type EmulateOptions, type EmulateResult } from "./emulate/run.js";
import { ProgressBar } from "./progress.js";

export class EmulateUsageError extends Error {
  readonly code = "EMULATE_USAGE";
}

export interface EmulateCliArgs {
  run: EmulateOptions;
  json: boolean;
  progress: boolean;
}

function num(name: string, v: string | undefined): number {
  const x = Number(v);
  if (v === undefined || !Number.isFinite(x)) throw new EmulateUsageError(`${name} needs a number`);
  return x;
}

export function parseEmulateArgs(argv: string[]): EmulateCliArgs {
  const a: EmulateCliArgs = { run: { singers: 200, region: "europe", seed: 1 }, json: false, progress: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    switch (k) {
      case "--singers": a.run.singers = Math.floor(num(k, v)); i++; break;
      case "--region": if (!v) throw new EmulateUsageError("--region needs a name"); a.run.region = v; i++; break;
      case "--seed": a.run.seed = Math.floor(num(k, v)); i++; break;
      case "--voices": a.run.voices = Math.floor(num(k, v)); i++; break;
      case "--warmup-s": a.run.warmupS = num(k, v); i++; break;
      case "--record-s": a.run.recordS = num(k, v); i++; break;
      case "--processing-ms": a.run.processingMs = num(k, v); i++; break;
      case "--loss-pct": a.run.lossPct = num(k, v); i++; break;
      case "--frame-ms": {
        const f = num(k, v) as FrameMs;
        if (!FRAME_MS_ALLOWED.includes(f)) throw new EmulateUsageError(`--frame-ms must be one of ${FRAME_MS_ALLOWED.join(", ")}`);
        a.run.frameMs = f;
        i++;
        break;
      }
      case "--topology": {
        if (v !== "tree" && v !== "star") throw new EmulateUsageError("--topology must be tree or star");
        a.run.topologies = [...(a.run.topologies ?? []), v];
        i++;
        break;
      }
      case "--json": a.json = true; break;
      case "--progress": a.progress = true; break;
      default: throw new EmulateUsageError(`unknown option ${k}`);
    }
  }
  if (a.run.singers < 3) throw new EmulateUsageError("--singers must be at least 3");
  if ((a.run.voices ?? 2) < 2) throw new EmulateUsageError("--voices must be at least 2");
  if ((a.run.recordS ?? 1) <= 0.5) throw new EmulateUsageError("--record-s must be above 0.5");
  return a;
}

export function emulateTable(r: EmulateResult): string {
  const lines = [
    `${r.singers} singers, ${r.region}, seed ${r.seed}: ${r.voices} voiced singers, ${r.pairsMeasured} directed pairs, ${r.seconds} virtual s per topology (${r.recordSeconds} s recorded), Opus ${r.backend}, ${r.frameMs} ms frames; star at ${r.centralServer}`,
    `model hub delay per hop: ${r.model.hubMs} ms`,
    "topology  heard     mouth-to-ear p50/p95   emulated p50/p95   model p50/p95   error (median rel, p50)   per hop emu/model   wall",
  ];
  for (const [name, t] of Object.entries(r.topologies)) {
    lines.push(
      `${name.padEnd(9)} ${`${t.heardPairs}/${t.pairs}`.padEnd(9)} ${`${t.mouthToEarMs.p50} / ${t.mouthToEarMs.p95}`.padEnd(22)} ${`${t.emulatedMs.p50} / ${t.emulatedMs.p95}`.padEnd(18)} ${`${t.modelMs.p50} / ${t.modelMs.p95}`.padEnd(15)} ${`${(t.error.medianRelative * 100).toFixed(1)} %, ${(t.error.p50Relative * 100).toFixed(1)} %`.padEnd(25)} ${`${t.perHopMs.emulated} / ${t.perHopMs.model}`.padEnd(19)} ${(t.wallMs / 1000).toFixed(1)} s`,
    );
  }
  for (const [name, t] of Object.entries(r.topologies)) {
    lines.push(
      `${name}: the model priced with the engine's own hop (${t.engineHop.hubMs} ms: hub jitter buffers' median play-out ${t.jitterBuffer.hubInputDelayMsP50} ms + look-ahead + processing): p50 ${t.engineHop.modelMs.p50} ms, error ${(t.engineHop.error.p50Relative * 100).toFixed(1)} %; endpoints' own part left out of "emulated": ${t.endpointMsP50} ms`,
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
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
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
