/** The one-line JSON summary and the plain-text table of a run. */
import type { RunResult } from "./run.js";
import { TOPOLOGY_NAMES } from "./topologies/types.js";

const r1 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
const r4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null);

export function summaryLine(r: RunResult): string {
  const topologies: Record<string, unknown> = {};
  for (const name of TOPOLOGY_NAMES) {
    const t = r.topologies[name];
    if (!t) continue;
    topologies[name] = {
      pairP50Ms: r1(t.pairs.all.p50),
      pairP95Ms: r1(t.pairs.all.p95),
      pairP99Ms: r1(t.pairs.all.p99),
      under30msShare: r4(t.pairs.all.under["30"]),
      maxUploadKbps: Math.round(t.uploadKbps.max),
    };
  }
  return JSON.stringify({
    singers: r.singers,
    region: r.region,
    pairsSampled: r.pairsSampled.all,
    topologies,
    elapsedMs: Math.round(r.elapsedMs),
  });
}

function pad(s: string | number, w: number): string {
  const t = String(s);
  return t.length >= w ? t : " ".repeat(w - t.length) + t;
}

export function summaryTable(r: RunResult): string {
  const lines = [
    `${r.singers} singers, region ${r.region}, seed ${r.seed}; hub hop ${r.timing.hubDelayMs} ms up, ${r.timing.downLevelMs} ms a level down, ${r.timing.belowRootMs} ms below the root (${r.timing.downPath}); ${r.pairsSampled.all} sampled pairs, ${r.pairsSampled.neighbours} neighbour pairs, ${r.pairsSampled.section} section pairs`,
    `${"topology".padEnd(9)}${pad("p50", 8)}${pad("p95", 8)}${pad("p99", 8)}${pad("max", 8)}${pad("<30ms", 8)}${pad("nb p50", 8)}${pad("nb<30", 8)}${pad("sec p50", 9)}${pad("up max", 10)}${pad("overload", 10)}${pad("servers", 9)}${pad("cores", 8)}`,
  ];
  for (const name of TOPOLOGY_NAMES) {
    const t = r.topologies[name];
    if (!t) continue;
    const a = t.pairs.all;
    lines.push(
      `${name.padEnd(9)}${pad(r1(a.p50)!, 8)}${pad(r1(a.p95)!, 8)}${pad(r1(a.p99)!, 8)}${pad(r1(a.max)!, 8)}${pad(r4(a.under["30"])!, 8)}` +
        `${pad(r1(t.pairs.neighbours.p50)!, 8)}${pad(r4(t.pairs.neighbours.under["30"])!, 8)}${pad(r1(t.pairs.section.p50)!, 9)}` +
        `${pad(Math.round(t.uploadKbps.max), 10)}${pad(t.overloadedSingers, 10)}${pad(t.servers.count, 9)}${pad(r1(t.servers.cores)!, 8)}`,
    );
  }
  if (r.churn) {
    const c = r.churn;
    lines.push(
      `churn (${c.simulatedS} s): ${c.joins} joins, ${c.leaves} leaves, ${c.moves} moves; repair p50 ${r1(c.repairMs.p50)} ms, max ${r1(c.repairMs.max)} ms; cut off per leave max ${c.cutOffPerLeave.max}`,
    );
  }
  return lines.join("\n");
}
