/**
 * A browser singer's session: joins the room as a leaf, links to whichever parent the server
 * gives it, follows tree updates, and finds its way back after trouble.
 *
 * Lifecycle (docs/protocol.md): connect -> join -> `joined` (parent, or waiting) -> offer to the
 * parent -> connected ("singing"). A `tree-update` with another parent closes the link and opens
 * one to the new parent; with no parent the singer waits ("reconnecting" when it had one). Two
 * kinds of repair, kept apart: socket.io reconnects the socket by itself and the session rejoins
 * (with its resume token); a link that fails, or a parent that leaves us without a new place,
 * makes the session leave and join afresh after the retry policy's wait.
 */
import type { JoinMessage, JoinedMessage, TreeMessage, TreeUpdateMessage } from "@choirmesh/protocol";
import { SafeEmitter } from "@choirmesh/common/events";
import { MicrophoneError, openMicrophone } from "./audio.js";
import { PROTOCOL_VERSION } from "@choirmesh/protocol";
import { WEB_DEFAULTS, type WebSingerOptions } from "./defaults.js";
import { NOTICES, serverNotice, type Notice } from "./messages.js";
import { ParentLink, type ParentLinkStats } from "./peer.js";
import type { ReconnectPolicy } from "@choirmesh/protocol";
import { browserRetryPolicy, retryDelayMs, type RetryReason } from "./retry.js";
import { browserFrameMs } from "./sdp.js";
import { protocolKind } from "./signal-map.js";
import { BrowserSignaling } from "./signaling.js";
import type { SessionState, JoinRequest, Place, SessionEvents, SessionDeps } from "./session-types.js";

export class SingerSession extends SafeEmitter<SessionEvents> {
  readonly opts: WebSingerOptions;
  state: SessionState = "idle";
  notice: Notice | null = null;
  mic: MediaStream | null = null;
  tree: TreeMessage | null = null;
  /** The last stats of the link to the parent. */
  linkStats: ParentLinkStats | null = null;
  readonly place: Place = { id: null, parent: null, parentName: null, depth: null, roomFrameMs: null, sendFrameMs: null, rttMs: null };

  private signaling: BrowserSignaling | null = null;
  private request: JoinRequest | null = null;
  private media: JoinedMessage["media"] | null = null;
  private resumeToken: string | null = null;
  private link: ParentLink | null = null;
  private joinRef: string | null = null;
  private joinCount = 0;
  private usedResume = false;
  private connectedOnce = false;
  private hadParent = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private orphanTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private lastRttReport = 0;
  private watchOnly: { room: string; token?: string } | null = null;
  private readonly retry: ReconnectPolicy;
  private readonly openMic: (voiceProcessing: boolean) => Promise<MediaStream>;

  constructor(private readonly deps: SessionDeps = {}) {
    super();
    this.opts = { ...WEB_DEFAULTS, ...(deps.options ?? {}) };
    this.retry = deps.retry ?? browserRetryPolicy;
    this.openMic = deps.openMic ?? openMicrophone;
  }

  /** Opens the microphone and joins. Resolves once the join was sent (or failed before). */
  async join(req: JoinRequest): Promise<void> {
    if (this.signaling) throw new Error("already joined; leave first");
    if (typeof RTCPeerConnection === "undefined") return this.fail(NOTICES.webrtcMissing);
    this.request = req;
    this.setState("microphone");
    try {
      this.mic = await this.openMic(req.voiceProcessing ?? this.opts.voiceProcessing);
    } catch (err) {
      return this.fail(err instanceof MicrophoneError ? err.notice : { code: "mic-failed", level: "error", text: String(err) });
    }
    this.safeEmit("microphone", this.mic);
    this.setState("connecting");
    this.say(NOTICES.connecting);
    this.connect();
  }

  /** The director's view: polls a room's tree without joining it. */
  watch(room: string, token?: string): void {
    if (this.signaling) return;
    this.watchOnly = { room, ...(token ? { token } : {}) };
    this.connect();
  }

  private connect(): void {
    const sig = new BrowserSignaling(this.deps.url);
    this.signaling = sig;
    sig.on("connect", () => this.onConnect());
    sig.on("disconnect", (reason) => this.onDisconnect(reason));
    sig.on("joined", (m) => this.onJoined(m));
    sig.on("tree-update", (m) => this.onTreeUpdate(m));
    sig.on("signal", (m) => {
      if (this.link && m.from === this.link.parentId) this.link.handle(m.data);
      else this.log(`signal from ${m.from} ignored (not our parent)`);
    });
    sig.on("tree", (m) => this.onTree(m));
    sig.on("server-error", (m) => this.onServerError(m.code, m.message, m.ref));
    sig.on("bad-message", (r) => this.log(`bad server message: ${r}`));
    sig.on("connect-refused", (code, message) => {
      this.log(`connection refused: ${code}: ${message}`);
      this.say(serverNotice(code, message));
    });
    this.timers.push(setInterval(() => this.pollTree(), this.opts.treePollMs));
    this.timers.push(setInterval(() => void this.pollStats(), this.opts.statsPollMs));
  }

  private onConnect(): void {
    const again = this.connectedOnce;
    this.connectedOnce = true;
    if (this.watchOnly) return this.pollTree();
    if (this.state === "failed" || this.state === "left") return;
    // After a lost socket the server may still hold our place (grace period): resume it.
    this.sendJoin(again && this.resumeToken !== null);
  }

  private onDisconnect(reason: string): void {
    this.log(`socket disconnected: ${reason}`);
    if (this.watchOnly || this.state === "failed" || this.state === "left" || this.state === "idle") return;
    this.closeLink();
    this.joinRef = null;
    this.setState("reconnecting");
    this.say(NOTICES.socketLost);
  }

  private sendJoin(resume: boolean): void {
    const r = this.request!;
    this.joinRef = `join-${++this.joinCount}`;
    this.usedResume = resume;
    const msg: JoinMessage = {
      type: "join",
      v: PROTOCOL_VERSION,
      ref: this.joinRef,
      room: r.room,
      name: r.name,
      section: r.section,
      canHub: false,
      uploadKbps: this.opts.uploadKbps,
      hasVoice: true,
      ...(r.token ? { token: r.token } : {}),
      ...(resume && this.resumeToken ? { resume: this.resumeToken } : {}),
    };
    this.signaling?.send(msg);
  }

  private onJoined(m: JoinedMessage): void {
    if (m.ref !== this.joinRef) return;
    this.joinRef = null;
    this.place.id = m.id;
    this.media = m.media;
    this.resumeToken = m.resumeToken;
    this.place.roomFrameMs = m.media.frameMs;
    this.place.sendFrameMs = browserFrameMs(m.media.frameMs);
    this.log(`joined ${m.room} as ${m.id}${m.resumed ? " (resumed)" : ""}, parent ${m.parent ?? "none"}`);
    this.applyParent(m.parent);
    this.pollTree();
  }

  private onTreeUpdate(m: TreeUpdateMessage): void {
    if (this.place.id === null) return;
    this.log(`tree-update (${m.reason}): parent ${m.parent ?? "none"}`);
    this.applyParent(m.parent);
  }

  private applyParent(parent: string | null): void {
    if (this.link && this.link.parentId === parent && this.link.state !== "failed" && this.link.state !== "closed") return;
    this.closeLink();
    this.place.parent = parent;
    this.place.rttMs = null;
    this.updatePlaceFromTree();
    if (parent !== null) {
      this.clearOrphanTimer();
      this.startLink(parent);
      return;
    }
    if (this.hadParent) {
      this.setState("reconnecting");
      this.say(NOTICES.parentLost);
    } else {
      this.setState("waiting");
      this.say(NOTICES.waiting);
    }
  }

  private startLink(parent: string): void {
    const media = this.media!;
    const link = new ParentLink({
      parentId: parent,
      stream: this.mic!,
      media: { frameMs: media.frameMs, fec: media.fec, bitrate: media.bitrate },
      connectTimeoutMs: this.opts.connectTimeoutMs,
      forwardedTracks: this.opts.forwardedTracks,
    });
    this.link = link;
    if (this.state !== "reconnecting") {
      this.setState("linking");
      this.say(NOTICES.linking);
    }
    link.on("signal", (s) => {
      if (this.link === link) this.signaling?.send({ type: "signal", to: parent, kind: protocolKind(s), data: s as unknown as Record<string, unknown> });
    });
    const heard: MediaStreamTrack[] = [];
    link.on("track", (track) => {
      heard.push(track);
      if (this.link === link) this.safeEmit("hearing", [...heard]);
    });
    link.on("problem", (msg) => this.log(`link ${parent}: ${msg}`));
    link.on("state", (st) => {
      if (this.link !== link) return;
      if (st === "connected") {
        this.attempt = 0;
        this.hadParent = true;
        this.setState("singing");
        this.say(NOTICES.singing);
      } else if (st === "failed") {
        this.link = null;
        this.setState("reconnecting");
        this.say(NOTICES.linkRetry);
        this.scheduleRejoin("link");
      }
    });
    link.on("bye", () => {
      if (this.link !== link) return;
      this.link = null;
      this.hadParent = true;
      this.setState("reconnecting");
      this.say(NOTICES.parentLost);
      // The server's tree-update normally follows at once; if it does not, find a place anew.
      this.clearOrphanTimer();
      this.orphanTimer = setTimeout(() => {
        this.orphanTimer = null;
        if (this.link === null) this.scheduleRejoin("orphan");
      }, this.opts.orphanTimeoutMs);
    });
  }

  private scheduleRejoin(reason: RetryReason): void {
    if (this.retryTimer !== null) return;
    const wait = retryDelayMs(this.retry, this.attempt, reason);
    this.attempt++;
    if (wait === null) return this.fail({ code: "link-retry", level: "error", text: "Could not reconnect to the choir. Reload the page to try again." });
    this.log(`retrying (${reason}) in ${wait} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.signaling || this.state === "failed" || this.state === "left") return;
      if (!this.signaling.connected) return; // socket.io's own reconnect will rejoin
      this.closeLink();
      // A fresh id: signals still in flight for the old one can no longer reach us.
      this.signaling.send({ type: "leave" });
      this.place.id = null;
      this.sendJoin(false);
    }, wait);
  }

  private onServerError(code: string, message: string, ref: unknown): void {
    const forJoin = ref !== undefined && ref === this.joinRef;
    this.log(`server error ${code}: ${message}`);
    if (!forJoin) {
      if (this.watchOnly && code.startsWith("token")) this.say(serverNotice(code, message));
      return;
    }
    this.joinRef = null;
    if (this.usedResume && code.startsWith("token")) {
      // A resume token the server no longer honours (e.g. it restarted): join afresh.
      this.resumeToken = null;
      return this.sendJoin(false);
    }
    const notice = serverNotice(code, message);
    const wait = retryDelayMs(this.retry, this.attempt, `join:${code}`);
    if (wait === null) return this.fail(notice);
    this.say(notice);
    this.scheduleRejoin(`join:${code}`);
  }

  private onTree(m: TreeMessage): void {
    this.tree = m;
    this.updatePlaceFromTree();
    this.safeEmit("tree", m);
  }

  private updatePlaceFromTree(): void {
    const nodes = this.tree?.nodes ?? [];
    const me = nodes.find((n) => n.id === this.place.id);
    const parent = nodes.find((n) => n.id === this.place.parent);
    this.place.depth = me && me.depth >= 0 ? me.depth : null;
    this.place.parentName = parent?.name ?? null;
    this.safeEmit("place", { ...this.place });
  }

  private pollTree(): void {
    const sig = this.signaling;
    if (!sig?.connected) return;
    if (this.watchOnly) sig.send({ type: "tree", room: this.watchOnly.room, ...(this.watchOnly.token ? { token: this.watchOnly.token } : {}) });
    else if (this.place.id !== null) sig.send({ type: "tree" });
  }

  private async pollStats(): Promise<void> {
    const link = this.link;
    if (!link || link.state !== "connected") return;
    const stats = await link.stats().catch(() => null);
    if (!stats || this.link !== link) return;
    this.place.rttMs = stats.rttMs;
    this.linkStats = stats;
    this.safeEmit("stats", stats);
    this.safeEmit("place", { ...this.place });
    const now = performance.now();
    if (stats.rttMs !== null && this.opts.rttReportMs > 0 && now - this.lastRttReport >= this.opts.rttReportMs) {
      this.lastRttReport = now;
      this.signaling?.send({ type: "rtt", samples: [{ to: link.parentId, rttMs: Math.min(10_000, Math.max(0, stats.rttMs)) }] });
    }
  }

  /** The local and remote descriptions of the link to the parent, as the browser applied them. */
  linkSdp(): { local: string | null; remote: string | null } | null {
    return this.link?.descriptions() ?? null;
  }

  /** Switches voice processing: a new microphone track replaces the old one on the link. */
  async setVoiceProcessing(on: boolean): Promise<void> {
    if (this.request) this.request.voiceProcessing = on;
    if (!this.mic) return;
    let next: MediaStream;
    try {
      next = await this.openMic(on);
    } catch (err) {
      if (err instanceof MicrophoneError) this.say(err.notice);
      return;
    }
    const track = next.getAudioTracks()[0];
    if (track && this.link) this.link.replaceTrack(track);
    for (const t of this.mic.getTracks()) t.stop();
    this.mic = next;
    this.safeEmit("microphone", next);
  }

  /** Leaves the room and stops everything. */
  leave(): void {
    if (this.state === "left") return;
    this.signaling?.send({ type: "leave" });
    this.shutdown();
    this.setState("left");
    this.say(NOTICES.left);
  }

  private fail(notice: Notice): void {
    this.say(notice);
    this.shutdown();
    this.setState("failed");
  }

  private shutdown(): void {
    this.closeLink();
    this.clearOrphanTimer();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    // Our own close must not read as a lost connection.
    this.signaling?.removeAllListeners();
    this.signaling?.close();
    this.signaling = null;
    for (const t of this.mic?.getTracks() ?? []) t.stop();
  }

  private closeLink(): void {
    const link = this.link;
    this.link = null;
    link?.close();
  }

  private clearOrphanTimer(): void {
    if (this.orphanTimer !== null) clearTimeout(this.orphanTimer);
    this.orphanTimer = null;
  }

  private setState(s: SessionState): void {
    if (this.state === s) return;
    this.state = s;
    this.safeEmit("state", s);
  }

  private say(n: Notice): void {
    this.notice = n;
    this.safeEmit("notice", n);
  }

  private log(line: string): void {
    this.safeEmit("log", line);
  }

  protected override onListenerError(event: keyof SessionEvents, err: unknown): void {
    console.error(`choirmesh: a "${String(event)}" listener threw`, err);
  }
}

export * from "./session-types.js";
