/**
 * What the hub and singer command lines share: the common options, one log line per lifecycle
 * change of the node, the metrics endpoint and a clean shutdown on SIGINT/SIGTERM.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createLogger } from "@choirmesh/common/log";
import { loadCodecBackend } from "../codec/index.js";
import type { ChoirNode } from "./choir-node.js";
import { serveNodeMetrics } from "./metrics.js";

export const COMMON_OPTIONS = {
  url: { type: "string", default: "http://127.0.0.1:8080" },
  room: { type: "string", default: "choir" },
  name: { type: "string" },
  token: { type: "string" },
  "upload-kbps": { type: "string" },
  "metrics-port": { type: "string" },
  backend: { type: "string", default: "auto" },
  loopback: { type: "boolean", default: false },
  lat: { type: "string" },
  lon: { type: "string" },
  help: { type: "boolean", default: false },
} as const satisfies ParseArgsConfig["options"];

export function parseCli<O extends NonNullable<ParseArgsConfig["options"]>>(options: O, usage: string) {
  try {
    const { values } = parseArgs({ options: { ...COMMON_OPTIONS, ...options } as typeof COMMON_OPTIONS & O, strict: true, allowPositionals: false });
    if ((values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return values;
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}

export function numberArg(v: unknown, name: string, usage: string, ok: (n: number) => boolean = Number.isFinite): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !ok(n)) {
    console.error(`error: bad --${name} ${JSON.stringify(v)}\n${usage}`);
    process.exit(2);
  }
  return n;
}

export function backendArg(v: unknown, usage: string) {
  if (v !== "auto" && v !== "native" && v !== "fallback") {
    console.error(`error: --backend must be auto, native or fallback\n${usage}`);
    process.exit(2);
  }
  return loadCodecBackend(v);
}

/** Logs lifecycle changes, serves metrics when asked, and stops the node cleanly on a signal. */
export async function runNode(node: ChoirNode, part: string, metricsPort: number | undefined, onStop?: () => void): Promise<void> {
  const log = createLogger(part);
  node.on("joined", (m) => log.info("joined", { room: m.room, id: m.id, parent: m.parent, waiting: m.waiting, frameMs: m.media.frameMs }));
  node.on("neighbours", (parent, children) => log.info("neighbours", { parent, children: children.join(",") || "-" }));
  node.on("link-state", (peer, state) => log.info("link", { peer, state }));
  node.on("problem", (where, message) => log.warn(where, { message }));
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal: sig });
    await node.stop();
    onStop?.();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  try {
    await node.start();
  } catch (err) {
    log.error("could not join", { error: (err as Error).message });
    process.exit(1);
  }
  log.info("backend", { codec: node.engine?.backend.description ?? "?" });
  if (metricsPort !== undefined) {
    const m = await serveNodeMetrics(node, metricsPort);
    log.info("metrics", { url: `http://127.0.0.1:${m.port}/metrics` });
  }
}
