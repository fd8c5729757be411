/**
 * A ChoirNode running in a child process (mixer-node/src/runtime/node-host.ts), driven over IPC.
 * Each singer and hub of a local run is its own process, as on separate machines: its tick
 * clock and event loop are its own, and it can be killed (-9) like a real one.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { JoinedMessage } from "@choirmesh/protocol";
import type { ChoirNodeStats } from "@choirmesh/mixer-node/runtime/choir-node";
import { compiledEntry } from "@choirmesh/common/repo-root";
import type { HostNodeOptions, HostState } from "@choirmesh/mixer-node/runtime/node-host";
import type { PathDelay } from "@choirmesh/mixer-node/runtime/path-delays";
import { NODE_PROCESS_FLAGS } from "@choirmesh/mixer-node/runtime/defaults";


export interface RemoteRecording {
  startAbs: number;
  length: number;
  hear: Float32Array;
  mix: Float32Array;
}

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class RemoteNode {
  readonly name: string;
  readonly child: ChildProcess;
  id: string | null = null;
  private nextRid = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly ready: Promise<void>;
  private exited = false;

  constructor(name: string) {
    this.name = name;
    // The compiled runtime, whoever starts it (the demo, a test under vitest, a benchmark).
    this.child = fork(compiledEntry("mixer-node/src/runtime/node-host.ts"), [], {
      // NODE_PROCESS_FLAGS (runtime/defaults.ts); CHOIRMESH_NODE_ARGS adds Node flags to every
      // node process (e.g. --cpu-prof for profiling).
      execArgv: [...NODE_PROCESS_FLAGS, ...(process.env.CHOIRMESH_NODE_ARGS?.split(" ").filter(Boolean) ?? [])],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      env: { ...process.env, CHOIRMESH_LOG: process.env.CHOIRMESH_LOG ?? "warn" },
    });
    this.ready = new Promise((resolve, reject) => {
      const onMsg = (m: { rid?: number; ready?: boolean }) => {
        if (m?.rid === 0 && m.ready) {
          this.child.off("message", onMsg);
          resolve();
        }
      };
      this.child.on("message", onMsg);
      this.child.once("exit", (code) => reject(new Error(`${name}: node process exited (${code}) before it was ready`)));
    });
    this.ready.catch(() => {});
    this.child.on("message", (m: { rid?: number; ok?: boolean; error?: string }) => {
      if (!m || typeof m.rid !== "number" || m.rid === 0) return;
      const p = this.pending.get(m.rid);
      if (!p) return;
      this.pending.delete(m.rid);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m as Record<string, unknown>);
      else p.reject(new Error(`${this.name}: ${m.error ?? "failed"}`));
    });
    this.child.on("exit", () => {
      this.exited = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${this.name}: node process exited`));
      }
      this.pending.clear();
    });
  }

  /** Resolves once the process has loaded the runtime and can start a node. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  private async request(body: Record<string, unknown>, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    await this.ready;
    if (this.exited) throw new Error(`${this.name}: node process has exited`);
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`${this.name}: ${String(body.cmd)} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, { resolve, reject, timer });
      this.child.send({ rid, ...body });
    });
  }

  async start(opts: HostNodeOptions): Promise<JoinedMessage> {
    const r = await this.request({ cmd: "start", opts });
    this.id = r.id as string;
    return r.joined as JoinedMessage;
  }

  async startRecording(seconds: number): Promise<number> {
    return (await this.request({ cmd: "record", seconds })).startAbs as number;
  }

  /** What the node heard; `mix: false` leaves out the full mix (an empty array then). */
  async recording(opts: { mix?: boolean } = {}): Promise<RemoteRecording> {
    return (await this.request({ cmd: "recording", mix: opts.mix ?? true }, 30_000)) as unknown as RemoteRecording;
  }

  async stats(): Promise<{
    stats: ChoirNodeStats;
    cpu: NodeJS.CpuUsage;
    uptimeMs: number;
    problems: string[];
    /** Healing and neighbour events with their wall-clock time (node-host.ts). */
    healing: { atMs: number; event: unknown }[];
  }> {
    return (await this.request({ cmd: "stats" })) as never;
  }

  async state(): Promise<HostState> {
    return (await this.request({ cmd: "state" })).state as HostState;
  }

  async link(peer: string, action: "cut" | "restore" | "impair", extra: { durationMs?: number; lossRate?: number } = {}): Promise<void> {
    await this.request({ cmd: "link", peer, action, ...extra });
  }

  /** Emulated geography: the one-way delay of the path to each peer (by id), now and for later links; may come before start(). */
  async setPaths(delays: Record<string, PathDelay>): Promise<void> {
    await this.request({ cmd: "paths", delays });
  }

  /** The node leaves its room; the process stays for another start(). */
  async leave(): Promise<void> {
    await this.request({ cmd: "leave" });
    this.id = null;
  }

  /** Asks the node to leave and exit; kills it if it does not within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.request({ cmd: "stop" }, graceMs).catch(() => {});
    const t = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(t);
  }

  /** kill -9: the node vanishes without a word, as a crashed machine would. */
  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }

  get alive(): boolean {
    return !this.exited;
  }
}
