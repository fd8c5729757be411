/**
 * The page's side of the signaling protocol (docs/protocol.md): a thin adapter over a
 * socket.io client. Server messages are checked (the protocol's parseServerMessage) before
 * anyone sees them.
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
import { parseServerMessage, SIGNALING_EVENT } from "@choirmesh/protocol";
import { SafeEmitter } from "@choirmesh/common/events";

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
    this.socket.on(SIGNALING_EVENT, (m: unknown) => {
      const checked = parseServerMessage(m);
      if (!checked.ok) return this.safeEmit("bad-message", checked.reason);
      const msg = checked.msg;
      switch (msg.type) {
        case "joined":
          return this.safeEmit("joined", msg);
        case "tree-update":
          return this.safeEmit("tree-update", msg);
        case "signal":
          return this.safeEmit("signal", msg);
        case "tree":
          return this.safeEmit("tree", msg);
        case "error":
          return this.safeEmit("server-error", msg);
        case "left":
          return this.safeEmit("left");
      }
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  send(msg: ClientMessage): void {
    this.socket.emit(SIGNALING_EVENT, msg);
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
