/**
 * The repository's root folder, whether a module runs from source (signaling/src/...) or from
 * the compiled runtime in dist/, which mirrors the source tree (dist/signaling/src/...). Files
 * that are not compiled (the native Opus binding, the web page, the runtime itself) are found
 * from here.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const up = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const REPO_ROOT = path.basename(up) === "dist" ? path.dirname(up) : up;

/** Where the compiled runtime lives (`npm run build`). */
export const DIST_DIR = path.join(REPO_ROOT, "dist");

const BUILD_SCRIPT = path.join(REPO_ROOT, "scripts", "build.mjs");
let checked = false;

/**
 * The compiled form of a source module (`mixer-node/src/runtime/node-host.ts` ->
 * dist/mixer-node/src/runtime/node-host.js), for starting it as a process of its own. The first
 * call in a process rebuilds dist/ if a source file changed since the last build (well under a
 * second), so that a harness run from source never starts stale code.
 */
export function compiledEntry(sourceRel: string): string {
  if (!checked) {
    checked = true;
    const r = spawnSync(process.execPath, [BUILD_SCRIPT, "--if-stale", "--quiet"], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status !== 0) throw new Error(`building the runtime failed (npm run build): ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  }
  return path.join(DIST_DIR, sourceRel.replace(/\.ts$/, ".js"));
}
