/**
 * The package boundaries (docs/design.md, "Packages"): every part is an npm workspace that others
 * import by name, through its package.json's exports; nothing reaches into another package's
 * files by relative path; nothing imports bench/; the dependency graph has no back edges
 * (protocol and common at the bottom, the server and the engine apart, the browser page on the
 * protocol and common only).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "@choirmesh/common/repo-root";

const PACKAGES = ["protocol", "common", "signaling", "mixer-node", "client", "sim"] as const;
type Pkg = (typeof PACKAGES)[number];
/** Which packages each may import. */
const ALLOWED: Record<Pkg, readonly Pkg[]> = {
  protocol: [],
  common: [],
  signaling: ["protocol", "common"],
  "mixer-node": ["protocol", "common"],
  sim: ["protocol", "common", "signaling", "mixer-node"],
  client: ["protocol", "common", "signaling", "mixer-node"],
};

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist" || e.name === "build" || e.name === "public") continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
function importsOf(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

const rel = (f: string) => path.relative(REPO_ROOT, f);
const topOf = (f: string) => rel(f).split(path.sep)[0];
const manifest = (p: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, p, "package.json"), "utf8"));

const files = [...PACKAGES, "bench", "test"].flatMap((d) => walk(path.join(REPO_ROOT, d)));

describe("package boundaries", () => {
  it("finds the sources it checks", () => {
    expect(files.length).toBeGreaterThan(150);
  });

  it("relative imports stay inside their own package (or their own bench/ or test/ folder)", () => {
    const leaks: string[] = [];
    for (const f of files) {
      for (const spec of importsOf(f)) {
        if (!spec.startsWith(".")) continue;
        const target = path.resolve(path.dirname(f), spec);
        if (topOf(target) !== topOf(f)) leaks.push(`${rel(f)} -> ${spec}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("each package imports only the packages below it, and declares them", () => {
    const wrong: string[] = [];
    for (const f of files) {
      const top = topOf(f) as Pkg;
      if (!PACKAGES.includes(top)) continue;
      const deps = Object.keys(manifest(top).dependencies ?? {});
      for (const spec of importsOf(f)) {
        const m = /^@choirmesh\/([a-z-]+)/.exec(spec);
        if (!m) continue;
        const to = m[1] as Pkg;
        if (to === top) wrong.push(`${rel(f)} imports its own package by name (${spec})`);
        else if (!ALLOWED[top].includes(to)) wrong.push(`${rel(f)} -> ${spec} (${top} may not depend on ${to})`);
        else if (!deps.includes(`@choirmesh/${to}`)) wrong.push(`${rel(f)} -> ${spec}, not in ${top}/package.json`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("the browser page imports only the protocol, common and browser packages", () => {
    const web = walk(path.join(REPO_ROOT, "client", "web")).filter((f) => f.endsWith(".ts"));
    const wrong = web.flatMap((f) =>
      importsOf(f)
        .filter((s) => !s.startsWith(".") && !/^@choirmesh\/(protocol|common\/(events|errors))$/.test(s) && !["socket.io-client", "simple-peer", "buffer"].includes(s))
        .map((s) => `${rel(f)} -> ${s}`),
    );
    expect(wrong).toEqual([]);
  });

  it("every import by package name is one of that package's exports", () => {
    const missing: string[] = [];
    for (const f of files) {
      for (const spec of importsOf(f)) {
        const m = /^@choirmesh\/([a-z-]+)(\/.*)?$/.exec(spec);
        if (!m) continue;
        const exportsMap = manifest(m[1]).exports ?? {};
        if (!(`.${m[2] ?? ""}` in exportsMap)) missing.push(`${rel(f)} -> ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("nothing imports bench/", () => {
    const into = files.filter((f) => topOf(f) !== "bench").flatMap((f) => importsOf(f).filter((s) => /(^|\/)bench\//.test(s)).map((s) => `${rel(f)} -> ${s}`));
    expect(into).toEqual([]);
  });
});

describe("file sizes", () => {
  it("no source file (packages, bench, tests, scripts) passes 400 lines", () => {
    const all = [...files, ...walk(path.join(REPO_ROOT, "scripts"))];
    const long = all.map((f) => [rel(f), readFileSync(f, "utf8").split("\n").length - 1] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
