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
 *
 * `--setup N` instead measures link set-up: N links made one after another inside one fresh
 * process (both ends there, each closed once connected), and prints the process CPU per link
 * (both ends' handshakes: ICE, DTLS with its key exchange and signatures, SRTP keys).
 * CHOIRMESH_WERIFT_JS_CRYPTO=1 measures werift's handshake as it ships (JavaScript X25519).
 */
import { median } from "@choirmesh/common/quantiles";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PeerLink } from "@choirmesh/mixer-node/transport";
import { compiledEntry } from "@choirmesh/common/repo-root";
import { exitOnUsageError, numberArg, parseCommandLine } from "@choirmesh/common/args";

type Msg =
  | { t: "signal"; s: unknown }
  | { t: "ready" }
  | { t: "start" }
  | { t: "started" }
  | { t: "stop" }
  | { t: "stopped"; cpuUs: number; received: number };

/** The command line (the parent's flags, or a child's --child / --setup N). */
function args() {
  try {
    return parseCommandLine(process.argv.slice(2), {
      json: { type: "boolean", default: false },
      child: { type: "boolean", default: false },
      setup: { type: "string" },
      packets: { type: "string" },
      rate: { type: "string" },
      runs: { type: "string" },
      bytes: { type: "string" },
    });
  } catch (e) {
    exitOnUsageError(e, "bench:transport");
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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

/** This benchmark's compiled entry: other benchmarks call its functions and fork it. */
const SELF = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] ? process.argv[1] : compiledEntry("bench/transport.ts");

async function run(packets: number, rate: number, bytes: number) {
  const proc: ChildProcess = fork(SELF, ["--child"], { execArgv: process.execArgv });
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

export interface TransportFigures {
  packets: number;
  rate: number;
  bytes: number;
  runs: number;
  setupMs: number;
  sendCpuUs: number;
  sendSyncUs: number;
  recvCpuUs: number;
  lost: number;
}

/** Medians over `runs` runs of one link across two processes (see the header). */
export async function measureTransport(
  opts: { packets?: number; rate?: number; bytes?: number; runs?: number; log?: (line: string) => void } = {},
): Promise<TransportFigures> {
  const { packets = 6000, rate = 3000, bytes = 120, runs = 3, log } = opts;
  const results: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await run(packets, rate, bytes);
    results.push(r);
    if (log) {
      log(
        `run ${i + 1}: setup ${r.setupMs.toFixed(0)} ms, send ${r.sendCpuUs.toFixed(1)} µs/pkt ` +
          `(sync ${r.sendSyncUs.toFixed(1)}), receive ${r.recvCpuUs.toFixed(1)} µs/pkt, lost ${r.lost}`,
      );
    }
  }
  const m = (k: keyof (typeof results)[number]) => Math.round(median(results.map((r) => r[k])) * 10) / 10;
  return {
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
}

/** CPU (ms) of one link's set-up, both ends, in a fresh process; `weriftCrypto`: werift's own. */
export function measureSetupCpu(links: number, weriftCrypto: boolean): Promise<number> {
  const env = { ...process.env, CHOIRMESH_WERIFT_JS_CRYPTO: weriftCrypto ? "1" : "0" };
  const proc = fork(SELF, ["--setup", String(links)], { execArgv: process.execArgv, env, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    proc.once("message", (m: { cpuMsPerLink: number }) => resolve(m.cpuMsPerLink));
    proc.once("exit", (code) => reject(new Error(`set-up benchmark exited (${code})`)));
  });
}

async function setupChild(links: number): Promise<void> {
  const one = async () => {
    const a = new PeerLink({ role: "offerer", loopbackOnly: true, label: "setup-a" });
    const b = new PeerLink({ role: "answerer", loopbackOnly: true, label: "setup-b" });
    a.on("signal", (s) => b.handleSignal(s));
    b.on("signal", (s) => a.handleSignal(s));
    const up = (l: PeerLink) => new Promise<void>((r) => l.on("state", (s) => s === "connected" && r()));
    const both = Promise.all([up(a), up(b)]);
    a.start();
    await both;
    return [a, b];
  };
  // The first link loads and warms the code paths (and makes the process's certificate).
  await Promise.all((await one()).map((l) => l.close()));
  let cpu = 0;
  for (let i = 0; i < links; i++) {
    const t0 = cpuUs();
    const pair = await one();
    cpu += cpuUs() - t0;
    await Promise.all(pair.map((l) => l.close()));
  }
  process.send!({ cpuMsPerLink: cpu / 1000 / links });
  process.exit(0);
}

async function main(): Promise<void> {
  const v = args();
  const json = v.json!;
  const summary = await measureTransport({
    packets: numberArg("packets", v.packets, 6000, { integer: true, min: 1 }),
    rate: numberArg("rate", v.rate, 3000, { min: 1 }),
    runs: numberArg("runs", v.runs, 3, { integer: true, min: 1 }),
    bytes: numberArg("bytes", v.bytes, 120, { integer: true, min: 1 }),
    log: json ? undefined : (line) => console.log(line),
  });
  console.log(JSON.stringify(summary));
  process.exit(0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const v = args();
  if (v.child) child();
  else if (v.setup !== undefined) void setupChild(numberArg("setup", v.setup, 20, { integer: true, min: 1 }));
  else void main();
}
