/**
 * A newcomer's path through the docs holds: every link in README.md and docs/ points at a file in
 * the repository (nothing outside it), and every source path that docs/design.md names (the walk
 * of one frame names a file at each step) exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "@choirmesh/common/repo-root";

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) markdownFiles(p, out);
    else if (e.name.endsWith(".md")) out.push(p);
  }
  return out;
}

const docs = [path.join(REPO_ROOT, "README.md"), ...markdownFiles(path.join(REPO_ROOT, "docs"))];
const LINK = /\]\(([^)\s]+)\)/g;

describe("the docs a newcomer reads", () => {
  it("README links to docs/design.md", () => {
    expect(readFileSync(path.join(REPO_ROOT, "README.md"), "utf8")).toContain("](docs/design.md)");
  });

  it("every link resolves to a file or folder inside the repository", () => {
    const bad: string[] = [];
    let links = 0;
    for (const file of docs) {
      for (const m of readFileSync(file, "utf8").matchAll(LINK)) {
        links++;
        const href = m[1];
        const where = path.relative(REPO_ROOT, file);
        if (/^[a-z]+:/i.test(href)) {
          bad.push(`${where}: ${href} (outside the repository)`);
          continue;
        }
        if (href.startsWith("#")) continue;
        const target = path.resolve(path.dirname(file), href.split("#")[0]);
        if (path.relative(REPO_ROOT, target).startsWith("..")) bad.push(`${where}: ${href} (outside the repository)`);
        else if (!existsSync(target)) bad.push(`${where}: ${href} (missing)`);
      }
    }
    expect(links).toBeGreaterThan(5);
    expect(bad).toEqual([]);
  });

  it("every source path docs/design.md names exists", () => {
    const text = readFileSync(path.join(REPO_ROOT, "docs", "design.md"), "utf8");
    const named = [...text.matchAll(/`((?:protocol|common|signaling|mixer-node|client|sim|test|scripts)\/[\w./-]+)`/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(30);
    const missing = named.filter((p) => !existsSync(path.join(REPO_ROOT, p)));
    expect(missing).toEqual([]);
    // Bare file names in the walk (`native-rtp.ts`) name files of the folder just mentioned;
    // each must exist somewhere in the packages.
    const bare = [...text.matchAll(/`([\w-]+\.ts)`/g)].map((m) => m[1]);
    const all = new Set<string>();
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        if (e === "node_modules" || e === "dist") continue;
        const p = path.join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else all.add(e);
      }
    };
    for (const pkg of ["protocol", "common", "signaling", "mixer-node", "client", "sim"]) walk(path.join(REPO_ROOT, pkg));
    expect(bare.filter((b) => !all.has(b))).toEqual([]);
  });
});
