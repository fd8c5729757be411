/** Plain sentences drawn from a run's figures: where each topology wins and where it loses. */
import type { RunResult } from "../run.js";
import { TOPOLOGY_NAMES, type TopologyName } from "../topologies/types.js";

const ms = (v: number) => `${Math.round(v)} ms`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function findings(r: RunResult): string[] {
  const t = r.topologies;
  const live = TOPOLOGY_NAMES.filter((n) => n !== "chain" && t[n]);
  const by = (f: (n: TopologyName) => number) => [...live].sort((a, b) => f(a) - f(b));
  const out: string[] = [];
  const allRank = by((n) => t[n].pairs.all.p50);
  out.push(
    `All pairs, median: ${allRank.map((n) => `${n} ${ms(t[n].pairs.all.p50)}`).join(", ")}. ` +
      `Under 30 ms: ${allRank.map((n) => `${n} ${pct(t[n].pairs.all.under["30"])}`).join(", ")}.`,
  );
  const nbRank = by((n) => t[n].pairs.neighbours.p50);
  out.push(`Nearest neighbours, median: ${nbRank.map((n) => `${n} ${ms(t[n].pairs.neighbours.p50)}`).join(", ")}.`);
  if (t.tree && t.star) {
    const treeNb = t.tree.pairs.neighbours.p50;
    const starNb = t.star.pairs.neighbours.p50;
    out.push(
      treeNb < starNb
        ? `The tree of singers beats the central server for nearby pairs (${ms(treeNb)} against ${ms(starNb)}) but loses for all pairs (${ms(t.tree.pairs.all.p50)} against ${ms(t.star.pairs.all.p50)}): every hop through a home connection costs a hub delay (${r.timing.hubDelayMs} ms) plus access twice.`
        : `The central server beats the tree of singers even for nearby pairs (${ms(starNb)} against ${ms(treeNb)}), and for all pairs (${ms(t.star.pairs.all.p50)} against ${ms(t.tree.pairs.all.p50)}): the tree's depth (median ${t.tree.depth?.p50}, max ${t.tree.depth?.maxLevel}) costs ${r.timing.hubDelayMs} ms per hub passed, and nearest neighbours are not kept under one hub.`,
    );
  }
  if (t.hybrid && t.tree) {
    out.push(
      `Dedicated hubs on top (hybrid, ${t.hybrid.servers.count} hubs, ${t.hybrid.servers.cores.toFixed(1)} cores) take the median from ${ms(t.tree.pairs.all.p50)} to ${ms(t.hybrid.pairs.all.p50)} (depth median ${t.hybrid.depth?.p50}, max ${t.hybrid.depth?.maxLevel}); meshing the ${String(t.topMesh?.extra?.topHubs ?? "?")} top hubs gives ${t.topMesh ? ms(t.topMesh.pairs.all.p50) : "—"}.`,
    );
    if (t.star && t.topMesh && t.topMesh.pairs.all.p50 > t.star.pairs.all.p50) {
      out.push(
        `Even meshed, the dedicated tier loses to one central server for all pairs (${ms(t.topMesh.pairs.all.p50)} against ${ms(t.star.pairs.all.p50)}): a cross-region pair passes at least two hubs (${ms(2 * r.timing.hubDelayMs)}), one more than the star, and singers below singer hubs pay a home-connection hop on top. It wins on server cost per site and on not putting ${r.singers.toLocaleString("en-US")} streams through one machine.`,
      );
    } else if (t.star && t.topMesh) {
      out.push(
        `Meshed, the dedicated tier beats one central server for all pairs (${ms(t.topMesh.pairs.all.p50)} against ${ms(t.star.pairs.all.p50)}): a hub costs ${ms(r.timing.hubDelayMs)} where streams are mixed and ${ms(r.timing.downLevelMs)} a level where they are forwarded, and each region's hub is nearer its singers than one server can be.`,
      );
    }
  }
  for (const [base, direct] of [[t.tree, t.treeDirect], [t.topMesh, t.topMeshDirect]] as const) {
    if (!base || !direct) continue;
    const under = (m: typeof base) => m.pairs.neighbours.under["30"] ?? 0;
    out.push(
      `Neighbours under one hub hearing each other directly (${String(direct.extra?.directPairs ?? "?")} pairs, ${direct.title.split(",")[0].toLowerCase()}): each singer's 5 nearest at ${ms(direct.pairs.neighbours.p50)} against ${ms(base.pairs.neighbours.p50)} (median), ${pct(under(direct))} of them under 30 ms against ${pct(under(base))}; all pairs unchanged at ${ms(direct.pairs.all.p50)}. Most of a singer's nearest neighbours sit under other hubs, where a direct link would need the voice taken out at their meeting point instead.`,
    );
  }
  if (t.star && t.starDirect) {
    const under = (m: typeof t.star) => m.pairs.neighbours.under["30"] ?? 0;
    out.push(
      `Under one central server any two singers can pair (${String(t.starDirect.extra?.directPairs ?? "?")} direct pairs): each singer's 5 nearest at ${ms(t.starDirect.pairs.neighbours.p50)} against ${ms(t.star.pairs.neighbours.p50)} (median), ${pct(under(t.starDirect))} of them under 30 ms against ${pct(under(t.star))}, all pairs at ${ms(t.starDirect.pairs.all.p50)}; the busiest singer then uploads ${Math.round(t.starDirect.uploadKbps.max)} kbit/s. The meshed tier gets there only where a singer's nearest share its hub.`,
    );
  }
  if (t.star) {
    out.push(
      `The central server needs ${t.star.servers.cores.toFixed(1)} cores and ${Math.round(t.star.servers.uploadMbps).toLocaleString("en-US")} Mbit/s of upload for ${r.singers.toLocaleString("en-US")} singers in one place (${t.star.servers.where.join(", ")}); the tree needs no server, and its busiest singer uploads ${Math.round(t.tree?.uploadKbps.max ?? 0)} kbit/s.`,
    );
  }
  if (t.mesh) {
    out.push(
      `The full mesh is the physical floor for delay (median ${ms(t.mesh.pairs.all.p50)}), but each singer must upload ${Math.round(t.mesh.uploadKbps.max / 1000)} Mbit/s and decode ${r.singers - 1} streams: ${pct(t.mesh.overloadedSingers / r.singers)} of singers' uplinks cannot carry it.`,
    );
  }
  if (t.chain) {
    out.push(
      `The chain (Bucket Brigade) is not real-time ensemble: a later bucket hears an earlier one ${ms(t.chain.pairs.all.p50)} behind (median over pairs that hear each other at all), and ${pct(1 - t.chain.pairs.all.heardShare)} of pairs sit in one bucket and never hear each other.`,
    );
  }
  const treeOverloaded = live.filter((n) => n !== "mesh" && t[n].overloadedSingers > 0);
  if (treeOverloaded.length) out.push(`Singers overloaded outside the mesh: ${treeOverloaded.map((n) => `${n} ${t[n].overloadedSingers}`).join(", ")}.`);
  return out;
}
