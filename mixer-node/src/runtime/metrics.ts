/**
 * What a hub operator wants to see, in Prometheus text format: links and their RTT, jitter-buffer
 * delay and concealed frames per input, tick lateness, and the process's CPU. Read at scrape
 * time from the node's own statistics: monitoring never touches the audio path.
 */
import http from "node:http";
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE, type Labels } from "@choirmesh/common/metrics";
import type { ChoirNode } from "./choir-node.js";

interface InputStats {
  jitter?: { delayMs?: number; depth?: number; underruns?: number; late?: number };
  pops?: { packet: number; fec: number; conceal: number; silence: number };
}

function inputs(node: ChoirNode): { labels: Labels; s: InputStats }[] {
  const e = node.engine?.toJSON() as { parent?: InputStats | null; children?: Record<string, InputStats> } | undefined;
  if (!e) return [];
  const out: { labels: Labels; s: InputStats }[] = [];
  if (e.parent) out.push({ labels: { input: "parent", peer: node.parentId ?? "" }, s: e.parent });
  const ids = node.childIds;
  for (const [slot, s] of Object.entries(e.children ?? {})) out.push({ labels: { input: `child${slot}`, peer: ids[Number(slot)] ?? "" }, s });
  return out;
}

export function createNodeMetrics(node: ChoirNode): MetricsRegistry {
  const reg = new MetricsRegistry();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  reg.gauge("choirmesh_node_links", "Links of this node by role and state", () => {
    const counts = new Map<string, number>();
    for (const l of node.linkInfo()) counts.set(`${l.role}|${l.state}`, (counts.get(`${l.role}|${l.state}`) ?? 0) + 1);
    return [...counts].map(([k, value]) => {
      const [role, state] = k.split("|");
      return { labels: { role, state }, value };
    });
  });
  reg.gauge("choirmesh_node_link_rtt_ms", "Round-trip time per link from RTCP, ms", () =>
    node.linkInfo().filter((l) => l.rttMs !== null).map((l) => ({ labels: { peer: l.peer, role: l.role }, value: l.rttMs! })),
  );
  reg.gauge("choirmesh_node_jitter_delay_ms", "Jitter-buffer play-out delay per input, ms", () =>
    inputs(node).map(({ labels, s }) => ({ labels, value: s.jitter?.delayMs ?? NaN })),
  );
  reg.gauge("choirmesh_node_frames_concealed", "Frames concealed per input since it attached", () =>
    inputs(node).map(({ labels, s }) => ({ labels, value: s.pops?.conceal ?? 0 })),
  );
  reg.gauge("choirmesh_node_frames_played", "Frames decoded, concealed or recovered per input since it attached", () =>
    inputs(node).map(({ labels, s }) => ({ labels, value: s.pops ? s.pops.packet + s.pops.fec + s.pops.conceal : 0 })),
  );
  reg.gauge("choirmesh_node_tick_lateness_p99_ms", "99th percentile of tick start after its deadline, ms", () => node.clock?.toJSON().latenessMs.p99 ?? NaN);
  reg.gauge("choirmesh_node_ticks_skipped", "Ticks skipped because the clock fell too far behind", () => node.clock?.toJSON().skipped ?? 0);
  reg.gauge("choirmesh_node_cpu_share", "Process CPU since start, share of one core", () => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1000 / Math.max(1, performance.now() - t0);
  });
  return reg;
}

/** Serves /metrics for a node on host:port; resolves with the bound port. */
export function serveNodeMetrics(node: ChoirNode, port: number, host = "127.0.0.1"): Promise<{ port: number; close: () => Promise<void> }> {
  const reg = createNodeMetrics(node);
  const server = http.createServer((req, res) => {
    if (req.url === "/metrics") {
      const body = reg.render();
      res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE, "content-length": Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
    }
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
