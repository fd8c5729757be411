/**
 * The extra audio tracks of a link to a browser that takes forwarded down streams
 * (docs/design.md, "The cheap hop"). A browser cannot read the forwarded path's header
 * (down-header.ts): it asks instead for one receive-only audio track per level above its parent,
 * as extra m-lines in its offer, and lets its own WebRTC stack buffer, decode and play each. Its
 * hub answers those m-lines as send-only and sends on track k the stream that k hubs forwarded
 * (the one from k levels above the hub), plain Opus, with that stream's own timing.
 *
 * Each track keeps one continuous numbering: when the stream on a level changes (the tree moved
 * above), the next packet continues the track's sequence and timestamp instead of jumping to the
 * new origin's, which the receiver's SRTP would take for a replay or a wrap.
 */
import type { RTCPeerConnection, RTCRtpTransceiver } from "werift";
import { WeriftRtpPath } from "./werift-rtp.js";

/** Per track: where the current origin's numbering starts on the track's own. */
export class TrackNumbering {
  private tag = -1;
  private seqBase = 0;
  private tsBase = 0;
  private originSeq0 = 0;
  private originTs0 = 0;
  private lastSeq = (Math.random() * 0x10000) >>> 0;
  private lastTs = (Math.random() * 0x100000000) >>> 0;
  private started = false;
  /** The marker bit for the packet just mapped: the first of a new origin. */
  marker = false;
  seq = 0;
  ts = 0;

  /**
   * Maps a packet of origin `tag` numbered (seq, ts) onto the track: sets `seq`, `ts` and
   * `marker`. `frameSamples` spaces a new origin's first packet from the last one sent.
   */
  map(tag: number, seq: number, ts: number, frameSamples: number): void {
    if (tag !== this.tag) {
      this.tag = tag;
      this.originSeq0 = seq;
      this.originTs0 = ts;
      this.seqBase = this.started ? (this.lastSeq + 1) & 0xffff : this.lastSeq;
      this.tsBase = this.started ? (this.lastTs + frameSamples) >>> 0 : this.lastTs;
      this.marker = true;
    } else {
      this.marker = false;
    }
    this.started = true;
    this.seq = (this.seqBase + ((seq - this.originSeq0) & 0xffff)) & 0xffff;
    this.ts = (this.tsBase + ((ts - this.originTs0) >>> 0)) >>> 0;
    // Only forward steps move the track's last figures (a late packet of the same origin does not).
    if (((this.seq - this.lastSeq) & 0xffff) < 0x8000) {
      this.lastSeq = this.seq;
      this.lastTs = this.ts;
    }
  }
}

export class SendTracks {
  private readonly extra: RTCRtpTransceiver[] = [];
  private readonly paths: (WeriftRtpPath | null)[] = [];
  private readonly numbering: TrackNumbering[] = [];
  /** Packets for a level beyond the tracks the peer offered. */
  beyond = 0;
  sent = 0;

  constructor(
    pc: RTCPeerConnection,
    private readonly main: RTCRtpTransceiver,
    private readonly payloadType: number,
    private readonly onRejected: (err: unknown) => void,
  ) {
    // The peer's offer had more audio m-lines than our one: they are receive-only on its side,
    // so send-only on ours (werift would answer them inactive).
    pc.onRemoteTransceiverAdded.subscribe((t) => {
      if (t === this.main || t.kind !== "audio") return;
      t.setDirection("sendonly");
      this.extra.push(t);
      this.paths.push(null);
      this.numbering.push(new TrackNumbering());
    });
  }

  /** Extra tracks the peer asked for (levels above this hub it can hear). */
  get count(): number {
    return this.extra.length;
  }

  /**
   * Sends on track `level` (1: the stream one hub forwarded) a packet of origin `tag`, numbered
   * (seq, ts) by its origin. False when the peer offered no such track.
   */
  send(level: number, tag: number, seq: number, ts: number, payload: Uint8Array, frameSamples: number): boolean {
    const k = level - 1;
    if (k < 0 || k >= this.extra.length) {
      this.beyond++;
      return false;
    }
    const path = (this.paths[k] ??= new WeriftRtpPath(this.extra[k].sender, this.payloadType, this.onRejected));
    const n = this.numbering[k];
    n.map(tag, seq, ts, frameSamples);
    path.send(n.seq, n.ts, n.marker, payload);
    this.sent++;
    return true;
  }
}
