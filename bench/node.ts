/**
 * `npm run bench:node -- --json`: what one live node costs, over real WebRTC on loopback.
 *
 * A dedicated hub with `--children` (16) leaf singers, each node a process of its own as the
 * demo runs them. The leaves start one after another (each joins before the next process
 * loads), so that start-up never starves those already singing. Once every link is up the
 * choir sings `--settle-s` (20) seconds, then the CPU of every process is read from
 * /proc/PID/stat over `--window-s` (10) seconds: `leafCpu` is the median leaf (one link),
 * `hub16Cpu` the hub. Then one link's per-packet cost across two processes (bench:transport)
 * and the CPU one link's set-up costs (both ends, in a fresh process), with the handshake as
 * werift ships it and as the runtime runs it. Last line:
 *   {"frameMs": 10, "leafCpu": .., "hub16Cpu": .., "sendUsPerPacket": .., "recvUsPerPacket": ..,
 *    "setupCpuMsPerLink": .., "setupCpuMsPerLinkWerift": .., ...}
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { countPops } from "@choirmesh/client/choir-run";
import { RemoteNode } from "@choirmesh/client/remote-node";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { MAX_SIGNATURE_VOICES } from "@choirmesh/mixer-node/signature";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import { configureLogging } from "@choirmesh/common/log";
import { startSignalingServer } from "@choirmesh/signaling/server";
import { quantileSorted } from "@choirmesh/common/quantiles";
import { measureSetupCpu, measureTransport } from "./transport.js";

const { values } = parseArgs({
  options: {
    children: { type: "string", default: "16" },
    "settle-s": { type: "string", default: "20" },
    "window-s": { type: "string", default: "10" },
    "frame-ms": { type: "string", default: "10" },
    "setup-links": { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
});
configureLogging(process.env.CHOIRMESH_LOG ?? "warn");
const children = Number(values.children);
const settleS = Number(values["settle-s"]);
const windowS = Number(values["window-s"]);
const frameMs = Number(values["frame-ms"]) as FrameMs;
if (!(children >= 1 && children <= MAX_SIGNATURE_VOICES)) throw new RangeError(`--children must be 1..${MAX_SIGNATURE_VOICES}`);
const say = (s: string) => (values.json ? console.error(s) : console.log(s));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
const CLK_TCK = 100; // Linux's USER_HZ
function procCpuS(pid: number, which: "all" | "system" = "all"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const system = Number(fields[12]); // stime (field 15)
  return (which === "system" ? system : Number(fields[11]) + system) / CLK_TCK; // + utime (field 14)
}

const server = await startSignalingServer({
  port: 0,
  host: "127.0.0.1",
  media: { ...DEFAULT_MEDIA, frameMs },
  planner: { maxFanout: Math.max(children, 2) },
});
const common = { url: server.url, room: "bench-node", link: { loopbackOnly: true } } as const;
const hub = new RemoteNode("hub");
const leaves: RemoteNode[] = [];
try {
  await hub.start({ ...common, name: "hub", hasVoice: false, canHub: true, dedicated: true, uploadKbps: 1_000_000 });
  const t0 = performance.now();
  for (let i = 0; i < children; i++) {
    const leaf = new RemoteNode(`leaf${i}`);
    leaves.push(leaf);
    await leaf.start({ ...common, name: `leaf${i}`, canHub: false, uploadKbps: 1000, voiceIndex: i });
  }
  for (;;) {
    const st = await hub.state();
    if (st.connected && st.children.length === children) break;
    if (performance.now() - t0 > 60_000) throw new Error(`only ${st.children.length} of ${children} children connected within 60 s`);
    await sleep(200);
  }
  say(`${children} leaves joined and connected after ${((performance.now() - t0) / 1000).toFixed(1)} s; singing ${settleS} s before measuring ${windowS} s`);
  await sleep(settleS * 1000);

  const pids = [hub, ...leaves].map((n) => n.child.pid!);
  const hubBefore = await hub.stats();
  const cpu0 = pids.map((p) => procCpuS(p));
  const sys0 = pids.map((p) => procCpuS(p, "system"));
  const w0 = performance.now();
  await sleep(windowS * 1000);
  const cpu1 = pids.map((p) => procCpuS(p));
  const sys1 = pids.map((p) => procCpuS(p, "system"));
  const wallS = (performance.now() - w0) / 1000;
  const hubAfter = await hub.stats();
  const shares = cpu1.map((c, i) => (c - cpu0[i]) / wallS);
  const hubCpu = shares[0];
  const leafShares = shares.slice(1).sort((a, b) => a - b);
  const leafCpu = quantileSorted(leafShares, 0.5);
  const sysShares = sys1.map((c, i) => (c - sys0[i]) / wallS);
  const leafSys = quantileSorted(sysShares.slice(1).sort((a, b) => a - b), 0.5);
  const pa = countPops(hubBefore.stats);
  const pb = countPops(hubAfter.stats);
  const concealed = pb.conceal - pa.conceal;
  const clock = hubAfter.stats.clock as { latenessMs: { p99: number } };
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  say(
    `hub ${(hubCpu * 100).toFixed(1)}% of a core (system ${(sysShares[0] * 100).toFixed(1)}%); leaves median ${(leafCpu * 100).toFixed(1)}% (system ${(leafSys * 100).toFixed(1)}%) (min ${(leafShares[0] * 100).toFixed(1)}, max ${(leafShares[leafShares.length - 1] * 100).toFixed(1)}); ` +
      `hub concealed ${concealed} of ${pb.total - pa.total} frames, tick lateness p99 ${clock.latenessMs.p99.toFixed(1)} ms; load ${load}`,
  );
  await Promise.allSettled([hub, ...leaves].map((n) => n.stop()));

  const transport = await measureTransport({ runs: 3, log: values.json ? undefined : say });
  say(`per packet: send ${transport.sendCpuUs} µs, receive ${transport.recvCpuUs} µs (process CPU at ${transport.rate} packets/s)`);
  const setupLinks = Number(values["setup-links"]);
  const setupWerift = await measureSetupCpu(setupLinks, true);
  const setup = await measureSetupCpu(setupLinks, false);
  say(`link set-up CPU, both ends: ${setup.toFixed(1)} ms (werift's own handshake crypto: ${setupWerift.toFixed(1)} ms)`);
  const round = (x: number, d = 4) => Number(x.toFixed(d));
  console.log(
    JSON.stringify({
      frameMs,
      leafCpu: round(leafCpu),
      hub16Cpu: round(hubCpu),
      sendUsPerPacket: transport.sendCpuUs,
      recvUsPerPacket: transport.recvCpuUs,
      setupCpuMsPerLink: round(setup, 1),
      setupCpuMsPerLinkWerift: round(setupWerift, 1),
      children,
      hubConcealed: concealed,
      hubTickLateP99Ms: round(clock.latenessMs.p99, 2),
      loadAvg: load,
    }),
  );
} finally {
  await Promise.allSettled([hub, ...leaves].map((n) => n.stop()));
  await server.close();
}
process.exit(0);
