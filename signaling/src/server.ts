/**
 * The signaling server: an HTTP server with socket.io for the protocol, static files for the
 * browser singer, and /metrics. startSignalingServer is the one entry point (CLI, tests, demo).
 */
import { createReadStream, promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Server, type Socket } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { ClusterRooms } from "./cluster/cluster-rooms.js";
import { RedisCluster } from "./cluster/redis-cluster.js";
import { ClusterRouter, type LocalPeer } from "./cluster/router.js";
import { dispatchMessage } from "./dispatch.js";
import { engineHopFor } from "./planner/engine-timing.js";
import { DEFAULT_SIGNALING_OPTIONS, type SignalingOptions } from "./defaults.js";
import { createLogger, setLogLevel } from "@choirmesh/common/log";
import { createSignalingMetrics, type SignalingMetrics } from "./metrics.js";
import { parseClientMessage, SIGNALING_EVENT, type ServerMessage, type TreeMessage } from "@choirmesh/protocol";
import { InMemoryRoomStore, type RoomStore } from "./room-store.js";
import { TokenBucket } from "./rate-limit.js";
import { Rooms } from "./rooms.js";
import { REPO_ROOT } from "@choirmesh/common/repo-root";

const log = createLogger("signaling");

export const DEFAULT_PUBLIC_DIR = path.join(REPO_ROOT, "signaling", "public");

export interface StartOptions extends Partial<SignalingOptions> {
  /** Room state; default a fresh InMemoryRoomStore. */
  store?: RoomStore;
  /** Clock in ms (tokens, rate limits); default Date.now. */
  now?: () => number;
}

export interface SignalingServer {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly io: Server;
  readonly store: RoomStore;
  readonly metrics: SignalingMetrics;
  readonly options: Readonly<SignalingOptions>;
  /** In a cluster (--redis): this process's id and its router's counters. */
  readonly cluster?: { readonly proc: string; readonly router: ClusterRouter };
  /** The whole tree of one room, as the `tree` message gives it. */
  tree(room: string): TreeMessage;
  /** Bounded re-optimisation of a room; announces the moves and returns how many there were. */
  rebalance(room: string, maxMoves: number): number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wav": "audio/wav",
  ".txt": "text/plain; charset=utf-8",
};

function reply(res: http.ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "x-content-type-options": "nosniff" });
  res.end(body);
}

/**
 * Serves files under `root` only. The path is decoded once, dot-segments and dotfiles are
 * refused, and the real path (symlinks resolved) must still lie inside the real root.
 */
async function serveStatic(root: string, pathname: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return reply(res, 400, "bad path\n");
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return reply(res, 400, "bad path\n");
  const segments = decoded.split("/").filter((s) => s.length > 0);
  if (segments.some((s) => s.startsWith("."))) return reply(res, 404, "not found\n");
  if (segments.length === 0) segments.push("index.html");
  const realRoot = await fs.realpath(root).catch(() => null);
  if (!realRoot) return reply(res, 404, "not found\n");
  let file = path.join(realRoot, ...segments);
  try {
    let st = await fs.stat(file);
    if (st.isDirectory()) {
      file = path.join(file, "index.html");
      st = await fs.stat(file);
    }
    const real = await fs.realpath(file);
    if (!real.startsWith(realRoot + path.sep) || !st.isFile()) return reply(res, 404, "not found\n");
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[path.extname(real).toLowerCase()] ?? "application/octet-stream",
      "content-length": st.size,
      "x-content-type-options": "nosniff",
      "cache-control": "no-cache",
    });
    if (req.method === "HEAD") return void res.end();
    const stream = createReadStream(real);
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  } catch {
    reply(res, 404, "not found\n");
  }
}

/** What a voluntary move costs (a link set-up at both ends, a crossfade, the new hub's CPU) is paid at most once a minute per node. */
export const SERVER_MOVE_COOLDOWN_MS = 60_000;

export async function startSignalingServer(start: StartOptions = {}): Promise<SignalingServer> {
  const { store: givenStore, now: clock = Date.now, ...rest } = start;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const opts: SignalingOptions = { ...DEFAULT_SIGNALING_OPTIONS, publicDir: DEFAULT_PUBLIC_DIR, ...defined };
  // A live room does not churn: a node placed less than a cooldown ago is not moved to gain
  // delay (planner moveCooldownMs; repairs always move), on the server's clock.
  // The planner prices hubs with the engine's measured hop for the rooms' frame and down path.
  const hop = engineHopFor(opts.media.frameMs, opts.media.downPath ?? "mix");
  const forwardedDown = (opts.media.downPath ?? "mix") === "forward";
  opts.planner = { moveCooldownMs: SERVER_MOVE_COOLDOWN_MS, now: clock, hubDelayMs: hop.hubDelayMs, downLevelMs: hop.downLevelMs, belowRootMs: hop.belowRootMs, forwardedDown, ...opts.planner };
  if (opts.logLevel) setLogLevel(opts.logLevel, log.name);
  if (!(opts.maxMessageBytes < opts.maxTransportBytes)) throw new Error("maxMessageBytes must be below maxTransportBytes");
  if (opts.redis !== undefined && givenStore !== undefined) throw new Error("a cluster (redis) keeps its rooms in Redis: no store option");
  const store = givenStore ?? new InMemoryRoomStore();
  // A cluster: rooms are owned one process at a time, saved in Redis, and resume tokens are
  // signed with one key that every process of the cluster shares.
  const cluster = opts.redis !== undefined ? await RedisCluster.connect({ url: opts.redis, leaseMs: opts.leaseMs }) : undefined;
  if (cluster) opts.resumeSecret ??= opts.secret ?? (await cluster.sharedResumeKey());
  let io: Server | undefined;
  const metrics = createSignalingMetrics({
    rooms: () => store.size,
    nodes: () => rooms.nodeCount,
    connections: () => io?.engine.clientsCount ?? 0,
  });
  // In a cluster the join rate per address is counted in Redis, by the socket's own process.
  const rooms = cluster
    ? new ClusterRooms(store as InMemoryRoomStore, { ...opts, joinRatePerIp: { burst: Number.MAX_SAFE_INTEGER, perSec: Number.MAX_SAFE_INTEGER } }, metrics, cluster, opts.failoverGraceMs)
    : new Rooms(store, opts, metrics);
  const limits = { maxBytes: opts.maxMessageBytes, maxDepth: opts.maxDepth, maxSignalBytes: opts.maxSignalBytes };

  const httpServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://local");
    if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "method not allowed\n");
    if (url.pathname === "/metrics") {
      metrics.registry.metrics().then(
        (body) => reply(res, 200, body, metrics.registry.contentType),
        (err: unknown) => reply(res, 500, `metrics failed: ${String(err)}\n`),
      );
      return;
    }
    if (url.pathname === "/healthz") return reply(res, 200, "ok\n");
    serveStatic(opts.publicDir, url.pathname, req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, "error\n");
      else res.destroy();
    });
  });
  httpServer.on("clientError", (_err, sock) => sock.destroy());

  io = new Server(httpServer, {
    maxHttpBufferSize: opts.maxTransportBytes,
    serveClient: false,
    // Same origin only by default: the page comes from this server.
    cors: undefined,
    ...(cluster ? { adapter: createAdapter(cluster.adapterPub, cluster.adapterSub, { key: `${cluster.prefix}io` }) } : {}),
  });
  const dispatchRouted: ConstructorParameters<typeof ClusterRouter>[3] = (peer, msg) => {
    try {
      dispatchMessage(rooms, metrics, peer, msg, clock());
    } catch (e) {
      log.error("handler failed", { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      rooms.error(peer, "internal", "internal error", undefined);
    }
  };
  const router = cluster ? new ClusterRouter(cluster, rooms as ClusterRooms, io, dispatchRouted, opts.joinRatePerIp, opts.failoverGraceMs, opts, metrics) : undefined;

  /** Open connections per client address (maxSocketsPerIp), counted from handshake to close. */
  const socketsByIp = new Map<string, number>();
  const addressLimit = () => {
    metrics.errors.inc({ code: "address-limit" });
    // The client's connect_error carries the code and the reason; nothing else happens.
    const err = new Error("address-limit") as Error & { data?: unknown };
    err.data = { code: "address-limit", message: `this address holds ${opts.maxSocketsPerIp} connections already` };
    return err;
  };
  io.use((socket, next) => {
    const ip = socket.handshake.address;
    const held = socketsByIp.get(ip) ?? 0;
    if (held >= opts.maxSocketsPerIp) return next(addressLimit());
    socketsByIp.set(ip, held + 1);
    socket.conn.once("close", () => {
      const n = (socketsByIp.get(ip) ?? 1) - 1;
      if (n > 0) socketsByIp.set(ip, n);
      else socketsByIp.delete(ip);
    });
    if (!cluster) return next();
    // Over the whole cluster too; with Redis away, this process's own count is the limit.
    cluster.openSocket(ip, opts.maxSocketsPerIp).then(
      (ok) => {
        if (!ok) return next(addressLimit());
        socket.conn.once("close", () => void cluster.closeSocket(ip).catch(() => {}));
        next();
      },
      () => next(),
    );
  });

  io.on("connection", (socket: Socket) => {
    const now0 = clock();
    const peer: LocalPeer = {
      ip: socket.handshake.address,
      sid: socket.id,
      proc: cluster?.proc ?? "",
      chain: Promise.resolve(),
      send: (msg) => {
        socket.emit(SIGNALING_EVENT, msg);
      },
      disconnect: () => {
        socket.disconnect(true);
      },
    };
    if (router) {
      router.local.set(socket.id, peer);
      socket.onAnyOutgoing((_event: unknown, msg: ServerMessage) => router.outgoing(peer, msg));
    }
    const bucket = new TokenBucket(opts.messageRate.burst, opts.messageRate.perSec, now0);
    // Refusals a socket may collect before it is cut: a client that ignores them would make us
    // spend on error replies forever, and accepted messages in between do not make it polite.
    const refusals = new TokenBucket(opts.floodLimit.burst, opts.floodLimit.perSec, now0);
    let cut = false;
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (cut) return;
      try {
        const now = clock();
        if (!bucket.take(now)) {
          if (!refusals.take(now)) {
            cut = true;
            metrics.floods.inc();
            log.warn("disconnecting a flooding socket", { ip: peer.ip, room: peer.room, node: peer.node });
            rooms.error(peer, "flooding", "too many messages over the rate limit: disconnected", undefined);
            socket.disconnect(true);
            return;
          }
          return rooms.error(peer, "rate-limited", "too many messages", undefined);
        }
        if (event !== SIGNALING_EVENT) {
          const shown = typeof event === "string" ? JSON.stringify(event.slice(0, 32)) : typeof event;
          return rooms.error(peer, "unknown-event", `unknown event ${shown}; the protocol uses "${SIGNALING_EVENT}"`, undefined);
        }
        // An acknowledgement callback is not part of the protocol; ignore it rather than fail.
        const payload = args.length > 0 && typeof args[args.length - 1] === "function" ? args.slice(0, -1) : args;
        if (payload.length !== 1) {
          return rooms.error(peer, "invalid-message", `a "${SIGNALING_EVENT}" event carries one object, got ${payload.length} arguments`, undefined);
        }
        const parsed = parseClientMessage(payload[0], limits);
        if (!parsed.ok) return rooms.error(peer, parsed.code, parsed.message, parsed.ref);
        if (router) router.fromSocket(peer, parsed.msg);
        else dispatchMessage(rooms, metrics, peer, parsed.msg, now);
      } catch (e) {
        log.error("handler failed", { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        try {
          rooms.error(peer, "internal", "internal error", undefined);
        } catch {
          // The socket may be gone; nothing more to do.
        }
      }
    });
    socket.on("disconnect", () => {
      try {
        if (router) router.gone(peer);
        else rooms.disconnected(peer);
      } catch (e) {
        log.error("disconnect handling failed", { error: String(e) });
      }
    });
  });

  const prune = setInterval(() => rooms.pruneBuckets(clock()), 60_000);
  prune.unref();

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(opts.port, opts.host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const addr = httpServer.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${hostForUrl}:${port}`;
  log.info("listening", { url, secret: opts.secret !== undefined, public: opts.publicDir });

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    host: opts.host,
    io,
    store,
    metrics,
    options: opts,
    ...(cluster && router ? { cluster: { proc: cluster.proc, router } } : {}),
    tree: (room) => rooms.snapshot(room),
    rebalance: (room, maxMoves) => rooms.rebalance(room, maxMoves),
    close: () => {
      closed ??= (async () => {
        clearInterval(prune);
        if (cluster && router) {
          // Save every room and hand it back, so that another process takes it at once.
          router.stop();
          await (rooms as ClusterRooms).flushAll();
          await cluster.releaseAll();
        } else rooms.shutdown();
        await new Promise<void>((resolve) => {
          io!.close(() => resolve());
          httpServer.closeAllConnections?.();
        });
        cluster?.close();
      })().then(() => log.info("stopped", { url }));
      return closed;
    },
  };
}
