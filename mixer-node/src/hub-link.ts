/**
 * One link of a hub engine: its incoming stream (jitter buffer, decoder), its outgoing one
 * (encoder, and the redundant copies that protect it on a lossy link), and its counters.
 */
import { MAX_PACKET_BYTES, type CodecBackend, type Decoder, type Encoder, type EncoderOptions, type FrameMs } from "./codec/types.js";
import { padWithRedundancy } from "./codec/redundancy.js";
import { HUB_ENGINE_DEFAULTS } from "./defaults.js";
import { JitterBuffer, type JitterBufferOptions, type PopKind } from "./jitter-buffer.js";
import { DOWN_HEADER_BYTES, UP_HEADER_BYTES, UP_MAGIC, writeDownHeader } from "./down-header.js";
import type { DownStreams } from "./down-streams.js";
import type { ForwardProtect } from "./forward-protect.js";
import type { HubInputStats, PopCounts } from "./stats.js";
import { INCIDENT, type Timeline } from "./timeline.js";
import { LongFrames, longFactor } from "./long-frames.js";
import { opusPacketSamples } from "./codec/fallback.js";

/** One link's codec state: its incoming stream (jitter buffer, decoder) and outgoing one (encoder). */
export class HubLink {
  /** The incoming stream's buffer (the long one's, once its packets turn out longer than a frame). */
  jb: JitterBuffer;
  readonly dec: Decoder;
  readonly enc: Encoder;
  readonly out = new Uint8Array(MAX_PACKET_BYTES);
  outLength = 0;
  /**
   * Redundancy on this link's outgoing stream: how many earlier packets ride along (0, 1 or 2),
   * the last two packets sent, and the padded packet.
   */
  redundancy = 0;
  readonly prev1 = new Uint8Array(MAX_PACKET_BYTES);
  prev1Length = 0;
  readonly prev2 = new Uint8Array(MAX_PACKET_BYTES);
  prev2Length = 0;
  readonly redOut = new Uint8Array(3 * MAX_PACKET_BYTES + 16);
  /** What protect() chose to send: `out` or `redOut`. */
  wire: Uint8Array = this.out;
  /** Loss measured on the incoming stream at the last adaptRedundancy(), and since when it is low. */
  seenLost = 0;
  seenFrames = 0;
  /** The window before: lost frames and frames. */
  lastLost = 0;
  lastFrames = 0;
  quietSinceMs = -1;
  /** Loss rate averaged over ~5 s of frames: what keeps a level up. */
  lossAverage = 0;
  /**
   * A parent link on a forwarded down path: the streams it carries (one per hub above), which
   * replace this link's own jitter buffer and decoder for what comes in.
   */
  streams: DownStreams | null = null;
  /**
   * A child that takes forwarded streams: its own stream goes out with a header (down-header.ts)
   * under this tag, and what comes from above is forwarded to it as it arrives.
   */
  forward = false;
  /** A direct peer's link (HubEngine.setChildPeer): its packets are up packets, it is sent ours. */
  peer = false;
  /** On the parent's link: the up packet the last tick sent (bytes and length; 0 when none). */
  lastSent: Uint8Array = this.out;
  lastSentLength = 0;
  readonly tag = 1 + Math.floor(Math.random() * 0xffff);
  readonly framed = new Uint8Array(3 * MAX_PACKET_BYTES + 16 + DOWN_HEADER_BYTES);
  /** Loss protection of the streams forwarded to this child (made when first needed). */
  fwdProtect: ForwardProtect | null = null;
  /** The phase this child's up stream said last (-1: none yet). */
  upPhase = -1;
  /** Packets of k frames each (a browser in a room below 10 ms): long-frames.ts; null until seen. */
  long: LongFrames | null = null;
  lengthSeen = false;
  /** Packets and bytes forwarded to this child from above. */
  forwarded = 0;
  bytesForwarded = 0;
  seq = Math.floor(Math.random() * 0x10000);
  ts = Math.floor(Math.random() * 0x100000000);
  last: PopKind = "silence";
  pops: PopCounts = { packet: 0, fec: 0, conceal: 0, silence: 0 };
  /** The current run of frames not decoded from a packet, and when it began (for the timeline). */
  lostRun = 0;
  lostSinceMs = 0;
  /** Jitter-buffer counters at the last pop (for the timeline). */
  seenDropped = 0;
  seenInserted = 0;
  seenResets = 0;
  seenSkipped = 0;
  decodeErrors = 0;
  encodeErrors = 0;
  sinkErrors = 0;
  sent = 0;
  bytesSent = 0;
  /** The numbers of the packet encodeFrame made last. */
  seqSent = 0;
  tsSent = 0;

  constructor(
    private readonly backend: CodecBackend,
    private readonly frameMs: FrameMs,
    enc: EncoderOptions,
    private readonly jbOpts: Omit<JitterBufferOptions, "frameMs">,
  ) {
    this.jb = new JitterBuffer({ ...jbOpts, frameMs });
    this.dec = backend.createDecoder(frameMs);
    this.enc = backend.createEncoder({ ...enc, frameMs });
  }

  /** Pops the next frame and decodes (or conceals) it into `into`, a whole frame; never throws. */
  decodeNext(into: Float32Array, nowMs: number): PopKind {
    if (this.streams !== null) return this.streams.decodeNext(into, nowMs);
    const long = this.long;
    if (long !== null) {
      const errors = long.decodeErrors;
      const k = long.next(into, nowMs);
      this.decodeErrors += long.decodeErrors - errors;
      return k;
    }
    const kind = this.jb.pop(nowMs);
    let got = into.length;
    try {
      if (kind === "packet") got = this.dec.decode(this.jb.payload!, into);
      else if (kind === "fec") got = this.dec.decodeFec(this.jb.payload!, into);
      else if (kind === "conceal") got = this.dec.conceal(into);
      else into.fill(0);
    } catch {
      // A packet from the network that libopus rejects: conceal it like a lost one.
      this.decodeErrors++;
      this.concealInto(into);
      return kind;
    }
    if (got < into.length) into.fill(0, Math.max(0, got));
    return kind;
  }

  /**
   * Encodes one frame for this link's stream into `wire` (with its redundant copies, see
   * protect) and advances the stream's sequence number and timestamp; returns the packet's
   * length, 0 when the encoder failed (counted). Never throws.
   */
  encodeFrame(pcm: Float32Array, frameSamples: number): number {
    let len = 0;
    try {
      len = this.enc.encode(pcm, this.out);
    } catch {
      this.encodeErrors++;
      this.outLength = 0;
      return 0;
    }
    this.outLength = len;
    const n = this.protect(len);
    this.seqSent = this.seq;
    this.tsSent = this.ts;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + frameSamples) >>> 0;
    this.sent++;
    this.bytesSent += n;
    return n;
  }

  /**
   * Puts the header of this child's own stream before the packet encodeFrame made (`wire[0..n)`),
   * into `framed`; returns the framed length. `afterTickMs`: how long after the tick's deadline
   * it goes out; `slackMs`: how long the child's frames wait here beyond the target (down-header.ts).
   */
  frame(n: number, afterTickMs: number, slackMs: number, phase: number): number {
    const f = this.framed;
    writeDownHeader(f, this.tag, this.seqSent, this.tsSent, afterTickMs, slackMs, phase);
    const w = this.wire;
    for (let i = 0; i < n; i++) f[DOWN_HEADER_BYTES + i] = w[i];
    return DOWN_HEADER_BYTES + n;
  }

  /** The up packet encodeFrame made, after its header (this node's phase), into `framed`. */
  frameUp(n: number, phase: number): number {
    const f = this.framed;
    f[0] = UP_MAGIC;
    f[1] = (phase >> 8) & 0xff;
    f[2] = phase & 0xff;
    const w = this.wire;
    for (let i = 0; i < n; i++) f[UP_HEADER_BYTES + i] = w[i];
    return UP_HEADER_BYTES + n;
  }

  /** One frame of concealment into `into` (silence if even that fails); never throws. */
  concealInto(into: Float32Array): void {
    if (this.streams !== null) return this.streams.concealInto(into);
    if (this.long !== null) return this.long.conceal(into);
    try {
      const got = this.dec.conceal(into);
      if (got < into.length) into.fill(0, Math.max(0, got));
    } catch {
      into.fill(0);
    }
  }

  /**
   * The first packet's length decides how the stream is buffered: packets of k frames (a browser
   * sends 10 ms at the least) get a jitter buffer and decoder of their own length (long-frames.ts).
   */
  noteLength(payload: Uint8Array): void {
    this.lengthSeen = true;
    const k = longFactor(opusPacketSamples(payload), this.frameMs);
    if (k === 1) return;
    this.long = new LongFrames(this.backend, this.frameMs, k, this.jbOpts);
    this.jb = this.long.jb;
  }

  destroy(): void {
    this.long?.destroy();
    this.streams?.destroy();
    this.dec.destroy();
    this.enc.destroy();
  }

  toJSON(): HubInputStats {
    return {
      jitter: (this.streams?.primary?.jb ?? this.jb).toJSON(),
      ...(this.streams ? { downStreams: this.streams.toJSON() } : {}),
      ...(this.forward ? { forwarded: this.forwarded, bytesForwarded: this.bytesForwarded } : {}),
      pops: { ...this.pops },
      redundancy: this.redundancy,
      decodeErrors: this.decodeErrors,
      encodeErrors: this.encodeErrors,
      sinkErrors: this.sinkErrors,
      sent: this.sent,
      bytesSent: this.bytesSent,
    };
  }

  /**
   * The packet to send for the frame just encoded into `out[0..len)`: with redundancy on, `out`
   * carrying the one or two packets before it (codec/redundancy.ts) in `redOut`. Sets `wire` and
   * returns the length. No allocation.
   */
  protect(len: number): number {
    this.wire = this.out;
    if (this.redundancy === 0) {
      this.prev1Length = this.prev2Length = 0;
      return len;
    }
    const two = this.redundancy > 1 ? this.prev2Length : 0;
    const padded = this.prev1Length > 0 ? padWithRedundancy(this.out, len, this.prev1, this.prev1Length, this.prev2, two, this.redOut) : 0;
    this.prev2.set(this.prev1);
    this.prev2Length = this.prev1Length;
    this.prev1.set(this.out);
    this.prev1Length = len;
    if (padded === 0) return len;
    this.wire = this.redOut;
    return padded;
  }

  /**
   * Sets how many earlier frames ride along on the outgoing stream from the loss measured on
   * the incoming one since the last call (see HUB_ENGINE_DEFAULTS.redundancy).
   */
  adaptRedundancy(nowMs: number, mode: "auto" | "on" | "off"): void {
    const d = HUB_ENGINE_DEFAULTS;
    if (mode !== "auto") {
      this.redundancy = mode === "on" ? 1 : 0;
      return;
    }
    // Lost on the wire: holes with later packets present (concealed, rebuilt by FEC or from a
    // redundant copy). Underruns (nothing came yet: a late stream, a link starting) and the
    // jitter buffer's own insertions are not loss, and redundancy would not help them.
    const c = (this.streams?.primary?.jb ?? this.jb).counters;
    const holes = c.concealed - c.inserted - c.underruns;
    const lost = c.redundant + c.fecRecovered + holes;
    const frames = c.played + c.fecRecovered + holes;
    const dl = lost - this.seenLost;
    const df = frames - this.seenFrames;
    this.seenLost = lost;
    this.seenFrames = frames;
    if (df <= 0) return;
    const rate = dl / df;
    // Two frames on heavy loss in one window, or on steady loss over two: one window of 100
    // frames cannot tell 3 % from 7 % loss, but 8 of 100 lost is rare below 4 %.
    const dl2 = dl + this.lastLost;
    const rate2 = dl2 / (df + this.lastFrames);
    this.lastLost = dl;
    this.lastFrames = df;
    const a = df / (df + d.redundancyAverageFrames);
    this.lossAverage += a * (rate - this.lossAverage);
    // Up at once when the loss calls for it; down a step after a spell with the average loss
    // below the step's keep threshold (lower than its threshold to come: hysteresis).
    const cur = this.redundancy;
    const heavy = dl >= d.redundancyTwoFastLost && rate >= d.redundancyTwoFastLoss;
    const steady = dl2 >= 2 * d.redundancyTwoMinLost && rate2 >= d.redundancyTwoLoss;
    const up = heavy || steady ? 2 : dl >= 2 && rate >= d.redundancyOnLoss ? 1 : 0;
    const keep = cur === 0 || this.lossAverage >= (cur === 2 ? d.redundancyTwoKeepLoss : d.redundancyOffLoss) ? cur : cur - 1;
    const want = Math.max(up, keep);
    if (want >= cur) {
      this.redundancy = want;
      this.quietSinceMs = -1;
    } else if (this.quietSinceMs < 0) this.quietSinceMs = nowMs;
    else if (nowMs - this.quietSinceMs >= d.redundancyOffAfterMs) {
      this.redundancy = cur - 1;
      this.quietSinceMs = -1;
    }
  }

  /** Timeline entries for what this pop changed: a loss run that ended, jitter-buffer moves. */
  noteTimeline(tl: Timeline, kind: PopKind, target: number, nowMs: number): void {
    const lost = kind === "conceal" || (kind === "silence" && this.last !== "silence");
    if (lost) {
      if (this.lostRun === 0) this.lostSinceMs = nowMs;
      this.lostRun++;
    } else if (this.lostRun > 0) {
      if (kind !== "silence") tl.add(INCIDENT.conceal, target, this.lostSinceMs, this.lostRun);
      this.lostRun = 0;
    }
    const c = this.jb.counters;
    if (c.dropped !== this.seenDropped) tl.add(INCIDENT.jbDrop, target, nowMs, this.jb.delayMs);
    if (c.inserted !== this.seenInserted) tl.add(INCIDENT.jbInsert, target, nowMs, this.jb.delayMs);
    if (c.resets !== this.seenResets) tl.add(INCIDENT.jbReset, target, nowMs, c.resets);
    if (c.skipped !== this.seenSkipped) tl.add(INCIDENT.jbSkip, target, nowMs, c.skipped - this.seenSkipped);
    this.seenDropped = c.dropped;
    this.seenInserted = c.inserted;
    this.seenResets = c.resets;
    this.seenSkipped = c.skipped;
  }
}
