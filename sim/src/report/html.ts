/** Writes a run's report: index.html with the plots inline, report.json, and one SVG per plot. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../run.js";
import { TOPOLOGY_NAMES } from "../topologies/types.js";
import { escapeXml } from "./svg.js";
import { latencyCdfSvg, neighbourCdfSvg, treeSvg, uploadSvg } from "./plots.js";
import { findings } from "./findings.js";

const r1 = (v: number) => (Number.isFinite(v) ? (Math.round(v * 10) / 10).toString() : "—");
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "—");
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "—");

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${c}</th>` : `<td>${c}</td>`)).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

export function reportHtml(r: RunResult, svgs: Record<string, string>): string {
  const names = TOPOLOGY_NAMES.filter((n) => r.topologies[n]);
  const delayRows = names.map((n) => {
    const t = r.topologies[n];
    const a = t.pairs.all;
    return [n, r1(a.p50), r1(a.p95), r1(a.p99), r1(a.max), pct(a.under["25"]), pct(a.under["30"]), pct(a.under["50"]), pct(a.heardShare)];
  });
  const nearRows = names.map((n) => {
    const t = r.topologies[n];
    const nb = t.pairs.neighbours;
    const se = t.pairs.section;
    return [n, r1(nb.p50), r1(nb.p95), r1(nb.max), pct(nb.under["30"]), r1(se.p50), r1(se.p95), pct(se.under["30"])];
  });
  const costRows = names.map((n) => {
    const t = r.topologies[n];
    return [
      n,
      int(t.uploadKbps.p50),
      int(t.uploadKbps.p95),
      int(t.uploadKbps.max),
      int(t.downloadKbps.max),
      `${int(t.overloadedSingers)} (${pct(t.overloadedSingers / r.singers)})`,
      t.maxSingerCores.toFixed(2),
      int(t.servers.count),
      r1(t.servers.cores),
      int(t.servers.uploadMbps),
      int(t.servers.maxChildren),
      t.depth ? `${r1(t.depth.p50)} / ${t.depth.maxLevel}` : "—",
    ];
  });
  const timingRows = ["perHopMs", "downLevelMs", "belowRootMs", "frameMs", "jitterBufferMs", "lookaheadMs", "processingMs", "childrenPerCore", "streamKbps"].map((k) => [
    k,
    String((r.timing as unknown as Record<string, number>)[k]),
    escapeXml(r.timing.source[k] ?? ""),
  ]);
  const c = r.churn;
  const churnHtml = c
    ? table(
        ["churn", "value"],
        [
          ["simulated time", `${c.simulatedS} s (mean stay ${c.model.meanStayS} s, Poisson joins and leaves)`],
          ["joins / leaves / moves", `${c.joins} / ${c.leaves} / ${c.moves}`],
          ["moves per join p50 / max", `${r1(c.movesPerJoin.p50)} / ${r1(c.movesPerJoin.max)}`],
          ["moves per leave p50 / p95 / max", `${r1(c.movesPerLeave.p50)} / ${r1(c.movesPerLeave.p95)} / ${r1(c.movesPerLeave.max)}`],
          ["orphans per leave mean / max", `${r1(c.orphansPerLeave.mean)} / ${r1(c.orphansPerLeave.max)}`],
          ["singers cut off per leave mean / p95 / max", `${r1(c.cutOffPerLeave.mean)} / ${r1(c.cutOffPerLeave.p95)} / ${r1(c.cutOffPerLeave.max)}`],
          ["orphans re-parented to their announced backup", pct(c.backupUsedShare)],
          ["repair time p50 / p95 / max (ms)", `${r1(c.repairMs.p50)} / ${r1(c.repairMs.p95)} / ${r1(c.repairMs.max)}`],
          ["repair model", `silence detected after ${c.model.detectMs} ms, link setup ${c.model.connectMs} ms + 2 round trips, +${c.model.serverDecisionMs} ms when the new parent is not the backup`],
          ["planner time per event p50 / max (µs)", `${r1(c.plannerUsPerEvent.p50)} / ${r1(c.plannerUsPerEvent.max)}`],
          ["planner faults", c.plannerFaults ? `${c.plannerFaults}: ${escapeXml(c.firstFault ?? "")}` : "none"],
        ],
      )
    : "<p>Churn not run.</p>";
  const notes = names.map((n) => `<li><b>${n}</b> — ${escapeXml(r.topologies[n].title)}: ${r.topologies[n].notes.map(escapeXml).join("; ")}</li>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>choirmesh model run: ${r.singers} singers, ${escapeXml(r.region)}</title>
<style>
body{font-family:sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
thead th{background:#eef2f6}
tbody th{text-align:left;background:#f8f8f8}
figure{margin:1em 0}
.plots{display:flex;flex-wrap:wrap;gap:10px}
.small{font-size:12px;color:#555}
</style></head><body>
<h1>Model run: ${int(r.singers)} singers, region ${escapeXml(r.region)}</h1>
<p class="small">seed ${r.seed}; ${int(r.pairsSampled.all)} uniformly sampled pairs, ${int(r.pairsSampled.neighbours)} nearest-neighbour pairs (5 nearest of each of up to 2,000 singers), ${int(r.pairsSampled.section)} section-mate pairs; central server at ${escapeXml(String(r.assumptions.centralServer))}; ran in ${(r.elapsedMs / 1000).toFixed(1)} s. Delays are one-way, mouth to ear, the endpoints' own capture and playback left out; a pair's delay is the slower of its two directions.</p>
<h2>What it says</h2>
<ul>${findings(r).map((f) => `<li>${escapeXml(f)}</li>`).join("")}</ul>
<h2>All pairs</h2>
${table(["topology", "p50 ms", "p95 ms", "p99 ms", "max ms", "&lt;25 ms", "&lt;30 ms", "&lt;50 ms", "heard"], delayRows)}
<div class="plots"><figure>${svgs["latency-cdf.svg"]}</figure><figure>${svgs["latency-cdf-neighbours.svg"]}</figure></div>
<h2>Nearby pairs and sections</h2>
${table(["topology", "5-nearest p50", "p95", "max", "&lt;30 ms", "section p50", "section p95", "section &lt;30 ms"], nearRows)}
<h2>Cost: people's connections and servers</h2>
${table(["topology", "upload p50 kbit/s", "p95", "max", "download max", "singers overloaded", "max singer cores", "servers", "server cores", "server upload Mbit/s", "most children", "depth p50 / max"], costRows)}
<figure>${svgs["upload.svg"]}</figure>
<h2>The trees' upper levels</h2>
<div class="plots"><figure>${svgs["tree-upper.svg"]}</figure><figure>${svgs["hybrid-upper.svg"]}</figure></div>
<p class="small">Nodes per level, tree: ${r.drawings.tree.levelCounts.join(" / ")}; hybrid: ${r.drawings.hybrid.levelCounts.join(" / ")}. topMesh joins the hybrid's top hubs (the root and its dedicated children) in a full mesh.</p>
<h2>Churn on the tree</h2>
${churnHtml}
<h2>Model</h2>
${table(["engine timing", "value", "source"], timingRows)}
<p>Hub hop: ${r.timing.hubDelayMs} ms up and where a pair meets, ${r.timing.downLevelMs} ms per level down, ${r.timing.belowRootMs} ms more for a pair that meets below the root (${r.timing.downPath} down path; ${r.timing.source.perHopMs}). Links: great-circle distance × 2.1 / 200 km per ms plus both ends' access delay (the planner's latency model); a singer's home connection is paid on the way in and on the way out of every hop it relays; data-centre hubs pay ${"~0.5"} ms.</p>
<ul>${notes}</ul>
<pre class="small">${escapeXml(JSON.stringify(r.assumptions, null, 1))}</pre>
</body></html>
`;
}

/** Writes the report into `dir`; returns the files written. */
export function writeReport(dir: string, r: RunResult): string[] {
  mkdirSync(dir, { recursive: true });
  const svgs: Record<string, string> = {
    "latency-cdf.svg": latencyCdfSvg(r),
    "latency-cdf-neighbours.svg": neighbourCdfSvg(r),
    "upload.svg": uploadSvg(r),
    "tree-upper.svg": treeSvg(`Tree of singers: top ${r.drawings.tree.levelsDrawn + 1} levels`, r.drawings.tree),
    "hybrid-upper.svg": treeSvg(
      `Hybrid: top ${r.drawings.topMesh.levelsDrawn + 1} levels; ${r.drawings.topMesh.meshHubs} top hubs${r.drawings.topMesh.meshEdges.length ? ", their mesh dashed" : " (mesh not drawn)"}`,
      r.drawings.topMesh,
    ),
  };
  const files: string[] = [];
  for (const [name, text] of Object.entries(svgs)) {
    writeFileSync(join(dir, name), text);
    files.push(join(dir, name));
  }
  writeFileSync(join(dir, "report.json"), JSON.stringify(r, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1));
  writeFileSync(join(dir, "index.html"), reportHtml(r, svgs));
  files.push(join(dir, "report.json"), join(dir, "index.html"));
  return files;
}
