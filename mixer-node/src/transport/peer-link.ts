/**
 * One WebRTC link to one tree neighbour: a werift peer connection carrying
 * one Opus stream each way. Signaling is injected (the link emits `signal`,
 * the runtime relays it and feeds the peer's into `handleSignal`). Nothing
 * that comes from the network or from a listener escapes as an exception:
 * it becomes an `error` event with a code.
 */
import type { MediaStreamTrack, RTCPeerConnection, RTCRtpTransceiver, RtpPacket as RtpPacketT } from "werift";
import { LISTENER_ERROR_REPORT_MS, PEER_LINK_DEFAULTS, type LinkImpairment, type LinkRole, type PeerLinkOptions } from "./defaults.js";
import { DirectRtp, type WeriftReceiverLike, type WeriftSenderLike } from "./direct-rtp.js";
import { TransportError, type TransportErrorCode } from "./errors.js";
import { SafeEmitter } from "@choirmesh/common/events";
import { DROPPED, NOW, realClock } from "./impairment.js";
import { LinkImpairments, type HeldIn, type HeldOut } from "./link-impairment.js";
import { linkStats, newLinkCounters, type SenderRtcpFields } from "./link-stats.js";
import { Negotiation } from "./negotiation.js";
import { SendTracks } from "./send-tracks.js";
import { parseSignal } from "@choirmesh/protocol";
import type { LinkState, PeerLinkEvents, PeerLinkStats } from "./types.js";
import { createPeerConnection } from "./werift-setup.js";
import { WeriftRtpPath } from "./werift-rtp.js";

export class PeerLink extends SafeEmitter<PeerLinkEvents> {
  readonly role: LinkRole;
  readonly label: string;
  private readonly pc: RTCPeerConnection;
  private readonly transceiver: RTCRtpTransceiver;
  /** A browser's extra tracks for forwarded down streams (send-tracks.ts); none for a node. */
  private readonly tracks: SendTracks;
  private readonly negotiation: Negotiation;
  /** werift's own RTP path: before the direct path is up, or for a link it cannot carry. */
  private readonly weriftPath: WeriftRtpPath;
  private readonly maxSdpChars: number;
  private _state: LinkState = "new";
  private started = false;
  private closedBy: "local" | "remote" | null = null;
  private closing: Promise<void> | null = null;
  /** CHOIRMESH_DIRECT_RTP=0 keeps werift's own media path (benchmarks compare the two). */
  private directRefused = process.env.CHOIRMESH_DIRECT_RTP === "0";
  /** The owner drains the link on its tick (PeerLinkOptions.receiveOnTick). */
  private receiveOnTick: boolean;

  // Send state: the link owns sequence numbers and timestamps; werift adds
  // constant offsets of its own, so receivers see a consistent stream.
  private seq = (Math.random() * 0x10000) >>> 0;
  private timestamp = (Math.random() * 0x100000000) >>> 0;
  private marker = true;

  /** The direct media path once connected (GCM profile, UDP pair); null: werift's own path. */
  private direct: DirectRtp | null = null;
  /** Impairment of either direction, set by tests and the chaos harness (none by default). */
  private readonly impairments = new LinkImpairments<HeldOut, HeldIn>(
    (p) => this.releaseOut(p),
    (p, at) => this.releaseIn(p, at),
  );

  private readonly counters = newLinkCounters();
  private lastListenerErrorReport = -Infinity;

  constructor(options: PeerLinkOptions) {
    super();
    if (options.role !== "offerer" && options.role !== "answerer") {
      throw new TransportError("bad-option", `role must be "offerer" or "answerer": ${String(options.role)}`);
    }
    this.role = options.role;
    this.label = options.label ?? PEER_LINK_DEFAULTS.label;
    this.maxSdpChars = options.maxSdpChars ?? PEER_LINK_DEFAULTS.maxSdpChars;
    this.receiveOnTick = options.receiveOnTick ?? false;
    this.pc = createPeerConnection(options);
    this.transceiver = this.pc.addTransceiver("audio", { direction: "sendrecv" });
    this.weriftPath = new WeriftRtpPath(this.transceiver.sender, PEER_LINK_DEFAULTS.payloadType, this.onSendRejected);
    this.transceiver.onTrack.subscribe(this.onTrack);
    this.tracks = new SendTracks(this.pc, this.transceiver, PEER_LINK_DEFAULTS.payloadType, this.onSendRejected);
    this.pc.connectionStateChange.subscribe((s) => this.setState(s));
    this.negotiation = new Negotiation(this.pc, {
      trickle: options.trickle ?? (options.iceServers ?? PEER_LINK_DEFAULTS.iceServers).length > 0,
      loopbackOnly: options.loopbackOnly ?? PEER_LINK_DEFAULTS.loopbackOnly,
      emitSignal: (signal) => this.safeEmit("signal", signal),
      report: (code, message, cause) => this.report(code, message, cause),
      isClosing: () => this.closing !== null,
    });
    if (options.impairment) this.impair(options.impairment);
  }

  get state(): LinkState { return this._state; }

  /** Begins negotiation: the offerer sends its offer; the answerer waits for one. Idempotent. */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.counters.startedMs = performance.now();
    if (this.role === "offerer") this.negotiation.offer(false);
  }

  /** Takes one signal from the peer. Never throws: problems become `error` events. */
  handleSignal(input: unknown): void {
    if (this.closing) return;
    const check = parseSignal(input, this.maxSdpChars);
    if (!check.ok) {
      this.report("bad-signal", check.reason);
      return;
    }
    if (!this.started) {
      this.started = true;
      this.counters.startedMs = performance.now();
    }
    const signal = check.signal;
    switch (signal.kind) {
      case "offer":
        if (this.role !== "answerer") return this.report("unexpected-signal", "an offerer got an offer");
        this.negotiation.answer(signal.sdp);
        return;
      case "answer":
        if (this.role !== "offerer") return this.report("unexpected-signal", "an answerer got an answer");
        this.negotiation.acceptAnswer(signal.sdp);
        return;
      case "candidate":
        this.negotiation.addCandidate(signal.candidate);
        return;
      case "restart":
        if (this.role !== "offerer") return this.report("unexpected-signal", "an answerer got a restart request");
        this.restartIce();
        return;
      case "bye":
        this.closedBy = "remote";
        void this.close();
        return;
    }
  }

  /**
   * Repairs the link with an ICE restart (DTLS and RTP carry on): the offerer renegotiates, an
   * answerer asks it through a `restart` signal. Returns false once closed.
   */
  restartIce(): boolean {
    if (this.closing) return false;
    this.counters.iceRestarts++;
    if (this.role === "answerer") {
      this.safeEmit("signal", { kind: "restart" });
      return true;
    }
    this.started = true;
    this.negotiation.offer(true);
    return true;
  }

  /**
   * Sends one Opus packet of `samples` samples (48 kHz). False when not connected (the timestamp
   * still advances; the next packet has the marker bit) or impairment dropped it (its sequence
   * number used up, as a real loss). Hot path: no awaits, no logs, one Buffer view per packet.
   */
  sendOpus(payload: Uint8Array, samples: number): boolean {
    const ts = this.timestamp;
    this.timestamp = (ts + samples) >>> 0;
    if (this._state !== "connected") {
      this.marker = true;
      return false;
    }
    const seq = this.seq;
    this.seq = (seq + 1) & 0xffff;
    const marker = this.marker;
    this.marker = false;
    const path = this.impairments.send;
    if (path === null) {
      this.transmit(seq, ts, marker, payload);
      return true;
    }
    const release = path.decide();
    if (release === DROPPED) return false;
    if (release === NOW) {
      this.transmit(seq, ts, marker, payload);
    } else {
      // Held packets outlive the caller's buffer: copy.
      path.hold({ seq, timestamp: ts, marker, payload: Buffer.from(payload) }, release);
    }
    return true;
  }

  /** Audio tracks beyond the first that the peer offered to receive (a browser's forwarded streams). */
  get extraTracks(): number { return this.tracks.count; }

  /**
   * A forwarded stream's packet on extra track `level` (send-tracks.ts), plain Opus numbered by
   * its origin `tag`. False when not connected or the peer has no such track.
   */
  sendTrack(level: number, tag: number, seq: number, ts: number, payload: Uint8Array, frameSamples: number): boolean {
    return this._state === "connected" && this.tracks.send(level, tag, seq, ts, payload, frameSamples);
  }

  /** Advances the timestamp over samples not sent (DTX, silence); the next packet gets the marker bit. */
  skipSamples(samples: number): void {
    this.timestamp = (this.timestamp + samples) >>> 0;
    this.marker = true;
  }

  /**
   * Frames this end never produced (its clock skipped them after a stall) use up their numbers:
   * the receiver sees them lost, not as a stream fallen behind its clock (a lasting delay).
   */
  skipFrames(frames: number, samplesPerFrame: number): void {
    if (!(frames > 0)) return;
    this.seq = (this.seq + frames) & 0xffff;
    this.timestamp = (this.timestamp + frames * samplesPerFrame) >>> 0;
  }

  /** Shorthand for `on("opus", listener)`. */
  onOpus(listener: (seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number) => void): () => void { return this.on("opus", listener); }

  /** Sets impairment at run time, merged into each direction's current settings; `null` removes it all. */
  impair(spec: LinkImpairment | null): void {
    this.impairments.set(spec);
    this.impairments.receive?.setManual(this.receiveOnTick);
  }

  /** Cuts the media both ways (or one) for `durationMs` or until `restore()`; ICE keeps running underneath. */
  cut(durationMs = Infinity, direction: "both" | "send" | "receive" = "both"): void { this.impairments.cut(durationMs, direction); }

  /** Ends every cut now. */
  restore(): void { this.impairments.restore(); }

  /** Handles the packets that wait on the socket (receiveOnTick), on the owner's tick; nothing otherwise. */
  drain(): void {
    if (this.direct !== null && this.closing === null) this.direct.drain();
    // Held incoming packets due by now (a delay read on the tick: LinkImpairments.receive).
    if (this.receiveOnTick) this.impairments.receive?.releaseDue(performance.now());
  }

  /** Reading on the owner's tick (drain), or as packets arrive (a hub forwarding what comes from above). */
  setReceiveOnTick(on: boolean): void {
    if (this.receiveOnTick === on) return;
    // Kept before the direct path is up too: attachDirect() puts a new path in this mode.
    this.receiveOnTick = on;
    this.impairments.receive?.setManual(on);
    if (this.direct !== null) on ? this.direct.receiveOnTick() : this.direct.receiveOnArrival();
  }

  getStats(): PeerLinkStats {
    // werift keeps the RTCP-derived figures in private fields; its getStats() would build a
    // whole report (async) to expose the same numbers.
    const sender = this.transceiver.sender as unknown as SenderRtcpFields;
    return linkStats(this.counters, {
      label: this.label,
      role: this.role,
      state: this._state,
      closedBy: this.closedBy,
      sender,
      direct: this.direct ? this.direct.stats() : null,
      impairment: this.impairments.toJSON(realClock.now()),
    });
  }

  toJSON(): PeerLinkStats {
    return this.getStats();
  }

  /**
   * Closes the link; idempotent, resolves when werift has closed. A link that negotiated says
   * `bye` first: werift sends nothing on close, and the peer's ICE consent would run 30 s.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.closedBy === null) {
      this.closedBy = "local";
      if (this.started) this.safeEmit("signal", { kind: "bye" });
    }
    this.impairments.close();
    // werift's socket back as it was (read by libuv again) for its own closing.
    this.direct?.detach();
    this.setState("closed");
    this.closing = this.pc.close().catch((err: unknown) => {
      this.report("negotiation-failed", "closing the peer connection failed", err);
    });
    return this.closing;
  }

  // ---- internals -------------------------------------------------------

  private transmit(seq: number, timestamp: number, marker: boolean, payload: Uint8Array): void {
    this.counters.packetsSent++;
    this.counters.bytesSent += payload.byteLength;
    this.counters.lastSentMs = performance.now();
    if (!this.directRefused) {
      let direct = this.direct;
      if (direct === null || !direct.matches(this.sender.dtlsTransport)) direct = this.attachDirect();
      if (direct !== null) direct.send(seq, timestamp, marker, payload);
      // Sent, or dropped while ICE settles on a pair: never through werift's path as well, whose
      // sequence and timestamp offsets differ.
      if (!this.directRefused) return;
    }
    this.weriftPath.send(seq, timestamp, marker, payload);
  }

  private get sender(): WeriftSenderLike {
    return this.transceiver.sender as unknown as WeriftSenderLike;
  }

  /**
   * Moves the media onto the direct path when it can take it (connected, GCM, a UDP pair), or to
   * ICE's new pair; a link it cannot carry keeps werift's path for good (`directRefused`).
   */
  private attachDirect(): DirectRtp | null {
    if (this.directRefused || this._state !== "connected") return null;
    const previous = this.direct;
    previous?.detach();
    const next = DirectRtp.attach(this.sender, this.transceiver.receiver as unknown as WeriftReceiverLike, this.receivePacket, previous);
    if (next === "unsupported") {
      this.directRefused = true;
      this.direct = null;
      return null;
    }
    // Not ready: the old path stays as the record of its rollover counters.
    if (next === null) return null;
    this.direct = next;
    if (this.receiveOnTick) next.receiveOnTick();
    return next;
  }

  private readonly releaseOut = (p: HeldOut): void => {
    if (this._state === "connected") this.transmit(p.seq, p.timestamp, p.marker, p.payload);
  };

  private readonly onSendRejected = (err: unknown): void => {
    this.counters.sendFailures++;
    if (this.counters.sendFailures === 1) this.report("send-failed", "werift rejected an RTP send", err);
  };

  private readonly onTrack = (track: MediaStreamTrack): void => void track.onReceiveRtp.subscribe(this.onRtp);

  private readonly onRtp = (rtp: RtpPacketT): void => {
    this.receivePacket(rtp.header.sequenceNumber, rtp.header.timestamp, rtp.payload, performance.now());
  };

  /** One received packet, from the direct path or from werift's track. */
  private readonly receivePacket = (seq: number, timestamp: number, payload: Uint8Array, arrival: number): void => {
    if (this.closing) return;
    this.counters.packetsReceived++;
    this.counters.bytesReceived += payload.length;
    this.counters.lastReceivedMs = arrival;
    const path = this.impairments.receive;
    if (path === null) {
      this.emitOpus(seq, timestamp, payload, arrival);
      return;
    }
    const release = path.decide(arrival);
    if (release === DROPPED) return;
    // Due already (read late in a batch): it arrived, on the emulated path, when it was due.
    if (release === NOW) this.emitOpus(seq, timestamp, payload, path.lastRelease);
    else path.hold({ seq, timestamp, payload }, release);
  };

  private readonly releaseIn = (p: HeldIn, releasedAtMs: number): void => {
    if (!this.closing) this.emitOpus(p.seq, p.timestamp, p.payload, releasedAtMs);
  };

  /** Fixed-arity emit: no rest-argument array per packet. */
  private emitOpus(seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number): void {
    const list = this.listenersOf("opus");
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i](seq, timestamp, payload, arrivalMs);
      } catch (err) {
        this.onListenerError("opus", err);
      }
    }
  }

  protected override onListenerError(event: keyof PeerLinkEvents, err: unknown): void {
    this.counters.listenerErrors++;
    // An error listener that throws is counted, never re-reported (no loops).
    if (event === "error") return;
    const now = performance.now();
    if (now - this.lastListenerErrorReport < LISTENER_ERROR_REPORT_MS) return;
    this.lastListenerErrorReport = now;
    this.report("listener-threw", `a listener of "${String(event)}" threw`, err);
  }

  private setState(next: LinkState): void {
    const prev = this._state;
    if (prev === next || prev === "closed") return;
    this._state = next;
    if (next === "connected" && this.counters.setupMs < 0 && this.counters.startedMs >= 0) {
      this.counters.setupMs = performance.now() - this.counters.startedMs;
    }
    if (next !== "connected") this.marker = true;
    if (next === "connected") this.attachDirect();
    else if (next === "closed") {
      this.direct?.detach();
      this.direct = null;
    }
    this.safeEmit("state", next, prev);
  }

  private report(code: TransportErrorCode, message: string, cause?: unknown): void {
    this.counters.errors++;
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    this.safeEmit("error", new TransportError(code, `[${this.label}] ${message}${detail}`, { cause }));
  }
}
