/**
 * Command line of the signaling part.
 *
 *   tsx signaling/src/cli.ts serve --port 8080 --host 127.0.0.1 [--secret S] ...
 *   tsx signaling/src/cli.ts token --room R --secret S [--ttl 3600]
 *
 * The secret may also come from CHOIRMESH_SECRET, which keeps it out of process listings.
 * `serve` prints the server's URL on stdout once it listens; its log goes to stderr.
 */
import { parseArgs } from "node:util";
import { DEFAULT_MEDIA, type MediaSettings, mediaSettingsSchema, roomNameSchema } from "@choirmesh/protocol";
import { DEFAULT_SIGNALING_OPTIONS, DEFAULT_TOKEN_TTL_SEC } from "./defaults.js";
import { configureLogging, createLogger, type LogLevel } from "@choirmesh/common/log";
import { startSignalingServer } from "./server.js";
import { createRoomToken } from "./tokens.js";

const log = createLogger("signaling");

const USAGE = `usage:
  signaling serve [--port 8080] [--host 127.0.0.1] [--secret S] [--public DIR]
                  [--max-room-size ${DEFAULT_SIGNALING_OPTIONS.maxRoomSize}] [--frame-ms 10] [--bitrate 64000] [--down-path forward|mix]
                  [--disconnect-grace-ms 0] [--join-rate-burst N] [--join-rate-per-sec N]
                  [--max-rooms-per-ip ${DEFAULT_SIGNALING_OPTIONS.maxRoomsPerIp}] [--max-sockets-per-ip ${DEFAULT_SIGNALING_OPTIONS.maxSocketsPerIp}]
                  [--dedicated-hubs token|anyone] [--log-level debug|info|warn|error|silent]
                  [--max-fanout N] [--redis redis://127.0.0.1:6379] [--failover-grace-ms ${DEFAULT_SIGNALING_OPTIONS.failoverGraceMs}]
                  (--redis: several servers serve the same rooms; give each the same --redis and --secret)
  signaling token --room R --secret S [--ttl ${DEFAULT_TOKEN_TTL_SEC}] [--dedicated]
                  (--dedicated: the token lets its bearer join as a dedicated hub)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function num(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number >= ${min}`);
  return n;
}

function tokenCommand(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { room: { type: "string" }, secret: { type: "string" }, ttl: { type: "string" }, dedicated: { type: "boolean" } },
    strict: true,
  });
  const secret = values.secret ?? process.env.CHOIRMESH_SECRET;
  if (!values.room || !roomNameSchema.safeParse(values.room).success) fail("--room: a room name is needed");
  if (!secret) fail("--secret (or CHOIRMESH_SECRET) is needed");
  const ttlSec = num(values.ttl, "ttl", 1) ?? DEFAULT_TOKEN_TTL_SEC;
  process.stdout.write(createRoomToken({ room: values.room, secret, ttlSec, dedicated: values.dedicated === true }) + "\n");
}

async function serveCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      secret: { type: "string" },
      public: { type: "string" },
      "max-room-size": { type: "string" },
      "frame-ms": { type: "string" },
      bitrate: { type: "string" },
      "down-path": { type: "string" },
      "disconnect-grace-ms": { type: "string" },
      "join-rate-burst": { type: "string" },
      "join-rate-per-sec": { type: "string" },
      "max-rooms-per-ip": { type: "string" },
      "max-sockets-per-ip": { type: "string" },
      "dedicated-hubs": { type: "string" },
      "log-level": { type: "string" },
      redis: { type: "string" },
      "max-fanout": { type: "string" },
      "failover-grace-ms": { type: "string" },
    },
    strict: true,
  });
  const level = values["log-level"];
  if (level !== undefined) {
    if (!["debug", "info", "warn", "error", "silent"].includes(level)) fail("--log-level: debug, info, warn, error or silent");
    configureLogging(level as LogLevel);
  }
  const frameMs = num(values["frame-ms"], "frame-ms", 0);
  if (frameMs !== undefined && ![2.5, 5, 10, 20].includes(frameMs)) fail("--frame-ms: 2.5, 5, 10 or 20");
  const media: MediaSettings = {
    ...DEFAULT_MEDIA,
    ...(frameMs !== undefined ? { frameMs: frameMs as MediaSettings["frameMs"] } : {}),
    ...(values.bitrate !== undefined ? { bitrate: num(values.bitrate, "bitrate", 6000)! } : {}),
    ...(values["down-path"] !== undefined ? { downPath: values["down-path"] as MediaSettings["downPath"] } : {}),
  };
  // What the room will hand to every node must pass the nodes' own check of `joined`.
  const mediaCheck = mediaSettingsSchema.safeParse(media);
  if (!mediaCheck.success) fail(`media settings: ${mediaCheck.error.issues[0]?.path.join(".")}: ${mediaCheck.error.issues[0]?.message}`);
  const dedicatedHubs = values["dedicated-hubs"];
  if (dedicatedHubs !== undefined && dedicatedHubs !== "token" && dedicatedHubs !== "anyone") fail("--dedicated-hubs: token or anyone");
  const d = DEFAULT_SIGNALING_OPTIONS;
  const redis = values.redis ?? process.env.CHOIRMESH_REDIS;
  if (redis !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redis)) fail("--redis: a URL such as redis://127.0.0.1:6379");
  const server = await startSignalingServer({
    port: num(values.port, "port", 0) ?? d.port,
    host: values.host ?? d.host,
    secret: values.secret ?? process.env.CHOIRMESH_SECRET,
    publicDir: values.public,
    maxRoomSize: num(values["max-room-size"], "max-room-size", 1),
    disconnectGraceMs: num(values["disconnect-grace-ms"], "disconnect-grace-ms", 0),
    maxRoomsPerIp: num(values["max-rooms-per-ip"], "max-rooms-per-ip", 1),
    maxSocketsPerIp: num(values["max-sockets-per-ip"], "max-sockets-per-ip", 1),
    dedicatedHubs,
    joinRatePerIp: {
      burst: num(values["join-rate-burst"], "join-rate-burst", 1) ?? d.joinRatePerIp.burst,
      perSec: num(values["join-rate-per-sec"], "join-rate-per-sec", 0) ?? d.joinRatePerIp.perSec,
    },
    media,
    redis,
    ...(values["max-fanout"] !== undefined ? { planner: { maxFanout: num(values["max-fanout"], "max-fanout", 1)! } } : {}),
    failoverGraceMs: num(values["failover-grace-ms"], "failover-grace-ms", 0),
  });
  // The address on stdout, for scripts that start a server on port 0 (the log goes to stderr).
  process.stdout.write(`${server.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "token") tokenCommand(rest);
  else if (command === "serve" || command === undefined || command.startsWith("--")) {
    await serveCommand(command === "serve" || command === undefined ? rest : [command, ...rest]);
  } else fail(`unknown command ${command}`);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
