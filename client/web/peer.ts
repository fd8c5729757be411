/**
 * The singer's one WebRTC link, to its parent hub: simple-peer over the browser's
 * RTCPeerConnection, audio only (Opus), the browser makes the offer: one track each way, and
 * receive-only tracks for the streams its parent forwards from above (one per level). Signals are translated to
 * and from the Node runtime's link signals (signal-map.ts); the room's Opus settings go into
 * both descriptions (sdp.ts). Failures become `failed` events, never exceptions.
 */
import SimplePeer from "simple-peer";
import { SafeEmitter } from "@choirmesh/common/events";
import { mungeOpusSdp, type OpusSdpSettings } from "./sdp.js";
import { fromSimplePeer, toSimplePeer, type LinkSignal } from "./signal-map.js";

export type ParentLinkState = "connecting" | "connected" | "closed" | "failed";

export type ParentLinkEvents = {
  signal: [signal: LinkSignal];
  state: [state: ParentLinkState];
  /**
   * What the singer hears, a track at a time: the parent's own mix, and on the forwarded down
   * path one track per level above it (the streams the parent forwards unchanged).
   */
  track: [track: MediaStreamTrack];
  /** The peer closed the link on purpose (`bye`). */
  bye: [];
  /** A contained problem (a bad signal, a WebRTC error); `failed` follows when fatal. */
  problem: [message: string];
};

export interface ParentLinkStats {
  state: ParentLinkState;
  /** Round-trip time to the parent from ICE consent checks, ms; null until measured. */
  rttMs: number | null;
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  /** Receive jitter, ms. */
  jitterMs: number | null;
  /** Average jitter-buffer delay of what is played, ms. */
  jitterBufferMs: number | null;
  concealedSamples: number;
  /** Incoming audio tracks that have carried packets: the parent's own and each forwarded level. */
  tracksReceiving: number;
  /** Codec in use for sending ("audio/opus"), when known. */
  codec: string | null;
}

export interface ParentLinkOptions {
  parentId: string;
  stream: MediaStream;
  media: OpusSdpSettings;
  connectTimeoutMs: number;
  /** Receive-only audio tracks offered beyond the first, for forwarded down streams; default 0. */
  forwardedTracks?: number;
}

export class ParentLink extends SafeEmitter<ParentLinkEvents> {
  readonly parentId: string;
  private readonly peer: SimplePeer;
  private _state: ParentLinkState = "connecting";
  private timer: ReturnType<typeof setTimeout> | null;
  private readonly media: OpusSdpSettings;
  // simple-peer finds a sender by the track and stream it was created with.
  private readonly sendStream: MediaStream;
  private sendTrack: MediaStreamTrack | null;

  constructor(opts: ParentLinkOptions) {
    super();
    this.parentId = opts.parentId;
    this.media = opts.media;
    this.sendStream = opts.stream;
    this.sendTrack = opts.stream.getAudioTracks()[0] ?? null;
    this.peer = new SimplePeer({
      initiator: true,
      trickle: true,
      stream: opts.stream,
      // No STUN/TURN by default: simple-peer would otherwise add public servers.
      config: { iceServers: [] },
      offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: false },
      sdpTransform: (sdp) => mungeOpusSdp(sdp, this.media),
    });
    this.peer.on("signal", (data) => {
      const s = fromSimplePeer(data);
      if (s) this.safeEmit("signal", s);
    });
    // Every remote audio track, with or without a stream id in the answer (werift's extra
    // send-only tracks may have none, and simple-peer only reports tracks that have one).
    const pc0 = this.peer._pc;
    for (let k = 0; k < (opts.forwardedTracks ?? 0); k++) pc0.addTransceiver("audio", { direction: "recvonly" });
    pc0.addEventListener("track", (e) => {
      if (e.track.kind === "audio") this.safeEmit("track", e.track);
    });
    this.peer.on("error", (err) => {
      this.safeEmit("problem", `${err.code ?? "webrtc"}: ${err.message}`);
      this.fail();
    });
    this.peer.on("close", () => {
      if (this._state !== "closed") this.fail();
    });
    const pc = this.peer._pc;
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected") this.setState("connected");
      else if (pc.connectionState === "failed") this.fail();
    });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this._state === "connecting") {
        this.safeEmit("problem", `no connection to ${this.parentId} within ${opts.connectTimeoutMs} ms`);
        this.fail();
      }
    }, opts.connectTimeoutMs);
  }

  get state(): ParentLinkState {
    return this._state;
  }

  /** A link signal from the parent. */
  handle(data: unknown): void {
    if (this._state === "closed" || this._state === "failed") return;
    const s = toSimplePeer(data);
    switch (s.action) {
      case "invalid":
        this.safeEmit("problem", `bad signal from ${this.parentId}: ${s.reason}`);
        return;
      case "bye":
        this.close();
        this.safeEmit("bye");
        return;
      case "restart":
        // Only a fresh link can restart from the browser side; the session decides.
        this.safeEmit("problem", `${this.parentId} asked for an ICE restart`);
        this.fail();
        return;
      case "signal": {
        const d = s.data;
        // The browser's encoder follows the remote description: put the room's settings there.
        const data = "sdp" in d ? { type: d.type, sdp: mungeOpusSdp(d.sdp, this.media) } : d;
        try {
          this.peer.signal(data as unknown as Record<string, unknown>);
        } catch (err) {
          this.safeEmit("problem", `signal rejected: ${(err as Error).message}`);
        }
        return;
      }
    }
  }

  /** Swaps the microphone track (voice processing switched) without renegotiating. */
  replaceTrack(newTrack: MediaStreamTrack): void {
    if (this._state === "closed" || this._state === "failed" || this.sendTrack === null) return;
    try {
      this.peer.replaceTrack(this.sendTrack, newTrack, this.sendStream);
      this.sendTrack = newTrack;
    } catch (err) {
      this.safeEmit("problem", `replaceTrack: ${(err as Error).message}`);
    }
  }

  descriptions(): { local: string | null; remote: string | null } {
    const pc = this.peer._pc;
    return { local: pc.localDescription?.sdp ?? null, remote: pc.remoteDescription?.sdp ?? null };
  }

  async stats(): Promise<ParentLinkStats> {
    const out: ParentLinkStats = {
      state: this._state,
      rttMs: null,
      packetsSent: 0,
      packetsReceived: 0,
      packetsLost: 0,
      jitterMs: null,
      jitterBufferMs: null,
      concealedSamples: 0,
      tracksReceiving: 0,
      codec: null,
    };
    if (this._state === "closed" || this._state === "failed") return out;
    const report = await this.peer._pc.getStats();
    let remoteRtt: number | null = null;
    const codecs = new Map<string, string>();
    report.forEach((s: Record<string, any>) => {
      if (s.type === "codec") codecs.set(s.id, String(s.mimeType));
    });
    report.forEach((s: Record<string, any>) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && typeof s.currentRoundTripTime === "number") {
        out.rttMs = s.currentRoundTripTime * 1000;
      } else if (s.type === "remote-inbound-rtp" && typeof s.roundTripTime === "number") {
        remoteRtt = s.roundTripTime * 1000;
      } else if (s.type === "outbound-rtp" && s.kind === "audio") {
        out.packetsSent += s.packetsSent ?? 0;
        if (s.codecId) out.codec = codecs.get(s.codecId) ?? out.codec;
      } else if (s.type === "inbound-rtp" && s.kind === "audio") {
        out.packetsReceived += s.packetsReceived ?? 0;
        if ((s.packetsReceived ?? 0) > 0) out.tracksReceiving++;
        out.packetsLost += s.packetsLost ?? 0;
        if (typeof s.jitter === "number") out.jitterMs = s.jitter * 1000;
        if (typeof s.jitterBufferDelay === "number" && s.jitterBufferEmittedCount > 0) {
          out.jitterBufferMs = (1000 * s.jitterBufferDelay) / s.jitterBufferEmittedCount;
        }
        out.concealedSamples += s.concealedSamples ?? 0;
      }
    });
    if (out.rttMs === null) out.rttMs = remoteRtt;
    return out;
  }

  /** Closes the link quietly (the tree changed: the server already told the parent). */
  close(): void {
    if (this._state === "closed") return;
    this.setState("closed");
    this.clearTimer();
    this.peer.destroy();
  }

  private fail(): void {
    if (this._state === "closed" || this._state === "failed") return;
    this.setState("failed");
    this.clearTimer();
    this.peer.destroy();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private setState(next: ParentLinkState): void {
    if (this._state === next) return;
    this._state = next;
    if (next === "connected") this.clearTimer();
    this.safeEmit("state", next);
  }

  protected override onListenerError(event: keyof ParentLinkEvents, err: unknown): void {
    console.error(`choirmesh: a "${String(event)}" listener threw`, err);
  }
}
