/**
 * The node's side of the signaling protocol (docs/protocol.md): a thin adapter over a
 * socket.io client. What the server sends is checked (the protocol's parseServerMessage, the
 * same check as the browser's) before anyone sees it; a malformed message is reported as an
 * error event, never thrown.
 */
import { io, type Socket } from "socket.io-client";
import type {
  ClientMessage,
  ErrorMessage,
  JoinMessage,
  JoinedMessage,
  RelayedSignalMessage,
  TreeMessage,
  TreeUpdateMessage,
} from "@choirmesh/protocol";
import { parseServerMessage, PROTOCOL_VERSION, SIGNALING_EVENT } from "@choirmesh/protocol";
import { SafeEmitter } from "@choirmesh/common/events";

export type SignalingClientEvents = {
  joined: [msg: JoinedMessage];
  "tree-update": [msg: TreeUpdateMessage];
  signal: [msg: RelayedSignalMessage];
  tree: [msg: TreeMessage];
  "server-error": [msg: ErrorMessage];
  /** A message from the server that does not fit the protocol. */
  "bad-message": [reason: string];
  connect: [];
  disconnect: [reason: string];
};

export class SignalingClient extends SafeEmitter<SignalingClientEvents> {
  readonly socket: Socket;

  constructor(url: string, opts: { reconnection?: boolean } = {}) {
    super();
    this.socket = io(url, {
      transports: ["websocket"],
      reconnection: opts.reconnection ?? true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 2000,
      timeout: 5000,
    });
    this.socket.on("connect", () => this.safeEmit("connect"));
    this.socket.on("disconnect", (reason) => this.safeEmit("disconnect", String(reason)));
    this.socket.on(SIGNALING_EVENT, (m: unknown) => {
      const checked = parseServerMessage(m);
      if (!checked.ok) return this.safeEmit("bad-message", checked.reason);
      const msg = checked.msg;
      switch (msg.type) {
        case "joined": return this.safeEmit("joined", msg);
        case "tree-update": return this.safeEmit("tree-update", msg);
        case "signal": return this.safeEmit("signal", msg);
        case "tree": return this.safeEmit("tree", msg);
        case "error": return this.safeEmit("server-error", msg);
      }
    });
  }

  send(msg: ClientMessage): void {
    this.socket.emit(SIGNALING_EVENT, msg);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** (Re)opens the socket; resolves once connected, rejects on a connect error or timeout. */
  connect(timeoutMs = 5000): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.socket.off("connect", onConnect);
        this.socket.off("connect_error", onError);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => done();
      // A refusal at the handshake (address-limit) carries the server's code and reason.
      const onError = (e: Error & { data?: { code?: unknown; message?: unknown } }) => {
        const code = typeof e?.data?.code === "string" ? e.data.code : "connect-failed";
        const why = typeof e?.data?.message === "string" ? e.data.message : (e?.message ?? String(e));
        done(Object.assign(new Error(`connect failed: ${why}`), { code }));
      };
      const timer = setTimeout(() => done(Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: "connect-timeout" })), timeoutMs);
      this.socket.on("connect", onConnect);
      this.socket.on("connect_error", onError);
      this.socket.connect();
    });
  }

  /** Sends a join and resolves with the reply (rejects on an error reply or timeout). */
  join(fields: Omit<JoinMessage, "type" | "v" | "ref">, timeoutMs = 10_000): Promise<JoinedMessage> {
    const ref = `join-${Math.random().toString(36).slice(2, 10)}`;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        offJoined();
        offErr();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`join timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const offJoined = this.on("joined", (m) => {
        if (m.ref !== ref) return;
        done();
        resolve(m);
      });
      const offErr = this.on("server-error", (m) => {
        if (m.ref !== ref) return;
        done();
        const err = new Error(`join refused: ${m.code}: ${m.message}`) as Error & { code: string };
        err.code = m.code;
        reject(err);
      });
      this.send({ type: "join", v: PROTOCOL_VERSION, ref, ...fields } as JoinMessage);
    });
  }

  close(): void {
    this.socket.close();
    this.removeAllListeners();
  }

  protected override onListenerError(): void {
    // Listener failures are the runtime's own bugs; they never reach socket.io.
  }
}
