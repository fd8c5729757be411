/**
 * Every option of the signaling server with its default, in one place.
 * The server, the CLI, the tests and the benchmark all start from these.
 */
import type { MediaSettings } from "@choirmesh/protocol";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import type { PlannerOptions } from "./planner/types.js";

/** A token bucket: `burst` messages at once, refilled at `perSec`. */
export interface RateLimit {
  burst: number;
  perSec: number;
}

export interface SignalingOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  port: number;
  /** Interface to listen on. Default 127.0.0.1 (loopback only). */
  host: string;
  /**
   * Shared secret for room tokens. When set, every join needs a token signed with it for that
   * room; when undefined, rooms are open (local demos). Default undefined.
   */
  secret: string | undefined;
  /**
   * Key for resume tokens. Default: the secret when one is set, else a random key per process
   * (a restarted open server then cannot honour old resume tokens; pass one to survive restarts).
   */
  resumeSecret: string | undefined;
  /** Lifetime of a resume token in seconds. Default 3600. */
  resumeTtlSec: number;
  /** Folder of static files served at /. Default signaling/public next to this source. */
  publicDir: string;
  /** Media settings of every room. Default DEFAULT_MEDIA. */
  media: MediaSettings;
  /** Options handed to each room's tree planner. Default: the planner's own defaults. */
  planner: Partial<PlannerOptions>;
  /** Most nodes in one room; a join beyond gets `room-full`. Default 2000. */
  maxRoomSize: number;
  /** Most rooms on this server; a join that would open one more gets `server-full`. Default 1000. */
  maxRooms: number;
  /**
   * Rooms one client address may have opened that are still open (it sent the join that opened
   * them); a join that would open one more gets `address-limit`. Default 10.
   */
  maxRoomsPerIp: number;
  /**
   * Sockets one client address may hold open at once; the next gets `address-limit` and is
   * disconnected. Default 100 (a school or a rehearsal hall behind one NAT address).
   */
  maxSocketsPerIp: number;
  /**
   * Largest message the server takes, in bytes of its JSON text as sent on the wire (UTF-8);
   * above it the reply is `too-large`. Default 65536.
   */
  maxMessageBytes: number;
  /**
   * socket.io's transport limit (maxHttpBufferSize). A frame above it closes the connection
   * without a reply, so it sits well above maxMessageBytes. Default 1 MiB.
   */
  maxTransportBytes: number;
  /** Deepest nesting allowed inside a message (opaque signal payloads included). Default 8. */
  maxDepth: number;
  /** Largest opaque signal payload (offer/answer SDP, ICE candidate), bytes of its JSON text as sent. Default 32768. */
  maxSignalBytes: number;
  /** Messages per socket. Default burst 200, 100 per second. Each message over the limit gets `rate-limited`. */
  messageRate: RateLimit;
  /**
   * Refusals (`rate-limited`) a socket may collect: a bucket of `burst`, refilled at `perSec`.
   * The socket that empties it gets one `flooding` error and is disconnected (logged once).
   * Default burst 50, 1 per second.
   */
  floodLimit: RateLimit;
  /**
   * Moves a node may ask for (`link-lost` with `move`): burst 2, then one per 30 s. A request
   * beyond gets `move-rate-limited` and moves nobody.
   */
  moveRequestRate: RateLimit;
  /**
   * Who may join with `dedicated: true` (a hub the planner puts at the top). "token": only with a
   * room or resume token that grants it; "anyone": every joiner. Default "token" when the server
   * has a secret, "anyone" on an open server (local demos, which have no tokens).
   */
  dedicatedHubs: "token" | "anyone" | undefined;
  /** Joins per client IP address. Default burst 30, 10 per second. */
  joinRatePerIp: RateLimit;
  /**
   * How long a disconnected node keeps its place, waiting for a resume. 0 removes it at once
   * (same as leave). Default 0.
   */
  disconnectGraceMs: number;
  /**
   * After a restart, how long the server waits for a room's nodes to report their places
   * (joins with `resume` and `restore`) before placing the rest anew. Default 3000.
   */
  restoreWindowMs: number;
  /**
   * Redis URL of a cluster: several processes serve the same rooms (docs/operations.md). Undefined
   * (the default): this process holds every room itself.
   */
  redis: string | undefined;
  /**
   * In a cluster, how long a node whose signaling process died keeps its place while it
   * reconnects to another process and resumes. Default 15000.
   */
  failoverGraceMs: number;
  /** In a cluster, a room's lease (its owner's, and each process's liveness), ms. Default 1500. */
  leaseMs: number;
  /** Log level of the server's loggers; undefined keeps the process-wide level. */
  logLevel: "debug" | "info" | "warn" | "error" | "silent" | undefined;
}

export const DEFAULT_SIGNALING_OPTIONS: Readonly<Omit<SignalingOptions, "publicDir">> = Object.freeze({
  port: 8080,
  host: "127.0.0.1",
  secret: undefined,
  resumeSecret: undefined,
  resumeTtlSec: 3600,
  media: DEFAULT_MEDIA,
  planner: {},
  maxRoomSize: 2000,
  maxRooms: 1000,
  maxRoomsPerIp: 10,
  maxSocketsPerIp: 100,
  maxMessageBytes: 65_536,
  maxTransportBytes: 1_048_576,
  maxDepth: 8,
  maxSignalBytes: 32_768,
  messageRate: Object.freeze({ burst: 200, perSec: 100 }),
  floodLimit: Object.freeze({ burst: 50, perSec: 1 }),
  moveRequestRate: Object.freeze({ burst: 2, perSec: 1 / 30 }),
  dedicatedHubs: undefined,
  joinRatePerIp: Object.freeze({ burst: 30, perSec: 10 }),
  disconnectGraceMs: 0,
  restoreWindowMs: 3000,
  redis: undefined,
  failoverGraceMs: 15_000,
  leaseMs: 1500,
  logLevel: undefined,
});

/** Default room token lifetime of the token CLI, seconds. */
export const DEFAULT_TOKEN_TTL_SEC = 3600;
