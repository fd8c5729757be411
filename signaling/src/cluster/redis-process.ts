/**
 * A real redis-server on a free loopback port, for tests and benchmarks (never a mock): no
 * persistence, its own process group so that it is ended by its id. Needs Debian's
 * redis-server (`.ci/run` installs it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";

export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Ends it (SIGKILL: what a crash looks like to its clients). */
  kill(): Promise<void>;
  /** Starts a new, empty redis-server on the same port (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** FLUSHALL: an empty store for the next test. */
  flush(): Promise<void>;
}

export function redisServerPath(): string | null {
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function launch(bin: string, port: number): Promise<ChildProcess> {
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => fail(new Error(`redis-server did not start on port ${port}: ${out.slice(-400)}`)), 10_000);
    const fail = (e: Error) => {
      clearTimeout(t);
      if (child.exitCode === null) child.kill("SIGKILL");
      reject(e);
    };
    child.once("exit", (code) => fail(new Error(`redis-server exited (${code}) on port ${port}: ${out.slice(-400)}`)));
    child.once("error", fail);
    // With --loglevel warning it prints nothing when ready: poll the port.
    const poll = () => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.write("PING\r\n");
        sock.once("data", (d) => {
          sock.destroy();
          if (d.toString().startsWith("+PONG")) {
            clearTimeout(t);
            child.removeAllListeners("exit");
            resolve(child);
          } else setTimeout(poll, 50);
        });
      });
      sock.once("error", () => setTimeout(poll, 50));
    };
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    poll();
  });
}

async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
  await gone;
}

export async function startRedis(): Promise<RedisProcess> {
  const bin = redisServerPath();
  if (!bin) throw new Error("redis-server not found: install Debian's redis-server package (apt-get install redis-server)");
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await launch(bin, port).catch(() => undefined);
  }
  if (!child) throw new Error("redis-server did not start on a free port");
  let current = child;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.pid!;
    },
    kill: () => end(current),
    restart: async () => {
      await end(current);
      current = await launch(bin, port);
    },
    stop: () => end(current),
    flush: () =>
      new Promise<void>((resolve, reject) => {
        const sock = net.connect(port, "127.0.0.1", () => sock.write("FLUSHALL\r\n"));
        sock.once("data", (d) => {
          sock.destroy();
          if (d.toString().startsWith("+OK")) resolve();
          else reject(new Error(`FLUSHALL: ${d.toString().trim()}`));
        });
        sock.once("error", reject);
      }),
  };
}
