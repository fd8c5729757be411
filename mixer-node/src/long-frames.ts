/**
 * An input whose packets are longer than the engine's frame: a browser in a room at 5 or 2.5 ms
 * (its WebRTC encoder sends 10 ms at the least, docs/design.md, "The cheap hop"). Its jitter
 * buffer and decoder run at the packets' length, and each packet, decoded once, is served as k of
 * the engine's frames in turn: the jitter buffer is popped every k-th frame, as its clock expects.
 * Without this the engine's decoder, set for its own frame, rejects every such packet.
 *
 * No allocation per frame: the held audio and the codec state are made when the input switches.
 */
import type { CodecBackend, Decoder, FrameMs } from "./codec/types.js";
import { FRAME_MS_ALLOWED } from "./codec/types.js";
import { JitterBuffer, type JitterBufferOptions, type PopKind } from "./jitter-buffer.js";

/**
 * How many engine frames a packet of `samples` holds, when that many make a frame length a jitter
 * buffer and decoder take (10 or 20 ms from a 5 ms room, say); 1 otherwise (the packet is decoded
 * as it is, and one that does not fit the frame is concealed and counted, as before).
 */
export function longFactor(samples: number, frameMs: FrameMs): number {
  const frameSamples = frameMs * 48;
  if (!(samples > frameSamples) || samples % frameSamples !== 0) return 1;
  const k = samples / frameSamples;
  return FRAME_MS_ALLOWED.includes((frameMs * k) as FrameMs) ? k : 1;
}

export class LongFrames {
  readonly jb: JitterBuffer;
  /** Packets libopus rejected (each concealed). */
  decodeErrors = 0;
  private readonly dec: Decoder;
  private readonly held: Float32Array;
  private pos: number;
  private kind: PopKind = "silence";

  constructor(
    backend: CodecBackend,
    readonly frameMs: FrameMs,
    readonly k: number,
    jb: Omit<JitterBufferOptions, "frameMs">,
  ) {
    const longMs = (frameMs * k) as FrameMs;
    this.jb = new JitterBuffer({ ...jb, frameMs: longMs });
    this.dec = backend.createDecoder(longMs);
    this.held = new Float32Array(longMs * 48);
    this.pos = this.held.length;
  }

  /** The next engine frame into `into` (its length is the engine's frame); the kind of the packet it came from. */
  next(into: Float32Array, nowMs: number): PopKind {
    if (this.pos >= this.held.length) {
      const kind = this.jb.pop(nowMs);
      const h = this.held;
      let got = h.length;
      try {
        if (kind === "packet") got = this.dec.decode(this.jb.payload!, h);
        else if (kind === "fec") got = this.dec.decodeFec(this.jb.payload!, h);
        else if (kind === "conceal") got = this.dec.conceal(h);
        else h.fill(0);
      } catch {
        this.decodeErrors++;
        got = this.concealHeld();
      }
      if (got < h.length) h.fill(0, Math.max(0, got));
      this.kind = kind;
      this.pos = 0;
    }
    this.serve(into);
    return this.kind;
  }

  /** A frame of concealment (the input fades out): the rest of what is held, else a concealed packet. */
  conceal(into: Float32Array): void {
    if (this.pos >= this.held.length) {
      const got = this.concealHeld();
      if (got < this.held.length) this.held.fill(0, Math.max(0, got));
      this.pos = 0;
    }
    this.serve(into);
  }

  private concealHeld(): number {
    try {
      return this.dec.conceal(this.held);
    } catch {
      return 0;
    }
  }

  private serve(into: Float32Array): void {
    const n = Math.min(into.length, this.held.length - this.pos);
    const h = this.held;
    const p = this.pos;
    for (let i = 0; i < n; i++) into[i] = h[p + i];
    if (n < into.length) into.fill(0, n);
    this.pos += into.length;
  }

  destroy(): void {
    this.dec.destroy();
  }
}
