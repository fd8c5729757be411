/**
 * A small Prometheus text-format registry (exposition format 0.0.4): counters with labels and
 * gauges read at scrape time. No dependency; hubs can reuse it for their own /metrics.
 */

export type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  value: number;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelKey(labels: Labels | undefined): string {
  if (!labels) return "";
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return "{" + keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(",") + "}";
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

export class Counter {
  private readonly series = new Map<string, Series>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels?: Labels, by = 1): void {
    const key = labelKey(labels);
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { labels: { ...labels }, value: by });
  }
  get(labels?: Labels): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    if (this.series.size === 0) out += `${this.name} 0\n`;
    for (const [key, s] of this.series) out += `${this.name}${key} ${formatNumber(s.value)}\n`;
    return out;
  }
}

export type GaugeRead = () => number | Array<{ labels: Labels; value: number }>;

export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: GaugeRead,
  ) {}
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    let v: ReturnType<GaugeRead>;
    try {
      v = this.read();
    } catch {
      v = NaN;
    }
    if (typeof v === "number") out += `${this.name} ${formatNumber(v)}\n`;
    else for (const s of v) out += `${this.name}${labelKey(s.labels)} ${formatNumber(s.value)}\n`;
    return out;
  }
}

export class MetricsRegistry {
  private readonly items: Array<Counter | Gauge> = [];
  private readonly names = new Set<string>();

  private add<T extends Counter | Gauge>(m: T): T {
    if (this.names.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.names.add(m.name);
    this.items.push(m);
    return m;
  }
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string, read: GaugeRead): Gauge {
    return this.add(new Gauge(name, help, read));
  }
  /** The whole registry in Prometheus text format. */
  render(): string {
    return this.items.map((m) => m.render()).join("");
  }
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The signaling server's metrics; the gauges read live state through the callbacks. */
export function createSignalingMetrics(read: { rooms: () => number; nodes: () => number; connections: () => number }) {
  const registry = new MetricsRegistry();
  registry.gauge("choirmesh_signaling_rooms", "Open rooms.", read.rooms);
  registry.gauge("choirmesh_signaling_nodes", "Nodes in rooms (placed or waiting for a slot), all rooms.", read.nodes);
  registry.gauge("choirmesh_signaling_connections", "Open socket.io connections.", read.connections);
  return {
    registry,
    joins: registry.counter("choirmesh_signaling_joins_total", "Joins accepted (resumes included)."),
    leaves: registry.counter("choirmesh_signaling_leaves_total", "Nodes removed from a tree (leave or disconnect)."),
    errors: registry.counter("choirmesh_signaling_errors_total", "Error replies sent, by code."),
    signals: registry.counter("choirmesh_signaling_signals_relayed_total", "Signals relayed between neighbours, by kind."),
    moves: registry.counter("choirmesh_signaling_tree_updates_total", "tree-update messages sent."),
    rtts: registry.counter("choirmesh_signaling_rtt_samples_total", "RTT samples fed to the planner."),
    floods: registry.counter("choirmesh_signaling_flood_disconnects_total", "Sockets disconnected for flooding."),
  };
}

export type SignalingMetrics = ReturnType<typeof createSignalingMetrics>;
