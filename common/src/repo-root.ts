/**
 * The repository's root folder, whether a module runs from source (common/src/...) or compiled
 * (common/dist/..., the same depth). Files that are not compiled (the native bindings, the web
 * page, the runtime itself) are found from here.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const BUILD_SCRIPT = path.join(REPO_ROOT, "scripts", "build.mjs");
let checked = false;

/**
 * The compiled form of a source module, for starting it as a process of its own:
 * `mixer-node/src/runtime/node-host.ts` -> mixer-node/dist/runtime/node-host.js,
 * `bench/transport.ts` -> bench/dist/transport.js. The first
 * call in a process rebuilds dist/ if a source file changed since the last build (well under a
 * second), so that a harness run from source never starts stale code.
 */
export function compiledEntry(sourceRel: string): string {
  if (!checked) {
    checked = true;
    const r = spawnSync(process.execPath, [BUILD_SCRIPT, "--if-stale", "--quiet"], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status !== 0) throw new Error(`building the runtime failed (npm run build): ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  }
  const m = /^([a-z-]+)\/src\/(.+)\.ts$/.exec(sourceRel) ?? /^(bench)\/(.+)\.ts$/.exec(sourceRel);
  if (!m) throw new Error(`not a source module of a package or of bench/: ${sourceRel}`);
  return path.join(REPO_ROOT, m[1], "dist", `${m[2]}.js`);
}
