/**
 * Builds the browser singer: bundles client/web/main.ts (simple-peer, socket.io-client and the
 * page's modules) with esbuild into signaling/public/dist/, and copies the page and its styles
 * next to it, so that the signaling server serves the page at /.
 *
 *   node client/web/build.mjs [--out DIR] [--dev]
 *
 * simple-peer's dependencies expect Node's `events`, `buffer` and `process`: `events` and
 * `process` come from small shims here, `buffer` from the package simple-peer already installs.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");

export async function buildWeb({ outDir = path.join(root, "signaling", "public"), dev = false } = {}) {
  const dist = path.join(outDir, "dist");
  mkdirSync(dist, { recursive: true });
  const started = performance.now();
  const result = await build({
    entryPoints: [path.join(here, "main.ts")],
    outfile: path.join(dist, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome110", "firefox115", "safari16"],
    minify: !dev,
    sourcemap: true,
    define: { global: "globalThis", "process.env.NODE_ENV": dev ? '"development"' : '"production"' },
    inject: [path.join(here, "shims", "globals.ts")],
    alias: { events: path.join(here, "shims", "events.ts") },
    // Workspace packages are bundled from their TypeScript sources.
    conditions: ["choirmesh-source"],
    logLevel: "warning",
    metafile: true,
  });
  copyFileSync(path.join(here, "styles.css"), path.join(dist, "styles.css"));
  copyFileSync(path.join(here, "index.html"), path.join(outDir, "index.html"));
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + (o.bytes ?? 0), 0);
  return { outDir, ms: Math.round(performance.now() - started), bytes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" }, dev: { type: "boolean" } } });
  const r = await buildWeb({ outDir: values.out ? path.resolve(values.out) : undefined, dev: values.dev ?? false });
  process.stdout.write(`build:web ${path.relative(root, r.outDir) || "."} in ${r.ms} ms\n`);
}
