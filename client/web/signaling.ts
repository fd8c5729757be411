/**
 * The page's side of the signaling protocol (docs/protocol.md): a thin adapter over a
 * socket.io client. Server messages are checked for shape before anyone sees them.
 * socket.io reconnects by itself; the session rejoins on each `connect` after the first.
 */
import { io, type Socket } from "socket.io-client";
import type {
  ClientMessage,
  ErrorMessage,
  JoinedMessage,
  RelayedSignalMessage,
  TreeMessage,
  TreeUpdateMessage,
} from "@choirmesh/protocol";
import { SafeEmitter } from "@choirmesh/common/events";
import { PROTOCOL } from "./defaults.js";

export type BrowserSignalingEvents = {
  connect: [];
  disconnect: [reason: string];
  joined: [msg: JoinedMessage];
  "tree-update": [msg: TreeUpdateMessage];
  signal: [msg: RelayedSignalMessage];
  tree: [msg: TreeMessage];
  "server-error": [msg: ErrorMessage];
  left: [];
  "bad-message": [reason: string];
  /** The server refused the connection at its handshake (address-limit); socket.io retries. */
  "connect-refused": [code: string, message: string];
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 64;
const isIdOrNull = (v: unknown) => v === null || isId(v);
const isIds = (v: unknown) => Array.isArray(v) && v.every(isId);

/** A reason when a server message does not fit the protocol, else null. */
export function checkServerMessage(m: unknown): string | null {
  if (!isObj(m)) return "not an object";
  switch (m.type) {
    case "joined":
      return isId(m.id) && isIdOrNull(m.parent) && isIds(m.children) && isObj(m.media) && typeof m.resumeToken === "string" ? null : "joined: bad fields";
    case "tree-update":
      return isIdOrNull(m.parent) && isIds(m.children) ? null : "tree-update: bad fields";
    case "signal":
      return isId(m.from) && isObj(m.data) ? null : "signal: bad fields";
    case "tree":
      return Array.isArray(m.nodes) && m.nodes.every((n) => isObj(n) && isId(n.id) && isIds(n.children)) ? null : "tree: bad fields";
    case "error":
      return typeof m.code === "string" && typeof m.message === "string" ? null : "error: bad fields";
    case "left":
      return null;
    default:
      return `unknown type ${String(m.type).slice(0, 40)}`;
  }
}

export class BrowserSignaling extends SafeEmitter<BrowserSignalingEvents> {
  private readonly socket: Socket;

  /** `url` undefined: the page's own origin (the signaling server serves the page). */
  constructor(url?: string) {
    super();
    const opts = { transports: ["websocket"], reconnectionDelay: 300, reconnectionDelayMax: 3000, timeout: 5000 };
    this.socket = url === undefined ? io(opts) : io(url, opts);
    this.socket.on("connect", () => this.safeEmit("connect"));
    this.socket.on("disconnect", (reason) => this.safeEmit("disconnect", String(reason)));
    this.socket.on("connect_error", (e: Error & { data?: { code?: unknown; message?: unknown } }) => {
      if (typeof e?.data?.code === "string") this.safeEmit("connect-refused", e.data.code, typeof e.data.message === "string" ? e.data.message : e.message);
    });
    this.socket.on(PROTOCOL.event, (m: unknown) => {
      const bad = checkServerMessage(m);
      if (bad !== null) return this.safeEmit("bad-message", bad);
      const msg = m as { type: string };
      switch (msg.type) {
        case "joined":
          return this.safeEmit("joined", msg as JoinedMessage);
        case "tree-update":
          return this.safeEmit("tree-update", msg as TreeUpdateMessage);
        case "signal":
          return this.safeEmit("signal", msg as RelayedSignalMessage);
        case "tree":
          return this.safeEmit("tree", msg as TreeMessage);
        case "error":
          return this.safeEmit("server-error", msg as ErrorMessage);
        case "left":
          return this.safeEmit("left");
      }
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  send(msg: ClientMessage): void {
    this.socket.emit(PROTOCOL.event, msg);
  }

  /** Stops reconnecting (a fatal refusal: retrying cannot help). */
  close(): void {
    this.socket.io.reconnection(false);
    this.socket.close();
  }

  protected override onListenerError(event: keyof BrowserSignalingEvents, err: unknown): void {
    console.error(`choirmesh: a "${String(event)}" listener threw`, err);
  }
}
