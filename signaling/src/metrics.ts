/**
 * The signaling server's metrics, on prom-client: counters by label, gauges read from live state
 * at scrape time, and a histogram of how long a join takes to place (its tail matters more than
 * its mean: a slow join is a singer waiting). Served at /metrics.
 */
import { Counter, Gauge, Histogram, Registry, type LabelValues } from "prom-client";

export interface SignalingGaugeSources {
  rooms: () => number;
  nodes: () => number;
  connections: () => number;
}

export function createSignalingMetrics(read: SignalingGaugeSources) {
  const registry = new Registry();
  const registers = [registry];
  const live = (name: string, help: string, source: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(source());
      },
    });
  live("choirmesh_signaling_rooms", "Open rooms (in a cluster: the rooms this process owns).", read.rooms);
  live("choirmesh_signaling_nodes", "Nodes in rooms (placed or waiting for a slot), all rooms.", read.nodes);
  live("choirmesh_signaling_connections", "Open socket.io connections.", read.connections);
  return {
    registry,
    joins: new Counter({ name: "choirmesh_signaling_joins_total", help: "Joins accepted (resumes included).", registers }),
    joinSeconds: new Histogram({
      name: "choirmesh_signaling_join_seconds",
      help: "Time from a join's arrival to its reply (checks, placement, announcements), seconds.",
      buckets: [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1],
      registers,
    }),
    leaves: new Counter({ name: "choirmesh_signaling_leaves_total", help: "Nodes removed from a tree (leave or disconnect).", registers }),
    errors: new Counter({ name: "choirmesh_signaling_errors_total", help: "Error replies sent, by code.", labelNames: ["code"] as const, registers }),
    signals: new Counter({ name: "choirmesh_signaling_signals_relayed_total", help: "Signals relayed between neighbours, by kind.", labelNames: ["kind"] as const, registers }),
    moves: new Counter({ name: "choirmesh_signaling_tree_updates_total", help: "tree-update messages sent.", registers }),
    rtts: new Counter({ name: "choirmesh_signaling_rtt_samples_total", help: "RTT samples fed to the planner.", registers }),
    floods: new Counter({ name: "choirmesh_signaling_flood_disconnects_total", help: "Sockets disconnected for flooding.", registers }),
    // A cluster (--redis): what this process forwarded to rooms' owners, and rooms it took over.
    forwarded: new Counter({ name: "choirmesh_signaling_forwarded_total", help: "Client messages forwarded to the process that owns their room.", registers }),
    takeovers: new Counter({ name: "choirmesh_signaling_takeovers_total", help: "Rooms taken over from their saved state (their owner died or handed them back).", registers }),
  };
}

export type SignalingMetrics = ReturnType<typeof createSignalingMetrics>;

/** The current value of a counter or gauge series (tests and benchmarks read them this way). */
export async function metricValue<T extends string>(metric: Counter<T> | Gauge<T>, labels: LabelValues<T> = {}): Promise<number> {
  const { values } = await metric.get();
  const want = Object.entries(labels);
  const hit = values.find((v) => want.every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === String(x)) && Object.keys(v.labels).length === want.length);
  return hit?.value ?? 0;
}
