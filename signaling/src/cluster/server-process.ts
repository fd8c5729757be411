/**
 * A signaling server in a process of its own (the compiled CLI, as `npm run signaling` runs
 * it), for tests and benchmarks that kill one: ended by its id, never through a wrapper.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { compiledEntry } from "@choirmesh/common/repo-root";

export interface SignalingProcess {
  readonly url: string;
  readonly pid: number;
  /** What it wrote to stderr (its log lines). */
  readonly log: string[];
  /** SIGKILL: a crash, no goodbye to Redis or to its clients. */
  kill(): Promise<void>;
  /** SIGTERM: a clean stop (rooms handed back). */
  stop(): Promise<void>;
}

export async function spawnSignaling(args: readonly string[], env: Record<string, string> = {}): Promise<SignalingProcess> {
  const cli = compiledEntry("signaling/src/cli.ts");
  const child: ChildProcess = spawn(process.execPath, [cli, "serve", "--port", "0", "--host", "127.0.0.1", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const log: string[] = [];
  let buf = "";
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`signaling process did not listen within 15 s:\n${log.join("\n")}`)), 15_000);
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      log.push(...parts);
      if (log.length > 1000) log.splice(0, log.length - 1000);
    });
    // The CLI prints its URL on stdout once it listens.
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/\S+)\n/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`signaling process exited (${code}):\n${log.join("\n")}`));
    });
  });
  const end = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(signal);
    return gone;
  };
  return { url, pid: child.pid!, log, kill: () => end("SIGKILL"), stop: () => end("SIGTERM") };
}
