// Compiles the Node runtime ahead of time: every TypeScript module of a package's src/ becomes an
// ES module in that package's dist/, in the same layout (mixer-node/src/runtime/node-host.ts ->
// mixer-node/dist/runtime/node-host.js); bench/ goes to bench/dist/. Packages import each other
// by name: Node finds the compiled form through each package.json's "exports" ("default"),
// while the type checker, vitest and the browser bundle read the sources ("choirmesh-source").
// Node processes that sing live (the demo's nodes, hubs, singers, benchmarks) run this output:
// loading TypeScript through a loader costs seconds of CPU per process at start-up, all at once
// when a choir starts.
//
//   node scripts/build.mjs [--if-stale] [--quiet]
//
// --if-stale builds only when a source file is newer than the last build (bench/dist/.stamp).
// Type checking is separate (npm run typecheck); this only strips types, file by file.
import { build } from "esbuild";
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PACKAGES = ["protocol", "common", "signaling", "mixer-node", "client", "sim"];
/** Each source folder and the folder its compiled modules go to. */
export const UNITS = [...PACKAGES.map((p) => ({ src: `${p}/src`, out: `${p}/dist` })), { src: "bench", out: "bench/dist" }];
export const STAMP = path.join(root, "bench", "dist", ".stamp");

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "dist" && entry.name !== "node_modules") walk(p, out);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

export function sourceFiles(units = UNITS) {
  return units.flatMap((u) => walk(path.join(root, u.src), []));
}

/** True when a compiled folder is missing or older than a source file (or than this script). */
export function isStale(files = sourceFiles()) {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  const manifests = ["package.json", ...PACKAGES.map((p) => `${p}/package.json`)].map((f) => path.join(root, f));
  const inputs = [...files, fileURLToPath(import.meta.url), ...manifests];
  return inputs.some((f) => statSync(f).mtimeMs > built);
}

export async function buildRuntime() {
  const started = performance.now();
  let count = 0;
  for (const unit of UNITS) {
    const files = sourceFiles([unit]);
    const outdir = path.join(root, unit.out);
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    await build({
      entryPoints: files,
      outdir,
      outbase: path.join(root, unit.src),
      bundle: false,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: true,
      logLevel: "warning",
    });
    count += files.length;
  }
  // ES modules: every package.json (and the root's, for bench/) says "type": "module".
  writeFileSync(STAMP, `${new Date().toISOString()} ${count} modules\n`);
  return { files: count, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quiet = process.argv.includes("--quiet");
  if (process.argv.includes("--if-stale") && !isStale()) {
    if (!quiet) process.stdout.write("build: the compiled runtime is up to date\n");
  } else {
    const r = await buildRuntime();
    if (!quiet) process.stdout.write(`build: ${r.files} modules compiled into each package's dist/ in ${r.ms} ms\n`);
  }
}
