/**
 * Signaling benchmark: N real socket.io clients (websocket transport, in a child process so
 * that they do not share the server's event loop) join one room.
 *
 *   npm run bench:signaling -- [--clients 1000] [--concurrency 200] [--servers 1] [--json]
 *
 * With --servers 2 or more the servers share the room through Redis (signaling-cluster.ts) and
 * the run ends with the room's owner killed; last line
 * {"servers": S, "clients": N, "placedMs": .., "joinP99Ms": .., "failover": {"replacedMs": .., "moved": 0}}.
 *
 * joinMs is the time from emitting a join to receiving its `joined` reply; totalMs runs from the
 * first connect to the last client placed. Clients connect in a bounded window of `concurrency`
 * at a time (file descriptors, and a server accept queue of sane length).
 * Last line with --json: {"clients": N, "joinP50Ms": .., "joinP99Ms": .., "totalMs": ..}
 */
import { quantileSorted } from "@choirmesh/common/quantiles";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { io as connect, type Socket } from "socket.io-client";
import { startSignalingServer } from "@choirmesh/signaling/server";
import type { ServerMessage } from "@choirmesh/protocol";
import { clusterClients, clusterMain } from "./signaling-cluster.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "200" },
    servers: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    role: { type: "string", default: "main" },
    url: { type: "string" },
  },
  strict: true,
});
const N = Number(values.clients);
const CONCURRENCY = Number(values.concurrency);
const SERVERS = Number(values.servers);
if (!(N >= 1) || !(CONCURRENCY >= 1)) throw new Error("--clients and --concurrency must be positive");
if (!Number.isInteger(SERVERS) || SERVERS < 1) throw new Error("--servers must be a whole number >= 1");

interface ClientsResult {
  joinMs: number[];
  totalMs: number;
  failures: string[];
  /** CPU time of the client process during the joins, ms. */
  cpuMs: number;
}

/** p in percent, over an ascending list. */
const percentile = (sorted: number[], p: number): number => quantileSorted(sorted, p / 100);

function joinMessage(i: number): Record<string, unknown> {
  // A room shaped like a real one: the first node and every 20th a dedicated hub, 40% of the
  // singers able to hub at home-broadband rates, the rest leaves. Positions spread over Europe.
  const hub = i % 20 === 0;
  const canHub = hub || i % 5 < 2;
  return {
    type: "join",
    v: 1,
    room: "bench",
    name: hub ? `hub${i}` : `singer${i}`,
    section: hub ? "" : ["soprano", "alto", "tenor", "bass"][i % 4],
    canHub,
    uploadKbps: hub ? 100_000 : canHub ? 1500 + ((i * 37) % 3500) : 800,
    hasVoice: !hub,
    dedicated: hub,
    latency: { location: { lat: 38 + ((i * 7919) % 2000) / 100, lon: -8 + ((i * 104729) % 3200) / 100 } },
  };
}

/** One join and leave in a room of its own, so that lazy module loading and JIT warm-up stay out of the figures. */
async function warmUp(url: string): Promise<void> {
  const s = connect(url, { transports: ["websocket"], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => s.emit("msg", { ...joinMessage(0), room: "warm-up" }));
    s.on("msg", (m: ServerMessage) => {
      if (m.type === "joined") s.emit("msg", { type: "leave" });
      else if (m.type === "left") resolve();
      else if (m.type === "error") reject(new Error(`warm-up: ${m.code} ${m.message}`));
    });
    s.once("connect_error", reject);
  });
  s.disconnect();
}

async function runClients(url: string): Promise<{ result: ClientsResult; sockets: Socket[] }> {
  await warmUp(url);
  const sockets: Socket[] = [];
  const joinMs: number[] = [];
  const failures: string[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let next = 0;
  let lastPlaced = t0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const s = connect(url, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: 20_000 });
      sockets.push(s);
      let sentAt = 0;
      s.once("connect", () => {
        sentAt = performance.now();
        s.emit("msg", joinMessage(i));
      });
      s.on("msg", (m: ServerMessage) => {
        if (m.type === "joined") {
          const now = performance.now();
          joinMs.push(now - sentAt);
          lastPlaced = now;
          resolve();
        } else if (m.type === "error") {
          failures.push(`${i}: ${m.code} ${m.message}`);
          resolve();
        }
      });
      s.once("connect_error", (e) => {
        failures.push(`${i}: connect ${e.message}`);
        resolve();
      });
    });
  const worker = async () => {
    while (next < N) await one(next++);
  };
  // The first client opens the room as its root hub before the crowd arrives.
  await one(next++);
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, N) }, worker));
  const cpu = process.cpuUsage(cpu0);
  return { result: { joinMs, totalMs: lastPlaced - t0, failures, cpuMs: (cpu.user + cpu.system) / 1000 }, sockets };
}

async function clientsRole(): Promise<void> {
  const { result, sockets } = await runClients(values.url!);
  process.send!({ result });
  process.once("message", () => {
    for (const s of sockets) s.disconnect();
    setTimeout(() => process.exit(0), 100);
  });
}

async function main(): Promise<void> {
  const server = await startSignalingServer({
    port: 0,
    host: "127.0.0.1",
    logLevel: "warn",
    maxRoomSize: Math.max(2000, N),
    // Every client comes from 127.0.0.1: the per-address limits would be the benchmark.
    joinRatePerIp: { burst: N + 10, perSec: N },
    maxSocketsPerIp: N + 10,
    maxRoomsPerIp: Math.max(10, N),
  });
  const child = fork(fileURLToPath(import.meta.url), ["--role", "clients", "--url", server.url, "--clients", String(N), "--concurrency", String(CONCURRENCY)], {
    execArgv: process.execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await warmUp(server.url);
  const cpu0 = process.cpuUsage();
  const result = await new Promise<ClientsResult>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { result: ClientsResult }).result));
    child.once("exit", (code) => reject(new Error(`client process exited with ${code}`)));
  });
  const serverCpu = process.cpuUsage(cpu0);
  const serverCpuMs = Math.round((serverCpu.user + serverCpu.system) / 1000);
  const tree = server.tree("bench");
  const placed = tree.nodes.filter((n) => n.parent !== null || n.id === tree.root).length;
  const depth = Math.max(0, ...tree.nodes.map((n) => n.depth));
  // Server first: a closing server announces nothing, so 1000 leaves do not churn the tree.
  await server.close();
  child.send("close");
  await new Promise((r) => child.once("exit", r));

  const sorted = [...result.joinMs].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  const out = {
    clients: N,
    joinP50Ms: round(percentile(sorted, 50)),
    joinP99Ms: round(percentile(sorted, 99)),
    totalMs: Math.round(result.totalMs),
  };
  console.log(
    `signaling: ${N} clients, ${placed} placed in the tree (depth ${depth}), ${result.failures.length} failures; ` +
      `join p50 ${out.joinP50Ms} ms, p99 ${out.joinP99Ms} ms, max ${round(sorted[sorted.length - 1] ?? NaN)} ms; ` +
      `all placed in ${out.totalMs} ms (target 5000), concurrency ${CONCURRENCY}; ` +
      `CPU: server ${serverCpuMs} ms, clients ${Math.round(result.cpuMs)} ms`,
  );
  for (const f of result.failures.slice(0, 5)) console.log(`  failure ${f}`);
  if (values.json) console.log(JSON.stringify(out));
  if (result.failures.length > 0 || placed !== N) process.exitCode = 1;
}

if (values.role === "clients") await clientsRole();
else if (values.role === "cluster-clients") await clusterClients(values.url!.split(","), N, CONCURRENCY, joinMessage);
else if (SERVERS > 1) await clusterMain({ servers: SERVERS, clients: N, concurrency: CONCURRENCY, json: values.json, joinMessage, percentile });
else await main();
