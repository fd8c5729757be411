import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runModel, type RunResult } from "@choirmesh/sim/run";
import { summaryLine } from "@choirmesh/sim/summary";
import { writeReport } from "@choirmesh/sim/report/html";
import { childrenPerCoreFromBench, parseArgs } from "@choirmesh/sim/cli";

const strip = (r: RunResult) => {
  const o = JSON.parse(summaryLine(r));
  delete o.elapsedMs;
  return o;
};

describe("a model run", () => {
  const opts = { singers: 300, region: "europe", seed: 7, pairs: 3000, churnS: 120 };
  const first = runModel(opts);

  it("repeats exactly with the same seed, and differs with another", () => {
    const again = runModel(opts);
    expect(strip(again)).toEqual(strip(first));
    expect(again.churn).toEqual({ ...first.churn, plannerUsPerEvent: again.churn!.plannerUsPerEvent });
    expect(again.cdf).toEqual(first.cdf);
    const other = runModel({ ...opts, seed: 8 });
    expect(strip(other)).not.toEqual(strip(first));
  });

  it("prints the summary line in the agreed shape", () => {
    const o = JSON.parse(summaryLine(first));
    expect(Object.keys(o)).toEqual(["singers", "region", "pairsSampled", "topologies", "elapsedMs"]);
    expect(o.singers).toBe(300);
    expect(o.pairsSampled).toBe(3000);
    expect(Object.keys(o.topologies)).toEqual(["tree", "treeDirect", "hybrid", "topMesh", "topMeshDirect", "star", "starDirect", "mesh", "chain"]);
    for (const t of Object.values(o.topologies) as Array<Record<string, number>>) {
      expect(Object.keys(t)).toEqual(["pairP50Ms", "pairP95Ms", "pairP99Ms", "under30msShare", "maxUploadKbps"]);
      expect(t.pairP50Ms).toBeLessThanOrEqual(t.pairP95Ms);
      expect(t.pairP95Ms).toBeLessThanOrEqual(t.pairP99Ms);
    }
  });

  it("orders the designs as the physics says", () => {
    const t = first.topologies;
    // The direct path is the floor; a star adds one hub and a detour; a tree adds several hubs.
    expect(t.mesh.pairs.all.p50).toBeLessThan(t.star.pairs.all.p50);
    expect(t.star.pairs.all.p50).toBeLessThan(t.tree.pairs.all.p50);
    expect(t.topMesh.pairs.all.p50).toBeLessThanOrEqual(t.hybrid.pairs.all.p50 + 1e-9);
    // Direct neighbours shorten the nearest pairs; all pairs stay within a millisecond (the
    // direct variants' planner also gathers close singers under dedicated hubs: another tree).
    for (const [base, direct] of [[t.tree, t.treeDirect], [t.topMesh, t.topMeshDirect]]) {
      expect(direct.pairs.neighbours.p50).toBeLessThan(base.pairs.neighbours.p50);
      expect(direct.pairs.all.p50).toBeLessThanOrEqual(base.pairs.all.p50 + 1);
    }
    // Under one server any two may pair: a direct pair never costs more than its path through the
    // server, the nearest gain most, and each direct neighbour is one more stream up.
    expect(t.starDirect.pairs.all.p50).toBeLessThanOrEqual(t.star.pairs.all.p50);
    expect(t.starDirect.pairs.neighbours.p50).toBeLessThan(t.star.pairs.neighbours.p50 - 5);
    expect(t.starDirect.extra!.directPairs).toBeGreaterThan(100);
    expect(t.starDirect.uploadKbps.max).toBe(104 * 6);
    expect(t.chain.pairs.all.p50).toBeGreaterThanOrEqual(3000);
    // 300 singers cannot each upload 299 streams from home.
    expect(t.mesh.overloadedSingers).toBeGreaterThan(150);
    expect(t.star.uploadKbps.max).toBe(104);
    expect(t.star.servers.maxChildren).toBe(300);
    expect(first.churn!.joins + first.churn!.leaves).toBeGreaterThan(20);
    expect(first.churn!.plannerFaults).toBe(0);
  });

  it("writes a report with every plot", () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-report-"));
    writeReport(dir, first);
    expect(readdirSync(dir).sort()).toEqual(
      ["hybrid-upper.svg", "index.html", "latency-cdf-neighbours.svg", "latency-cdf.svg", "report.json", "tree-upper.svg", "upload.svg"],
    );
    const html = readFileSync(join(dir, "index.html"), "utf8");
    expect(html.match(/<svg /g)?.length).toBe(5);
    expect(JSON.parse(readFileSync(join(dir, "report.json"), "utf8")).singers).toBe(300);
  });
});

describe("the command line", () => {
  it("parses options and refuses unknown ones with a code", () => {
    const a = parseArgs(["--singers", "100000", "--region", "world", "--json", "--seed", "3", "--frame-ms", "5"]);
    expect(a.run).toMatchObject({ singers: 100000, region: "world", seed: 3, timing: { frameMs: 5 } });
    expect(a.json).toBe(true);
    expect(() => parseArgs(["--bogus"])).toThrow(expect.objectContaining({ code: "usage" }));
    expect(() => parseArgs(["--singers", "x"])).toThrow(/number/);
  });

  it("reads childrenPerCore from the engine benchmark's last JSON line", () => {
    expect(childrenPerCoreFromBench('warming up\n{"backend":"native","childrenPerCore":212.5}\n')).toBe(212.5);
    expect(() => childrenPerCoreFromBench('{"backend":"native"}')).toThrow(/childrenPerCore/);
  });
});
