/** A small SVG writer: line charts with linear or log axes, and a map-like scatter of a tree. */

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

export interface Series {
  name: string;
  color: string;
  /** [x, y] points; non-finite points are skipped. */
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
}

export interface Axis {
  label: string;
  min: number;
  max: number;
  log?: boolean;
  /** Tick values; derived when absent. */
  ticks?: number[];
  format?: (v: number) => string;
}

export interface ChartSpec {
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  /** Vertical guide lines at these x values, with labels. */
  guides?: ReadonlyArray<{ x: number; label: string }>;
  width?: number;
  height?: number;
}

function ticksFor(a: Axis): number[] {
  if (a.ticks) return a.ticks;
  if (a.log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(a.min)); e <= Math.ceil(Math.log10(a.max)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= a.min && v <= a.max) out.push(v);
      }
    }
    return out;
  }
  const span = a.max - a.min;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 8) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(a.min / nice) * nice; v <= a.max + 1e-9; v += nice) out.push(Math.round(v * 1e9) / 1e9);
  return out;
}

function scaler(a: Axis, from: number, to: number): (v: number) => number {
  if (a.log) {
    const l0 = Math.log10(a.min);
    const l1 = Math.log10(a.max);
    return (v) => from + ((Math.log10(Math.max(v, a.min)) - l0) / (l1 - l0)) * (to - from);
  }
  return (v) => from + ((v - a.min) / (a.max - a.min)) * (to - from);
}

export function defaultFormat(v: number): string {
  if (Math.abs(v) >= 1e6) return `${fmt(v / 1e6)}M`;
  if (Math.abs(v) >= 1e3) return `${fmt(v / 1e3)}k`;
  return fmt(v);
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 420;
  const m = { l: 70, r: 170, t: 40, b: 55 };
  const sx = scaler(spec.x, m.l, W - m.r);
  const sy = scaler(spec.y, H - m.b, m.t);
  const fx = spec.x.format ?? defaultFormat;
  const fy = spec.y.format ?? defaultFormat;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2 - m.r / 2 + m.l / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  );
  for (const v of ticksFor(spec.x)) {
    const x = fmt(sx(v));
    parts.push(
      `<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#e4e4e4"/>`,
      `<text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${escapeXml(fx(v))}</text>`,
    );
  }
  for (const v of ticksFor(spec.y)) {
    const y = fmt(sy(v));
    parts.push(
      `<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(fy(v))}</text>`,
    );
  }
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.r - m.l}" height="${H - m.b - m.t}" fill="none" stroke="#888"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 14}" text-anchor="middle">${escapeXml(spec.x.label)}</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.y.label)}</text>`,
  );
  // Guide labels alternate between two rows so that close guides stay readable.
  (spec.guides ?? []).forEach((g, i) => {
    const x = fmt(sx(g.x));
    parts.push(
      `<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#c33" stroke-dasharray="3 3"/>`,
      `<text x="${x}" y="${m.t - 4 - (i % 2) * 10}" text-anchor="middle" fill="#c33" font-size="10">${escapeXml(g.label)}</text>`,
    );
  });
  const clipId = `c${Math.abs(hash(spec.title))}`;
  parts.push(`<clipPath id="${clipId}"><rect x="${m.l}" y="${m.t}" width="${W - m.r - m.l}" height="${H - m.b - m.t}"/></clipPath>`);
  spec.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`);
    if (pts.length > 0) {
      parts.push(
        `<polyline clip-path="url(#${clipId})" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""} points="${pts.join(" ")}"/>`,
      );
    }
    const ly = m.t + 10 + i * 20;
    parts.push(
      `<line x1="${W - m.r + 12}" y1="${ly}" x2="${W - m.r + 36}" y2="${ly}" stroke="${s.color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="${W - m.r + 42}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export interface MapNode {
  id: string;
  lat: number;
  lon: number;
  level: number;
  dedicated: boolean;
  label?: string;
}

export interface MapSpec {
  title: string;
  /** Faint background points (e.g. where singers live). */
  backdrop: ReadonlyArray<{ lat: number; lon: number }>;
  nodes: readonly MapNode[];
  edges: ReadonlyArray<readonly [string, string]>;
  /** Extra lines (e.g. the top hubs' mesh), drawn dashed. */
  meshEdges?: ReadonlyArray<readonly [string, string]>;
  width?: number;
  height?: number;
}

const LEVEL_COLORS = ["#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd", "#8c564b"];

/** Equirectangular drawing of a tree's upper levels, framed on the backdrop's extent. */
export function mapDrawing(spec: MapSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 440;
  const all = [...spec.backdrop, ...spec.nodes];
  let la0 = Math.min(...all.map((p) => p.lat));
  let la1 = Math.max(...all.map((p) => p.lat));
  let lo0 = Math.min(...all.map((p) => p.lon));
  let lo1 = Math.max(...all.map((p) => p.lon));
  const padLa = Math.max(1, (la1 - la0) * 0.06);
  const padLo = Math.max(1, (lo1 - lo0) * 0.06);
  la0 -= padLa;
  la1 += padLa;
  lo0 -= padLo;
  lo1 += padLo;
  const m = { l: 10, r: 150, t: 36, b: 10 };
  const px = (lon: number) => m.l + ((lon - lo0) / (lo1 - lo0)) * (W - m.l - m.r);
  const py = (lat: number) => m.t + ((la1 - lat) / (la1 - la0)) * (H - m.t - m.b);
  const byId = new Map(spec.nodes.map((n) => [n.id, n]));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${(W - m.r) / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="#f6f8fb" stroke="#ccc"/>`,
  ];
  for (const p of spec.backdrop) parts.push(`<circle cx="${fmt(px(p.lon))}" cy="${fmt(py(p.lat))}" r="1.6" fill="#8fa3b8" fill-opacity="0.6"/>`);
  const line = (a: MapNode, b: MapNode, extra: string) =>
    `<line x1="${fmt(px(a.lon))}" y1="${fmt(py(a.lat))}" x2="${fmt(px(b.lon))}" y2="${fmt(py(b.lat))}" ${extra}/>`;
  for (const [a, b] of spec.meshEdges ?? []) {
    const na = byId.get(a);
    const nb = byId.get(b);
    if (na && nb) parts.push(line(na, nb, 'stroke="#9467bd" stroke-opacity="0.35" stroke-dasharray="4 3"'));
  }
  for (const [a, b] of spec.edges) {
    const na = byId.get(a);
    const nb = byId.get(b);
    if (na && nb) parts.push(line(na, nb, `stroke="${LEVEL_COLORS[Math.min(nb.level, LEVEL_COLORS.length - 1)]}" stroke-opacity="0.6"`));
  }
  // Deeper levels first, dedicated hubs last, so that the upper structure stays on top.
  const sorted = [...spec.nodes].sort((a, b) => Number(a.dedicated) - Number(b.dedicated) || b.level - a.level);
  for (const n of sorted) {
    const c = LEVEL_COLORS[Math.min(n.level, LEVEL_COLORS.length - 1)];
    const x = px(n.lon);
    const y = py(n.lat);
    const r = Math.max(2, 7 - n.level * 1.5);
    parts.push(
      n.dedicated
        ? `<rect x="${fmt(x - r)}" y="${fmt(y - r)}" width="${fmt(2 * r)}" height="${fmt(2 * r)}" fill="${c}" stroke="#000" stroke-width="0.7"/>`
        : `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${fmt(r)}" fill="${c}" stroke="#fff" stroke-width="0.5"/>`,
    );
    if (n.label) parts.push(`<text x="${fmt(x + r + 2)}" y="${fmt(y - r)}" font-size="10">${escapeXml(n.label)}</text>`);
  }
  const levels = [...new Set(spec.nodes.map((n) => n.level))].sort((a, b) => a - b);
  levels.forEach((lv, i) => {
    const y = m.t + 12 + i * 18;
    parts.push(
      `<circle cx="${W - m.r + 18}" cy="${y}" r="5" fill="${LEVEL_COLORS[Math.min(lv, LEVEL_COLORS.length - 1)]}"/>`,
      `<text x="${W - m.r + 30}" y="${y}" dominant-baseline="middle">level ${lv}${lv === 0 ? " (root)" : ""}</text>`,
    );
  });
  const ly = m.t + 12 + levels.length * 18 + 6;
  parts.push(
    `<rect x="${W - m.r + 13}" y="${ly - 5}" width="10" height="10" fill="#fff" stroke="#000"/>`,
    `<text x="${W - m.r + 30}" y="${ly}" dominant-baseline="middle">dedicated hub</text>`,
    `<circle cx="${W - m.r + 18}" cy="${ly + 18}" r="1.6" fill="#8fa3b8"/>`,
    `<text x="${W - m.r + 30}" y="${ly + 18}" dominant-baseline="middle">singers (sample)</text>`,
  );
  parts.push("</svg>");
  return parts.join("\n");
}
