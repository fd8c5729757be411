/**
 * The signaling benchmark on several servers sharing one room through Redis (a real
 * redis-server, servers as processes of their own, clients in another): joins alternate between
 * the servers; then the room's owner is killed (SIGKILL) and every client it held reconnects to
 * another server and resumes with its token and its place.
 *
 * placedMs: first connect to the last client placed. failover.replacedMs: from the kill to the
 * last of the killed server's clients placed again; failover.moved: clients whose parent or
 * children changed (in their resume reply, or in a tree-update to anyone) in the failover.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { io as connect, type Socket } from "socket.io-client";
import type { JoinedMessage, ServerMessage, TreeMessage } from "@choirmesh/protocol";
import { startRedis } from "@choirmesh/signaling/redis-process";
import { spawnSignaling, type SignalingProcess } from "@choirmesh/signaling/server-process";

export interface ClusterBenchArgs {
  servers: number;
  clients: number;
  concurrency: number;
  json: boolean;
  joinMessage: (i: number) => Record<string, unknown>;
  percentile: (sorted: number[], p: number) => number;
}

interface Member {
  i: number;
  server: number;
  socket: Socket;
  joined?: JoinedMessage;
  known?: { parent: string | null; children: string[] };
}

interface JoinReport {
  joinMs: number[];
  placedMs: number;
  failures: string[];
  placed: number;
  depth: number;
  cpuMs: number;
}

interface FailoverReport {
  replacedMs: number;
  held: number;
  resumed: number;
  moved: number;
  retries: number;
  failures: string[];
}

const TIMEOUT_MS = 60_000;

/** The client process: joins, then (on "kill") follows the failover of server 0's clients. */
export async function clusterClients(urls: string[], n: number, concurrency: number, joinMessage: (i: number) => Record<string, unknown>): Promise<void> {
  const members: Member[] = [];
  const joinMs: number[] = [];
  const failures: string[] = [];
  let moved = 0;
  let failoverStarted = false;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let lastPlaced = t0;
  const watch = (m: Member, s: Socket) =>
    s.on("msg", (msg: ServerMessage) => {
      if (msg.type === "tree-update") {
        if (failoverStarted && m.known && (msg.parent !== m.known.parent || [...msg.children].sort().join() !== [...m.known.children].sort().join())) moved++;
        m.known = { parent: msg.parent, children: msg.children };
      }
    });
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const server = i % urls.length;
      const s = connect(urls[server]!, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: 20_000 });
      const m: Member = { i, server, socket: s };
      members.push(m);
      watch(m, s);
      let sentAt = 0;
      s.once("connect", () => {
        sentAt = performance.now();
        s.emit("msg", joinMessage(i));
      });
      const onMsg = (msg: ServerMessage) => {
        if (msg.type === "joined") {
          const now = performance.now();
          joinMs.push(now - sentAt);
          lastPlaced = now;
          m.joined = msg;
          m.known = { parent: msg.parent, children: msg.children };
          s.off("msg", onMsg);
          resolve();
        } else if (msg.type === "error") {
          failures.push(`${i}: ${msg.code} ${msg.message}`);
          s.off("msg", onMsg);
          resolve();
        }
      };
      s.on("msg", onMsg);
      s.once("connect_error", (e) => {
        failures.push(`${i}: connect ${e.message}`);
        resolve();
      });
    });
  let next = 0;
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await one(next++);
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  const placedMs = lastPlaced - t0;
  const cpu = process.cpuUsage(cpu0);
  // The tree as the cluster has it, asked on the last server (the room's owner is server 0).
  const asker = members.find((m) => m.server === urls.length - 1 && m.joined) ?? members[0]!;
  const tree = await new Promise<TreeMessage>((resolve) => {
    const on = (msg: ServerMessage) => {
      if (msg.type === "tree") {
        asker.socket.off("msg", on);
        resolve(msg);
      }
    };
    asker.socket.on("msg", on);
    asker.socket.emit("msg", { type: "tree" });
  });
  const placed = tree.nodes.filter((x) => x.parent !== null || x.id === tree.root).length;
  const depth = Math.max(0, ...tree.nodes.map((x) => x.depth));
  const report: JoinReport = { joinMs, placedMs, failures, placed, depth, cpuMs: (cpu.user + cpu.system) / 1000 };
  process.send!({ joins: report });

  const killed = await new Promise<number>((resolve) => process.once("message", (msg) => resolve((msg as { killedAt: number }).killedAt)));
  failoverStarted = true;
  const held = members.filter((m) => m.server === 0 && m.joined);
  const foFailures: string[] = [];
  let retries = 0;
  let lastBack = Date.now();
  const resumeOne = (m: Member, connected: () => void) =>
    new Promise<void>((resolve) => {
      const target = 1 + (m.i % (urls.length - 1));
      const s = connect(urls[target]!, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: 20_000 });
      const was = m.known!;
      watch(m, s);
      const send = () =>
        s.emit("msg", { ...joinMessage(m.i), resume: m.joined!.resumeToken, restore: { parent: was.parent, backup: m.joined!.backup, children: was.children } });
      s.once("connect", () => {
        connected();
        send();
      });
      s.on("msg", (msg: ServerMessage) => {
        if (msg.type === "joined") {
          lastBack = Date.now();
          if (msg.id !== m.joined!.id || msg.parent !== was.parent || [...msg.children].sort().join() !== [...was.children].sort().join()) moved++;
          m.known = { parent: msg.parent, children: msg.children };
          m.socket = s;
          resolve();
        } else if (msg.type === "error") {
          if (msg.code === "resume-in-use" || msg.code === "unavailable") {
            retries++;
            setTimeout(send, 100);
          } else {
            foFailures.push(`${m.i}: ${msg.code} ${msg.message}`);
            resolve();
          }
        }
      });
      s.once("connect_error", (e) => {
        foFailures.push(`${m.i}: connect ${e.message}`);
        connected();
        resolve();
      });
    });
  // Every held client notices its socket close and comes back at once (a bounded window of them).
  await Promise.all(held.map((m) => new Promise<void>((r) => (m.socket.disconnected ? r() : m.socket.once("disconnect", () => r())))));
  // Connections open in a bounded window; the resumes themselves are not waited for in it.
  let k = 0;
  const pending: Promise<void>[] = [];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, held.length) }, async () => {
      while (k < held.length) {
        const m = held[k++]!;
        let connected!: () => void;
        const up = new Promise<void>((r) => (connected = r));
        pending.push(resumeOne(m, connected));
        await up;
      }
    }),
  );
  await Promise.all(pending);
  await new Promise((r) => setTimeout(r, 500)); // late tree-updates count as moves too
  const fo: FailoverReport = { replacedMs: lastBack - killed, held: held.length, resumed: held.length - foFailures.length, moved, retries, failures: foFailures };
  process.send!({ failover: fo });
  process.once("message", () => {
    for (const m of members) m.socket.disconnect();
    setTimeout(() => process.exit(0), 100);
  });
}

export async function clusterMain(a: ClusterBenchArgs): Promise<void> {
  const N = a.clients;
  const redis = await startRedis();
  const limits = ["--max-room-size", String(N + 10), "--join-rate-burst", String(2 * N + 10), "--join-rate-per-sec", String(N), "--max-sockets-per-ip", String(2 * N + 10), "--log-level", "warn"];
  const servers: SignalingProcess[] = [];
  const child = (() => {
    let c: ReturnType<typeof fork> | undefined;
    return {
      start(urls: string[]) {
        c = fork(fileURLToPath(new URL("./signaling.js", import.meta.url)), ["--role", "cluster-clients", "--url", urls.join(","), "--clients", String(N), "--concurrency", String(a.concurrency)], {
          execArgv: process.execArgv,
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        return c;
      },
      get proc() {
        return c!;
      },
    };
  })();
  try {
    for (let s = 0; s < a.servers; s++) servers.push(await spawnSignaling(["--redis", redis.url, ...limits]));
    const proc = child.start(servers.map((s) => s.url));
    const next = <T>(key: string) =>
      new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${key} report within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
        const on = (m: unknown) => {
          if (m && typeof m === "object" && key in m) {
            clearTimeout(t);
            proc.off("message", on);
            resolve((m as Record<string, T>)[key]!);
          }
        };
        proc.on("message", on);
        proc.once("exit", (code) => reject(new Error(`client process exited with ${code}`)));
      });
    const joins = await next<JoinReport>("joins");
    await new Promise((r) => setTimeout(r, 500)); // the owner's last saves land
    const killedAt = Date.now();
    await servers[0]!.kill();
    proc.send({ killedAt });
    const fo = await next<FailoverReport>("failover");
    const took = servers.slice(1).flatMap((s) => s.log).find((l) => l.includes("room taken over"));
    const takeoverMs = took ? Date.parse(took.slice(0, 24)) - killedAt : NaN;
    proc.send("close");
    await new Promise((r) => proc.once("exit", r));

    const sorted = [...joins.joinMs].sort((x, y) => x - y);
    const round = (x: number) => Math.round(x * 10) / 10;
    const out = {
      servers: a.servers,
      clients: N,
      placedMs: Math.round(joins.placedMs),
      joinP99Ms: round(a.percentile(sorted, 99)),
      failover: { replacedMs: fo.replacedMs, moved: fo.moved },
    };
    console.log(
      `signaling on ${a.servers} servers and Redis: ${N} clients, ${joins.placed} placed in one tree (depth ${joins.depth}), ${joins.failures.length} failures; ` +
        `join p50 ${round(a.percentile(sorted, 50))} ms, p99 ${out.joinP99Ms} ms; all placed in ${out.placedMs} ms (target 15000, aim 10000 for 10,000); ` +
        `client CPU ${Math.round(joins.cpuMs)} ms`,
    );
    console.log(
      `failover: the room's owner killed; its ${fo.held} clients placed again on the others in ${fo.replacedMs} ms (target 3000), ` +
        `the room taken over ${takeoverMs} ms after the kill, ${fo.resumed} resumed, ${fo.moved} moved, ${fo.retries} retries (resume-in-use or unavailable), ${fo.failures.length} failures`,
    );
    for (const f of [...joins.failures, ...fo.failures].slice(0, 5)) console.log(`  failure ${f}`);
    if (a.json) console.log(JSON.stringify(out));
    if (joins.failures.length > 0 || joins.placed !== N || fo.failures.length > 0 || fo.moved > 0) process.exitCode = 1;
  } finally {
    for (const s of servers) await s.kill();
    await redis.stop();
  }
}
