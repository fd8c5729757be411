// Compiles the Node runtime ahead of time: every TypeScript module under signaling/src,
// mixer-node/src, client/src, sim/src and bench/ becomes an ES module under dist/, in the same
// layout (dist/mixer-node/src/runtime/node-host.js, ...). Node processes that sing live (the
// demo's nodes, hubs, singers, benchmarks) run this output: loading TypeScript through a loader
// costs seconds of CPU per process at start-up, all at once when a choir starts.
//
//   node scripts/build.mjs [--if-stale] [--quiet]
//
// --if-stale builds only when a source file is newer than the last build (dist/.stamp).
// Type checking is separate (npm run typecheck); this only strips types, file by file.
import { build } from "esbuild";
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = path.join(root, "dist");
export const STAMP = path.join(DIST, ".stamp");
export const SOURCE_DIRS = ["signaling/src", "mixer-node/src", "client/src", "sim/src", "bench"];

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

export function sourceFiles() {
  return SOURCE_DIRS.flatMap((d) => walk(path.join(root, d), []));
}

/** True when dist/ is missing or older than a source file (or than this script). */
export function isStale(files = sourceFiles()) {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  const inputs = [...files, fileURLToPath(import.meta.url), path.join(root, "package.json")];
  return inputs.some((f) => statSync(f).mtimeMs > built);
}

export async function buildRuntime() {
  const started = performance.now();
  const files = sourceFiles();
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  await build({
    entryPoints: files,
    outdir: DIST,
    outbase: root,
    bundle: false,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    logLevel: "warning",
  });
  // ES modules: dist/ has no package.json of its own, so the root's "type": "module" applies.
  writeFileSync(STAMP, `${new Date().toISOString()} ${files.length} modules\n`);
  return { files: files.length, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quiet = process.argv.includes("--quiet");
  if (process.argv.includes("--if-stale") && !isStale()) {
    if (!quiet) process.stdout.write("build: dist/ is up to date\n");
  } else {
    const r = await buildRuntime();
    if (!quiet) process.stdout.write(`build: ${r.files} modules into dist/ in ${r.ms} ms\n`);
  }
}
