/**
 * What a hub operator wants to see, on prom-client: links and their RTT, jitter-buffer delay and
 * concealed frames per input (each named after the peer on it now), tick lateness and the
 * process's CPU. Read at scrape time from the node's typed statistics (ChoirNodeStats): monitoring
 * never touches the audio path. Tick lateness is reported as quantiles of the clock's own window
 * (p50, p99, max), not as a mean, which would hide the late ticks that cost audio.
 */
import http from "node:http";
import { Gauge, Registry } from "prom-client";
import type { ChoirNodeStats } from "./choir-node.js";

/** What the metrics read: a node's stats (ChoirNode satisfies it). */
export interface NodeStatsSource {
  toJSON(): ChoirNodeStats;
}

export function createNodeMetrics(node: NodeStatsSource): Registry {
  const registry = new Registry();
  const registers = [registry];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // One stats snapshot per scrape, shared by every gauge of that scrape.
  let snapshot: ChoirNodeStats | null = null;
  let snapshotAt = -1;
  const stats = (): ChoirNodeStats => {
    const now = performance.now();
    if (snapshot === null || now - snapshotAt > 50) {
      snapshot = node.toJSON();
      snapshotAt = now;
    }
    return snapshot;
  };
  const perInput = (name: string, help: string, value: (i: ChoirNodeStats["inputs"][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["input", "peer"] as const,
      registers,
      collect() {
        this.reset();
        for (const i of stats().inputs) this.set({ input: i.input === "parent" ? "parent" : `child${i.slot}`, peer: i.peer }, value(i));
      },
    });

  new Gauge({
    name: "choirmesh_node_links",
    help: "Links of this node by role and state",
    labelNames: ["role", "state"] as const,
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, { role: string; state: string; n: number }>();
      for (const l of stats().links) {
        const key = `${l.role}|${l.state}`;
        const c = counts.get(key) ?? { role: l.role, state: l.state, n: 0 };
        c.n++;
        counts.set(key, c);
      }
      for (const c of counts.values()) this.set({ role: c.role, state: c.state }, c.n);
    },
  });
  new Gauge({
    name: "choirmesh_node_link_rtt_ms",
    help: "Round-trip time per link from RTCP, ms",
    labelNames: ["peer", "role"] as const,
    registers,
    collect() {
      this.reset();
      for (const l of stats().links) if (l.rttMs !== null) this.set({ peer: l.peer, role: l.role }, l.rttMs);
    },
  });
  perInput("choirmesh_node_jitter_delay_ms", "Jitter-buffer play-out delay per input, ms", (i) => i.jitter.delayMs);
  perInput("choirmesh_node_frames_concealed", "Frames concealed per input since it attached", (i) => i.pops.conceal);
  perInput("choirmesh_node_frames_played", "Frames decoded, concealed or recovered per input since it attached", (i) => i.pops.packet + i.pops.fec + i.pops.conceal);
  new Gauge({
    name: "choirmesh_node_tick_lateness_ms",
    help: "Tick start after its deadline over the clock's recent window, ms, by quantile",
    labelNames: ["quantile"] as const,
    registers,
    collect() {
      this.reset();
      const l = stats().clock?.latenessMs;
      if (!l) return;
      this.set({ quantile: "0.5" }, l.p50);
      this.set({ quantile: "0.99" }, l.p99);
      this.set({ quantile: "1" }, l.max);
    },
  });
  new Gauge({
    name: "choirmesh_node_ticks_skipped",
    help: "Ticks skipped because the clock fell too far behind",
    registers,
    collect() {
      this.set(stats().clock?.skipped ?? 0);
    },
  });
  new Gauge({
    name: "choirmesh_node_cpu_share",
    help: "Process CPU since start, share of one core",
    registers,
    collect() {
      const c = process.cpuUsage(cpu0);
      this.set((c.user + c.system) / 1000 / Math.max(1, performance.now() - t0));
    },
  });
  return registry;
}

/** Serves /metrics for a node on host:port; resolves with the bound port. */
export function serveNodeMetrics(node: NodeStatsSource, port: number, host = "127.0.0.1"): Promise<{ port: number; close: () => Promise<void> }> {
  const registry = createNodeMetrics(node);
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { "content-type": registry.contentType, "content-length": Buffer.byteLength(body) });
        res.end(body);
      },
      (err: unknown) => {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`metrics failed: ${String(err)}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        port: typeof addr === "object" && addr ? addr.port : port,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
