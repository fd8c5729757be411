/** The report's plots, as SVG text, from a run's result. */
import type { RunResult } from "../run.js";
import { TOPOLOGY_NAMES, type TopologyName } from "../topologies/types.js";
import { lineChart, mapDrawing, type Series } from "./svg.js";
import type { DrawingData } from "./drawing-data.js";

export const TOPOLOGY_COLORS: Record<TopologyName, string> = {
  tree: "#d62728",
  hybrid: "#ff7f0e",
  topMesh: "#9467bd",
  treeDirect: "#e377c2",
  topMeshDirect: "#17becf",
  starDirect: "#bcbd22",
  star: "#1f77b4",
  mesh: "#2ca02c",
  chain: "#7f7f7f",
};

const MS_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];
const msFormat = (v: number) => (v >= 1000 ? `${v / 1000} s` : `${v}`);

function cdfChart(title: string, curves: Record<TopologyName, Array<[number, number]>>): string {
  let max = 100;
  for (const name of TOPOLOGY_NAMES) for (const [x] of curves[name] ?? []) if (Number.isFinite(x)) max = Math.max(max, x);
  const xMax = MS_TICKS.find((t) => t >= max) ?? max;
  const series: Series[] = TOPOLOGY_NAMES.filter((n) => curves[n]).map((n) => ({ name: n, color: TOPOLOGY_COLORS[n], points: curves[n] }));
  return lineChart({
    title,
    x: { label: "one-way mouth-to-ear delay (ms, log scale)", min: 1, max: xMax, log: true, ticks: MS_TICKS.filter((t) => t <= xMax), format: msFormat },
    y: { label: "share of pairs at or below", min: 0, max: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    series,
    guides: [
      { x: 25, label: "25" },
      { x: 30, label: "30" },
      { x: 50, label: "50 ms" },
    ],
  });
}

export function latencyCdfSvg(r: RunResult): string {
  return cdfChart(`Pair delay, all pairs (${r.pairsSampled.all} sampled)`, r.cdf);
}

export function neighbourCdfSvg(r: RunResult): string {
  return cdfChart(`Pair delay, 5 nearest neighbours (${r.pairsSampled.neighbours} pairs)`, r.cdfNeighbours);
}

export function uploadSvg(r: RunResult): string {
  let max = 1000;
  let min = Infinity;
  for (const pts of Object.values(r.upload))
    for (const [, v] of pts) {
      if (v > max) max = v;
      if (v > 0 && v < min) min = v;
    }
  // A decade below the smallest upload, so that a flat line of single streams stays visible.
  const lo = 10 ** (Math.floor(Math.log10(Math.min(min, 100))) - 1);
  const hi = 10 ** Math.ceil(Math.log10(max));
  const series: Series[] = [];
  for (const name of TOPOLOGY_NAMES) {
    const pts = r.upload[name];
    // Zero uploads (a leaf's parentless root, never) cannot sit on a log axis: lift to the floor.
    if (pts) series.push({ name, color: TOPOLOGY_COLORS[name], points: pts.map(([x, y]) => [x, Math.max(y, lo)] as [number, number]) });
  }
  const cap = r.upload["singers' capacity"];
  if (cap) series.push({ name: "capacity", color: "#000", points: cap, dashed: true });
  return lineChart({
    title: "Upload each singer's connection must carry",
    x: { label: "singers, sorted by upload (share)", min: 0, max: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    y: { label: "upload (kbit/s, log scale)", min: lo, max: hi, log: true, ticks: logDecades(lo, hi) },
    series,
  });
}

function logDecades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) out.push(v);
  return out;
}

export function treeSvg(title: string, d: DrawingData): string {
  return mapDrawing({ title, backdrop: d.backdrop, nodes: d.nodes, edges: d.edges, meshEdges: d.meshEdges });
}
