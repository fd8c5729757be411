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

/** A server URL, or several (an array, or one string with commas): servers of one cluster. */
export function signalingUrls(url: string | readonly string[]): string[] {
  const list = (typeof url === "string" ? url.split(",") : [...url]).map((u) => u.trim()).filter((u) => u.length > 0);
  if (list.length === 0) throw new Error("no signaling server URL");
  return list;
}

export class SignalingClient extends SafeEmitter<SignalingClientEvents> {
  private current: Socket;
  private readonly urls: string[];
  private at = 0;

  /**
   * `url`: one server, or the servers of a cluster (docs/operations.md). A connect that fails
   * tries the next one at once; a session lost on one server reconnects to the next.
   */
  constructor(
    url: string | readonly string[],
    private readonly opts: { reconnection?: boolean } = {},
  ) {
    super();
    this.urls = signalingUrls(url);
    this.current = this.open(this.urls[0]!, true);
  }

  get socket(): Socket {
    return this.current;
  }

  /** The server this client talks to now. */
  get url(): string {
    return this.urls[this.at]!;
  }

  private open(url: string, autoConnect: boolean): Socket {
    const socket = io(url, {
      autoConnect,
      transports: ["websocket"],
      reconnection: (this.opts.reconnection ?? true) && this.urls.length === 1,
      reconnectionDelay: 200,
      reconnectionDelayMax: 2000,
      timeout: 5000,
      forceNew: true,
    });
    socket.on("connect", () => this.safeEmit("connect"));
    socket.on("disconnect", (reason) => {
      // The server went away: with several, the next attempt goes to the next one.
      if (reason !== "io client disconnect" && this.urls.length > 1) this.rotate();
      this.safeEmit("disconnect", String(reason));
    });
    socket.on(SIGNALING_EVENT, (m: unknown) => {
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
    return socket;
  }

  /** Moves to the next server (the current socket is closed; a new one opens on connect()). */
  private rotate(): void {
    this.at = (this.at + 1) % this.urls.length;
    const old = this.current;
    this.current = this.open(this.urls[this.at]!, false); // connect() opens it
    old.removeAllListeners();
    old.close();
  }

  send(msg: ClientMessage): void {
    this.socket.emit(SIGNALING_EVENT, msg);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** (Re)opens the socket; resolves once connected, rejects on a connect error or timeout (after trying every server once). */
  async connect(timeoutMs = 5000): Promise<void> {
    for (let tried = 1; ; tried++) {
      try {
        return await this.connectOnce(timeoutMs);
      } catch (e) {
        // A refusal by a server that answers (address-limit) is the answer; another server may be up.
        if (tried >= this.urls.length || (e as { code?: string }).code === "address-limit") throw e;
        this.rotate();
      }
    }
  }

  private connectOnce(timeoutMs: number): Promise<void> {
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
