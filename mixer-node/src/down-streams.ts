/**
 * What a node hears from its parent on a forwarded down path: one stream per hub above it (its
 * parent's own mix for it, and each ancestor's, forwarded unchanged), told apart by the tag in each
 * packet's header (down-header.ts). Each stream has its own jitter buffer and decoder; a tick
 * decodes them all and sums them into one frame: the node's D(n).
 *
 * A stream that has sent nothing for `expireMs` (its hub left the path above, after a move) is
 * freed. The buffers and decoders of a stream are made when its first packet comes: once per
 * stream, never per packet. Streams past `maxStreams` are refused and counted.
 */
import type { CodecBackend, Decoder, FrameMs } from "./codec/types.js";
import { readRedundancy, type RedundantBlock } from "./codec/redundancy.js";
import { DOWN_HEADER_BYTES, newDownHeader, phaseDelta, readDownHeader } from "./down-header.js";
import { JitterBuffer, type JitterBufferOptions, type PopKind } from "./jitter-buffer.js";

export const DOWN_STREAMS_DEFAULTS = {
  /** Streams one link carries at most (the tree's depth above the node). */
  maxStreams: 16,
  /** A stream silent this long is freed. */
  expireMs: 1500,
} as const;

export class DownStream {
  readonly jb: JitterBuffer;
  readonly dec: Decoder;
  tag = 0;
  lastRxMs = 0;
  /** The origin hub's phase (down-header.ts) in the last packet: its moves move this stream. */
  phase = -1;
  /** Hubs that forwarded its last packet on the way here (0: the parent's own mix). */
  hops = 0;
  last: PopKind = "silence";
  constructor(backend: CodecBackend, frameMs: FrameMs, jb: Omit<JitterBufferOptions, "frameMs">) {
    this.jb = new JitterBuffer({ ...jb, frameMs });
    this.dec = backend.createDecoder(frameMs);
  }
}

export interface DownStreamsStats {
  streams: number;
  /** Packets without a valid header, and packets of streams beyond maxStreams. */
  invalid: number;
  refused: number;
  /** Streams freed after their silence. */
  expired: number;
}

export class DownStreams {
  private readonly streams: (DownStream | null)[];
  private readonly scratch: Float32Array;
  private readonly header = newDownHeader();
  private readonly blocks: RedundantBlock[] = [{ offset: 0, length: 0, delta: 0 }, { offset: 0, length: 0, delta: 0 }];
  private count = 0;
  private invalid = 0;
  private refused = 0;
  private expired = 0;
  /** The stream that carries the parent's tick timing (its own mix for this node). */
  primary: DownStream | null = null;
  /** From the newest packet that had them: its arrival, and its timing fields (down-header.ts). */
  timedArrivalMs = Number.NaN;
  afterTickMs = Number.NaN;
  slackMs = Number.NaN;
  /** The parent's phase (down-header.ts) from the newest timed packet, -1 before one. */
  phase = -1;
  /** A valid packet came: the parent is on the forwarded path (this node frames its up stream). */
  heard = false;
  /** Packets with timing since the node last read them (see takeTiming). */
  timedPackets = 0;

  constructor(
    private readonly backend: CodecBackend,
    private readonly frameMs: FrameMs,
    private readonly jbOpts: Omit<JitterBufferOptions, "frameMs">,
    private readonly maxStreams: number = DOWN_STREAMS_DEFAULTS.maxStreams,
    private readonly expireMs: number = DOWN_STREAMS_DEFAULTS.expireMs,
  ) {
    this.streams = new Array<DownStream | null>(maxStreams).fill(null);
    this.scratch = new Float32Array((48 * frameMs) | 0);
  }

  /** The stream that carries the timing, else the first one (for stats and tests). */
  primaryOrFirst(): DownStream | null {
    return this.primary ?? this.streams.find((s) => s !== null) ?? null;
  }

  get streamCount(): number {
    return this.count;
  }

  /** One packet from the parent (header and Opus); false when it was refused. Never throws. */
  push(payload: Uint8Array, arrivalMs: number, timingTrusted: boolean): boolean {
    const h = this.header;
    if (!readDownHeader(payload, h)) {
      this.invalid++;
      return false;
    }
    const s = this.find(h.tag, arrivalMs);
    if (s === null) {
      this.refused++;
      return false;
    }
    s.lastRxMs = arrivalMs;
    this.heard = true;
    // The hub that mixed this stream moved its ticks: its packets leave that much later or sooner.
    if (s.phase >= 0 && h.phase !== s.phase) s.jb.senderMoved(phaseDelta(h.phase, s.phase) / 48);
    s.phase = h.phase;
    s.hops = h.hops;
    if (h.afterTickMs === h.afterTickMs) {
      this.primary = s;
      this.timedArrivalMs = arrivalMs;
      this.afterTickMs = h.afterTickMs;
      this.slackMs = h.slackMs;
      this.phase = h.phase;
      this.timedPackets++;
    }
    // The transport hands over a fresh buffer per packet: the view on its Opus part is kept.
    const opus = payload.subarray(DOWN_HEADER_BYTES);
    const jb = s.jb;
    jb.push(h.seq, h.ts, opus, arrivalMs, timingTrusted);
    const n = readRedundancy(opus, this.blocks);
    if (n > 0) {
      jb.noteRedundancy(arrivalMs, this.blocks[n - 1].delta);
      for (let i = 0; i < n; i++) {
        const b = this.blocks[i];
        if (jb.wantsEarlier(b.delta)) jb.fillEarlier(b.delta, opus.subarray(b.offset, b.offset + b.length));
      }
    }
    return true;
  }

  /**
   * Pops every stream, decodes (or conceals) each and sums them into `into`; returns what the
   * frame is made of: "packet" when any stream played a packet, else "fec" or "conceal", and
   * "silence" when nothing played. A stream that starts is faded in over the frame.
   */
  decodeNext(into: Float32Array, nowMs: number): PopKind {
    into.fill(0);
    let kind: PopKind = "silence";
    const x = this.scratch;
    const n = into.length;
    for (let i = 0; i < this.streams.length; i++) {
      const s = this.streams[i];
      if (s === null) continue;
      if (nowMs - s.lastRxMs > this.expireMs) {
        this.free(i);
        continue;
      }
      const k = this.decodeOne(s, x, nowMs);
      if (k === "silence") {
        s.last = k;
        continue;
      }
      if (s.last === "silence") for (let j = 0; j < n; j++) into[j] += x[j] * ((j + 1) / n);
      else for (let j = 0; j < n; j++) into[j] += x[j];
      s.last = k;
      if (k === "packet" || kind === "silence" || (k === "fec" && kind === "conceal")) kind = k;
    }
    return kind;
  }

  /**
   * How long each stream's frame waited in its buffer beyond its target at the last pop, ms, by
   * stream slot (0..maxStreams-1); NaN for a slot whose stream did not play a packet. `hops`:
   * how many hubs forwarded each (its level above the parent; -1 for an empty slot).
   */
  slacksInto(out: Float64Array, hops: Int32Array): void {
    for (let i = 0; i < this.streams.length && i < out.length; i++) {
      const s = this.streams[i];
      out[i] = s === null || s.last !== "packet" ? Number.NaN : s.jb.delayMs - s.jb.targetDelayMs;
      hops[i] = s === null ? -1 : s.hops;
    }
  }

  /** One frame of every stream's concealment, summed into `into`. Never throws. */
  concealInto(into: Float32Array): void {
    into.fill(0);
    const x = this.scratch;
    for (const s of this.streams) {
      if (s === null || s.last === "silence") continue;
      try {
        s.dec.conceal(x);
        for (let j = 0; j < into.length; j++) into[j] += x[j];
      } catch {
        // nothing to add
      }
    }
  }

  toJSON(): DownStreamsStats {
    return { streams: this.count, invalid: this.invalid, refused: this.refused, expired: this.expired };
  }

  destroy(): void {
    for (let i = 0; i < this.streams.length; i++) if (this.streams[i]) this.free(i, false);
  }

  private decodeOne(s: DownStream, into: Float32Array, nowMs: number): PopKind {
    const kind = s.jb.pop(nowMs);
    try {
      if (kind === "packet") s.dec.decode(s.jb.payload!, into);
      else if (kind === "fec") s.dec.decodeFec(s.jb.payload!, into);
      else if (kind === "conceal") s.dec.conceal(into);
      else into.fill(0);
    } catch {
      into.fill(0);
    }
    return kind;
  }

  private find(tag: number, nowMs: number): DownStream | null {
    let free = -1;
    for (let i = 0; i < this.streams.length; i++) {
      const s = this.streams[i];
      if (s === null) {
        if (free < 0) free = i;
      } else if (s.tag === tag) return s;
    }
    if (free < 0) return null;
    const s = new DownStream(this.backend, this.frameMs, this.jbOpts);
    s.tag = tag;
    s.lastRxMs = nowMs;
    this.streams[free] = s;
    this.count++;
    return s;
  }

  private free(i: number, counted = true): void {
    const s = this.streams[i]!;
    s.dec.destroy();
    if (this.primary === s) this.primary = null;
    this.streams[i] = null;
    this.count--;
    if (counted) this.expired++;
  }
}
