/**
 * Transport benchmark: one PeerLink per process over real werift on loopback,
 * the receiving end in a child process so that each side's CPU is its own.
 *
 *   npx tsx bench/transport.ts [--packets 6000] [--rate 3000] [--runs 3] [--bytes 120] [--json]
 *
 * Per run: link setup time (start() -> offerer connected, across processes,
 * with a fresh child: its DTLS certificate is made during setup),
 * then `--packets` Opus-sized packets at `--rate` per second one way.
 * sendCpuUs: the sender's process CPU per packet (our wrapper, werift, SRTP,
 * the socket); sendSyncUs: the part spent inside `sendOpus` on the caller's
 * tick; recvCpuUs: the receiver's process CPU per packet, up to the `opus`
 * event. Both include werift's RTCP timers (negligible at these rates).
 * Figures are medians over the runs.
 */
import { fork, type ChildProcess } from "node:child_process";
import { PeerLink } from "../mixer-node/src/transport/index.js";

type Msg =
  | { t: "signal"; s: unknown }
  | { t: "ready" }
  | { t: "start" }
  | { t: "started" }
  | { t: "stop" }
  | { t: "stopped"; cpuUs: number; received: number };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function child(): void {
  const link = new PeerLink({ role: "answerer", loopbackOnly: true, label: "bench-rx" });
  const send = (m: Msg) => process.send!(m);
  link.on("signal", (s) => send({ t: "signal", s }));
  let received = 0;
  let cpu0 = 0;
  link.onOpus(() => {
    received++;
  });
  send({ t: "ready" });
  process.on("message", (m: Msg) => {
    if (m.t === "signal") link.handleSignal(m.s);
    else if (m.t === "start") {
      received = 0;
      cpu0 = cpuUs();
      send({ t: "started" });
    } else if (m.t === "stop") {
      // The stop message can overtake datagrams still queued: report once quiet.
      const poll = setInterval(() => {
        const last = link.getStats().lastReceivedMs ?? 0;
        if (performance.now() - last < 100) return;
        clearInterval(poll);
        send({ t: "stopped", cpuUs: cpuUs() - cpu0, received });
        void link.close().then(() => process.exit(0));
      }, 20);
    }
  });
}

async function run(packets: number, rate: number, bytes: number) {
  const proc: ChildProcess = fork(process.argv[1], ["--child"], { execArgv: process.execArgv });
  const next = (type: Msg["t"]) =>
    new Promise<Msg>((resolve) => {
      const on = (m: Msg) => {
        if (m.t !== type) return;
        proc.off("message", on);
        resolve(m);
      };
      proc.on("message", on);
    });
  const link = new PeerLink({ role: "offerer", loopbackOnly: true, label: "bench-tx" });
  link.on("signal", (s) => proc.send({ t: "signal", s } satisfies Msg));
  proc.on("message", (m: Msg) => {
    if (m.t === "signal") link.handleSignal(m.s);
  });
  await next("ready"); // module loading is not link setup
  const connected = new Promise<void>((resolve) => link.on("state", (s) => s === "connected" && resolve()));
  const t0 = performance.now();
  link.start();
  await connected;
  const setupMs = performance.now() - t0;
  await sleep(200);

  const payload = new Uint8Array(bytes).fill(7);
  proc.send({ t: "start" } satisfies Msg);
  await next("started");
  const cpu0 = cpuUs();
  const tickMs = 5;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  let sent = 0;
  let syncMs = 0;
  const start = performance.now();
  for (let tick = 0; sent < packets; tick++) {
    const wait = start + tick * tickMs - performance.now();
    if (wait > 1) await sleep(wait);
    const s0 = performance.now();
    for (let k = 0; k < perTick && sent < packets; k++, sent++) link.sendOpus(payload, 480);
    syncMs += performance.now() - s0;
  }
  await sleep(200);
  const sendCpu = cpuUs() - cpu0;
  proc.send({ t: "stop" } satisfies Msg);
  const stopped = (await next("stopped")) as Extract<Msg, { t: "stopped" }>;
  await link.close();
  await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once("exit", r)));
  return {
    setupMs,
    sendCpuUs: sendCpu / packets,
    sendSyncUs: (syncMs * 1000) / packets,
    recvCpuUs: stopped.cpuUs / packets,
    lost: packets - stopped.received,
  };
}

async function main(): Promise<void> {
  const packets = arg("packets", 6000);
  const rate = arg("rate", 3000);
  const runs = arg("runs", 3);
  const bytes = arg("bytes", 120);
  const json = process.argv.includes("--json");
  const results: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await run(packets, rate, bytes);
    results.push(r);
    if (!json) {
      console.log(
        `run ${i + 1}: setup ${r.setupMs.toFixed(0)} ms, send ${r.sendCpuUs.toFixed(1)} µs/pkt ` +
          `(sync ${r.sendSyncUs.toFixed(1)}), receive ${r.recvCpuUs.toFixed(1)} µs/pkt, lost ${r.lost}`,
      );
    }
  }
  const m = (k: keyof (typeof results)[number]) => Math.round(median(results.map((r) => r[k])) * 10) / 10;
  const summary = {
    packets,
    rate,
    bytes,
    runs,
    setupMs: m("setupMs"),
    sendCpuUs: m("sendCpuUs"),
    sendSyncUs: m("sendSyncUs"),
    recvCpuUs: m("recvCpuUs"),
    lost: Math.max(...results.map((r) => r.lost)),
  };
  console.log(JSON.stringify(summary));
  process.exit(0);
}

if (process.argv.includes("--child")) child();
else void main();
