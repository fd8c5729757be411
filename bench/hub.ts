/**
 * `npm run bench:hub -- --json`: one dedicated hub with 16 children over real WebRTC on loopback.
 * The hub runs in a process of its own; the children run in other processes (two by default, so
 * that no single process of children saturates a core and sends late), and the hub's CPU is its
 * own. After the links settle (`--settle-s`, 12), the hub's CPU, tick lateness and concealment are
 * measured over a window (`--seconds`, 10). Last line:
 *   {"children": 16, "hubCpu": .., "tickLateP99Ms": .., "concealedShare": ..}
 */
import type { ChoirNodeStats } from "@choirmesh/mixer-node/runtime/choir-node";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { countPops } from "@choirmesh/client/choir-run";
import { RemoteNode } from "@choirmesh/client/remote-node";
import { NODE_PROCESS_FLAGS } from "@choirmesh/mixer-node/runtime/defaults";
import { startSignalingServer } from "@choirmesh/signaling/server";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import { configureLogging } from "@choirmesh/common/log";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";

const { values } = parseArgs({
  options: {
    children: { type: "string", default: "16" },
    "child-processes": { type: "string", default: "2" },
    offset: { type: "string", default: "0" },
    seconds: { type: "string", default: "10" },
    "settle-s": { type: "string", default: "12" },
    "frame-ms": { type: "string", default: "10" },
    backend: { type: "string", default: "auto" },
    json: { type: "boolean", default: false },
    "children-process": { type: "boolean", default: false },
    url: { type: "string" },
    room: { type: "string" },
  },
});
configureLogging(process.env.CHOIRMESH_LOG ?? "warn");

if (values["children-process"]) {
  // The children's side: N singers in this one process, each with a signature voice.
  const { ChoirNode } = await import("@choirmesh/mixer-node/runtime/choir-node");
  const { SignatureVoice, MAX_SIGNATURE_VOICES } = await import("@choirmesh/mixer-node/signature");
  const n = Number(values.children);
  const offset = Number(values.offset);
  const nodes: InstanceType<typeof ChoirNode>[] = [];
  for (let i = 0; i < n; i++) {
    const node = new ChoirNode({
      url: values.url!,
      room: values.room!,
      name: `child${offset + i}`,
      canHub: false,
      uploadKbps: 1000,
      voice: new SignatureVoice((offset + i) % MAX_SIGNATURE_VOICES),
      link: { loopbackOnly: true },
      rttReportMs: 0,
    });
    await node.start();
    nodes.push(node);
  }
  process.send?.({ started: n });
  const timer = setInterval(() => {
    if (nodes.every((x) => x.allLinksConnected())) {
      clearInterval(timer);
      process.send?.({ connected: true });
    }
  }, 50);
  process.on("message", async (m: { stop?: boolean }) => {
    if (m?.stop) {
      await Promise.allSettled(nodes.map((x) => x.stop()));
      process.exit(0);
    }
  });
} else {
  const children = Number(values.children);
  const seconds = Number(values.seconds);
  const frameMs = Number(values["frame-ms"]) as FrameMs;
  const out = (s: string) => (values.json ? console.error(s) : console.log(s));
  const server = await startSignalingServer({
    port: 0,
    host: "127.0.0.1",
    media: { ...DEFAULT_MEDIA, frameMs },
    planner: { maxFanout: Math.max(children, 2) },
  });
  const hub = new RemoteNode("hub");
  const procs = Math.max(1, Math.min(children, Number(values["child-processes"])));
  const kidsList = Array.from({ length: procs }, (_, p) => {
    const count = Math.floor(children / procs) + (p < children % procs ? 1 : 0);
    const offset = p * Math.floor(children / procs) + Math.min(p, children % procs);
    return fork(fileURLToPath(import.meta.url), ["--children-process", "--children", String(count), "--offset", String(offset), "--url", server.url, "--room", "bench"], {
      execArgv: [...process.execArgv, ...NODE_PROCESS_FLAGS],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
  });
  try {
    await hub.start({
      url: server.url,
      room: "bench",
      name: "hub",
      hasVoice: false,
      canHub: true,
      dedicated: true,
      uploadKbps: 1_000_000,
      link: { loopbackOnly: true },
      backend: values.backend as "auto" | "native" | "fallback",
      rttReportMs: 0,
    });
    const t0 = performance.now();
    await Promise.all(
      kidsList.map(
        (kids) =>
          new Promise<void>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error("children did not connect within 60 s")), 60_000);
            kids.on("message", (m: { connected?: boolean }) => {
              if (m?.connected) {
                clearTimeout(t);
                resolve();
              }
            });
            kids.once("exit", (code) => reject(new Error(`children process exited (${code})`)));
          }),
      ),
    );
    // Settled past the links' set-up: the clock's lateness figures cover its last 2048 ticks (20 s
    // at 10 ms), which then are the steady state only.
    const settleS = Number(values["settle-s"]);
    out(`${children} children connected after ${((performance.now() - t0) / 1000).toFixed(1)} s; settling ${settleS} s, measuring ${seconds} s`);
    await new Promise((r) => setTimeout(r, settleS * 1000));
    const a = await hub.stats();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = await hub.stats();
    const cpu = (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000 / (b.uptimeMs - a.uptimeMs);
    // The hub is the root: its inputs are exactly its children's up streams.
    const pa = countPops(a.stats);
    const pb = countPops(b.stats);
    const concealedShare = pb.total > pa.total ? (pb.conceal - pa.conceal) / (pb.total - pa.total) : NaN;
    const clock = b.stats.clock!;
    const engine = b.stats.engine!;
    out(`hub CPU ${(cpu * 100).toFixed(1)}% of a core; tick lateness p50 ${clock.latenessMs.p50.toFixed(2)} ms, p99 ${clock.latenessMs.p99.toFixed(2)} ms, max ${clock.latenessMs.max.toFixed(2)} ms; skipped ${clock.skipped}`);
    // What the concealed frames were: insertions the buffers made on purpose (a target raised by
    // a frame), packets that came after their frame had played, or none at all (underruns).
    const jitterSum = (st: ChoirNodeStats, key: "inserted" | "late" | "underruns") => (st.engine?.children ?? []).reduce((n, c) => n + c.jitter[key], 0);
    const delta = (key: "inserted" | "late" | "underruns") => jitterSum(b.stats, key) - jitterSum(a.stats, key);
    out(
      `frames from children ${pb.total - pa.total}, concealed ${pb.conceal - pa.conceal} (inserted on purpose ${delta("inserted")}, ` +
        `late packets ${delta("late")}, underruns ${delta("underruns")}); backend ${engine.backend}`,
    );
    const result = {
      children,
      frameMs,
      hubCpu: Number(cpu.toFixed(4)),
      tickLateP99Ms: Number(clock.latenessMs.p99.toFixed(3)),
      concealedShare: Number(concealedShare.toFixed(5)),
      backend: engine.backend,
    };
    console.log(JSON.stringify(result));
  } finally {
    for (const kids of kidsList) kids.send({ stop: true });
    await hub.stop();
    await new Promise((r) => setTimeout(r, 300));
    for (const kids of kidsList) if (kids.exitCode === null) kids.kill("SIGKILL");
    await server.close();
  }
  process.exit(0);
}
