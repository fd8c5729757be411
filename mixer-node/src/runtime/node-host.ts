/**
 * Runs one ChoirNode in its own process, driven over Node's IPC channel by a parent (the demo,
 * tests and benchmarks start each singer and hub as a separate process, as they would be on
 * separate machines). Messages are requests `{ rid, cmd, ... }` answered by `{ rid, ok, ... }`.
 *
 * Start it with `fork(node-host.ts, { serialization: "advanced" })` so recordings travel as
 * Float32Arrays rather than JSON.
 */
import { loadCodecBackend } from "../codec/index.js";
import { SignatureVoice } from "../signature.js";
import { ChoirNode, type ChoirNodeOptions } from "./choir-node.js";
import { checkPathDelays, type PathDelay } from "./path-delays.js";

export type HostNodeOptions = Omit<ChoirNodeOptions, "voice" | "backend"> & {
  /** Sing signature voice i (see signature.ts); no voice when absent. */
  voiceIndex?: number;
  backend?: "auto" | "native" | "fallback";
};

export type HostRequest =
  | { rid: number; cmd: "start"; opts: HostNodeOptions }
  | { rid: number; cmd: "record"; seconds: number }
  | { rid: number; cmd: "recording"; mix?: boolean }
  | { rid: number; cmd: "stats" }
  | { rid: number; cmd: "state" }
  | { rid: number; cmd: "link"; peer: string; action: "cut" | "restore" | "impair"; durationMs?: number; lossRate?: number }
  | { rid: number; cmd: "paths"; delays: Record<string, PathDelay> }
  | { rid: number; cmd: "leave" }
  | { rid: number; cmd: "stop" };

export interface HostState {
  id: string | null;
  parent: string | null;
  children: string[];
  connected: boolean;
  /** Rejoins after signaling outages so far. */
  resumes: number;
}

let node: ChoirNode | null = null;
const problems: string[] = [];
/** Path delays given before the node started. */
let earlyPaths: Record<string, PathDelay> = {};
/** Healing events with their wall-clock time (ms), for chaos runs to line up with the audio. */
const healing: { atMs: number; event: unknown }[] = [];

function reply(rid: number, body: Record<string, unknown>): void {
  process.send?.({ rid, ...body });
}

async function handle(req: HostRequest): Promise<Record<string, unknown>> {
  switch (req.cmd) {
    case "start": {
      if (node) throw new Error("already started");
      const { voiceIndex, backend, ...rest } = req.opts;
      node = new ChoirNode({
        ...rest,
        backend: loadCodecBackend(backend ?? "auto"),
        voice: voiceIndex === undefined ? null : new SignatureVoice(voiceIndex),
      });
      node.paths.set(earlyPaths);
      node.on("problem", (where, message) => {
        if (problems.length < 200) problems.push(`${where}: ${message}`);
      });
      node.on("healing", (event) => {
        if (healing.length < 500) healing.push({ atMs: performance.timeOrigin + performance.now(), event });
      });
      node.on("neighbours", (parent, children) => {
        if (healing.length < 500) healing.push({ atMs: performance.timeOrigin + performance.now(), event: { kind: "neighbours", parent, children } });
      });
      const joined = await node.start();
      return { id: joined.id, joined };
    }
    case "record": {
      const rec = need().startRecording(req.seconds);
      return { startAbs: rec.startAbs };
    }
    case "recording": {
      const rec = need().recorder;
      if (!rec) throw new Error("not recording");
      // The full mix only when asked: copying and sending megabytes stalls the node's audio.
      const mix = req.mix === false ? new Float32Array(0) : rec.mix.slice(0, rec.length);
      return { startAbs: rec.startAbs, length: rec.length, hear: rec.hear.slice(0, rec.length), mix };
    }
    case "stats":
      return { stats: need().toJSON(), cpu: process.cpuUsage(), uptimeMs: performance.now(), problems: problems.slice(), healing: healing.slice() };
    case "state": {
      const n = need();
      const state: HostState = { id: n.id, parent: n.parentId, children: n.childIds, connected: n.allLinksConnected(), resumes: n.signalingResumes };
      return { state };
    }
    case "link": {
      const link = need().linkTo(req.peer);
      if (!link) throw new Error(`no link to ${req.peer}`);
      if (req.action === "cut") link.cut(req.durationMs ?? Infinity);
      else if (req.action === "restore") link.restore();
      else link.impair({ receive: { loss: req.lossRate ?? 0 } });
      return {};
    }
    case "paths":
      // Emulated geography: the delay of the path to each peer, for links now and later (given
      // before start, the node's first links have them too).
      if (node) node.paths.set(req.delays);
      else Object.assign(earlyPaths, checkPathDelays(req.delays));
      return {};
    case "leave": {
      // The node leaves the room; the process stays, ready to start another node.
      await node?.stop();
      node = null;
      earlyPaths = {};
      problems.length = 0;
      healing.length = 0;
      // What the node left behind (its links, its engine, a recording of megabytes) is collected
      // now, while the process sings nothing, and not by a full collection in the middle of the
      // next run (measured: 33 reused processes stalled up to 250 ms each, all at once, when
      // the next recording began). Needs --expose-gc, which RemoteNode passes.
      (globalThis as { gc?: () => void }).gc?.();
      return {};
    }
    case "stop": {
      await node?.stop();
      setTimeout(() => process.exit(0), 20);
      return {};
    }
  }
}

function need(): ChoirNode {
  if (!node) throw new Error("not started");
  return node;
}

if (process.send) {
  process.on("message", (req: HostRequest) => {
    if (typeof req !== "object" || req === null || typeof req.rid !== "number") return;
    handle(req).then(
      (body) => reply(req.rid, { ok: true, ...body }),
      (err: unknown) => reply(req.rid, { ok: false, error: (err as Error)?.message ?? String(err) }),
    );
  });
  // The parent went away: leave quietly rather than sing to nobody.
  process.on("disconnect", () => {
    void (node?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
  });
  process.send({ rid: 0, ok: true, ready: true });
}
