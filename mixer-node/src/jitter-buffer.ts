/**
 * The jitter buffer: one per input stream. A pure module (packets and ticks in, frames out; time
 * only from the arguments), with no allocation on push() or pop(): a ring of slots preallocated at
 * construction, indexed by the extended sequence number, and no object, array or closure created
 * per call (V8 may still box a fractional time passed across a call; with integer times a 64-stream
 * run of 1.6 M push+pop pairs triggers one young-generation GC). Payloads are stored by reference,
 * not copied: the transport hands over a fresh Buffer per packet and must not reuse it afterwards.
 *
 * Timing model. Each packet's lateness is measured against the earliest a packet of its stream
 * arrives (ArrivalClock: a minimum-filtered clock offset whose slope tracks sender drift). The
 * play-out delay D of the frame at the play-out point is measured against the same line, so a
 * frame is on time exactly when its lateness is <= D. The target delay is the 99th percentile of
 * lateness plus a margin (decaying histogram), raised at once by a frame after clustered misses
 * and lowered slowly. The buffer keeps D in [target, target + one frame + hysteresis): above it,
 * it drops a frame; below it, it inserts a concealed frame. Clock drift is absorbed by exactly
 * those drops and insertions; an empty buffer conceals without advancing (an underrun), which
 * raises D by a frame, so a late packet is still played once it comes.
 */
import type { FrameMs } from "./codec/types.js";
import { FRAME_MS_ALLOWED, MAX_PACKET_BYTES, SAMPLE_RATE } from "./codec/types.js";
import { SlotRing } from "./jitter-buffer-ring.js";
import { JitterTarget } from "./jitter-buffer-target.js";
import { hysteresisMs, intOption, maxDrift, JITTER_BUFFER_DEFAULTS, JITTER_BUFFER_TUNING as TUNE, JitterBufferError, round3, StreamCandidate } from "./jitter-buffer-stats.js";
import type { JitterBufferCounters, JitterBufferOptions, JitterBufferStats, PopKind } from "./jitter-buffer-stats.js";

export { JITTER_BUFFER_DEFAULTS, JitterBufferError } from "./jitter-buffer-stats.js";
export type { JitterBufferCounters, JitterBufferOptions, JitterBufferStats, PopKind } from "./jitter-buffer-stats.js";

const IDLE = 0;
const BUFFERING = 1;
const PLAYING = 2;
const SEQ_ORIGIN = 65536; // first extended sequence number: stays positive after reordering back

export class JitterBuffer {
  readonly frameMs: FrameMs;
  readonly frameSamples: number;
  private readonly minDepth: number;
  private readonly maxDepth: number;
  private readonly initialDepth: number;
  private readonly adaptive: boolean;
  private readonly cap: number;
  private readonly silenceAfter: number;
  private readonly persistPops: number;
  private readonly hystMs: number;
  private readonly tsTolerance: number;

  private readonly ring: SlotRing;
  private readonly tgt: JitterTarget;

  private state = IDLE;
  private playExt = 0;
  private highestExt = 0;
  private refExt = 0;
  private highestTs = 0;
  private t0 = 0;
  private lastNow = 0;
  private out: Uint8Array | null = null;

  private delay = 0;
  /** Extended sequence number of the packet the last push() stored; -1 when it stored none. */
  private lastExt = -1;
  /** Whether the packet being pushed has a trustworthy arrival time (see push). */
  private timingTrusted = true;
  private inUnderrun = false;
  private adjust = 0;
  private missingRun = 0;
  private lastWasFec = false;

  /** The first packet of what may be a new stream (see candidate()). */
  private readonly cand = new StreamCandidate();

  private s: JitterBufferCounters = {
    received: 0, invalid: 0, played: 0, late: 0, duplicates: 0, reordered: 0, underruns: 0,
    concealed: 0, fecRecovered: 0, redundant: 0, dropped: 0, skipped: 0, inserted: 0, resets: 0, silenceFrames: 0,
  };

  constructor(opts: JitterBufferOptions) {
    const d = JITTER_BUFFER_DEFAULTS;
    if (!opts || !FRAME_MS_ALLOWED.includes(opts.frameMs)) {
      throw new JitterBufferError("bad-option", `frameMs must be one of ${FRAME_MS_ALLOWED.join(", ")}`);
    }
    this.frameMs = opts.frameMs;
    this.frameSamples = (SAMPLE_RATE / 1000) * opts.frameMs;
    this.minDepth = intOption("minDepthFrames", opts.minDepthFrames ?? d.minDepthFrames, 1);
    this.maxDepth = intOption("maxDepthFrames", opts.maxDepthFrames ?? d.maxDepthFrames, this.minDepth);
    const initial = intOption("initialDepthFrames", opts.initialDepthFrames ?? d.initialDepthFrames, 1);
    this.initialDepth = Math.min(this.maxDepth, Math.max(this.minDepth, initial));
    this.adaptive = opts.adaptive ?? d.adaptive;
    // The ring must hold the deepest target plus room for reordering and a tick's worth of arrivals.
    this.cap = intOption("capacityFrames", opts.capacityFrames ?? d.capacityFrames, this.maxDepth + 4);
    this.silenceAfter = intOption("silenceAfterLostFrames", opts.silenceAfterLostFrames ?? d.silenceAfterLostFrames, 0);

    const F = this.frameMs;
    this.persistPops = Math.max(1, Math.ceil(TUNE.adjustPersistMs / F));
    this.hystMs = hysteresisMs(opts.dropHysteresisMs, F);
    this.tsTolerance = TUNE.tsToleranceFrames * this.frameSamples;
    this.ring = new SlotRing(this.cap);
    this.tgt = new JitterTarget(F, this.minDepth, this.maxDepth, this.initialDepth, this.adaptive, maxDrift(opts.maxDrift));
    this.restartTiming();
  }

  /** The running counters: the same object every time (no allocation), to read, not to keep. */
  get counters(): Readonly<JitterBufferCounters> {
    return this.s;
  }

  /** The sender moved its frames by `ms` (later: positive): see ArrivalClock.shift. */
  senderMoved(ms: number): void { if (Number.isFinite(ms)) this.tgt.clock.shift(ms); }

  /** The target play-out delay now (beyond the earliest arrivals), ms. */
  get targetDelayMs(): number { return this.tgt.delayMs; }

  /** The play-out delay after the last pop, ms. */
  get delayMs(): number { return this.delay; }

  /** Valid after pop() returned "packet" or "fec", until the next push/pop. */
  get payload(): Uint8Array | null { return this.out; }

  /** Frames from the play-out point to the newest packet (0 when idle). */
  get depth(): number {
    return this.state === IDLE ? 0 : Math.max(0, this.highestExt - this.playExt + 1);
  }

  /**
   * Never throws, whatever the input (it comes from the network).
   * `timingTrusted` false: the receiver itself was behind (a stall of its own loop) when it saw
   * the packet, so the arrival time says nothing about the network; the packet is kept but its
   * lateness does not move the delay target or the clock estimate.
   */
  push(seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number, timingTrusted = true): void {
    this.timingTrusted = timingTrusted;
    this.lastExt = -1;
    try {
      if (
        !Number.isInteger(seq) || seq < 0 || seq > 0xffff ||
        !Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffffffff ||
        !(payload instanceof Uint8Array) || payload.length === 0 || payload.length > MAX_PACKET_BYTES ||
        typeof arrivalMs !== "number" || !Number.isFinite(arrivalMs)
      ) {
        this.s.invalid++;
        return;
      }
      this.s.received++;
      this.accept(seq, timestamp, payload, arrivalMs);
    } catch {
      // Unreachable with the checks above; kept so that no input can ever reach the caller.
      this.s.invalid++;
    }
  }

  /** Called once per tick; see PopKind. */
  pop(nowMs: number): PopKind {
    const now = typeof nowMs === "number" && Number.isFinite(nowMs) ? nowMs : this.lastNow;
    this.lastNow = now;
    this.out = null;
    const wasFec = this.lastWasFec;
    this.lastWasFec = false;
    if (this.state === IDLE) return this.silence();

    const F = this.frameMs;
    const t = now - this.t0;
    this.tgt.tick(t);
    const Dt = this.tgt.delayMs;
    let D = t - this.tgt.clock.base(t) - (this.playExt - this.refExt) * F;

    if (this.state === BUFFERING) {
      if (D < Dt) {
        this.delay = D;
        return this.silence();
      }
      this.state = PLAYING;
      this.adjust = 0;
    }

    // Overflow (a stalled consumer, a long outage): far too much delay goes at once.
    let excess = Math.floor((D - Dt) / F);
    if (excess > this.maxDepth) {
      // Never past the newest packet: frames after it may still come and must not count as late.
      for (; excess > 0 && this.playExt < this.highestExt; excess--) {
        this.discard(this.playExt++);
        D -= F;
      }
    }
    // Missing frames are passed over freely while the delay is above the band.
    const high = Dt + F + this.hystMs;
    while (D >= high && this.playExt < this.highestExt && !this.ring.present(this.playExt)) {
      this.playExt++;
      this.s.skipped++;
      D -= F;
    }
    if (D >= high) this.adjust = this.adjust > 0 ? this.adjust + 1 : 1;
    else if (D < Dt) this.adjust = this.adjust < 0 ? this.adjust - 1 : -1;
    else this.adjust = 0;

    if (this.adjust >= this.persistPops && !wasFec && this.ring.present(this.playExt) && this.ring.present(this.playExt + 1)) {
      this.discard(this.playExt++);
      D -= F;
      this.adjust = 0;
    } else if (this.adjust <= -this.persistPops && this.highestExt >= this.playExt) {
      this.adjust = 0;
      this.delay = D + F; // the frame at the play-out point now plays one tick later
      this.s.inserted++;
      this.s.concealed++;
      return "conceal";
    }
    this.delay = D;

    if (this.ring.present(this.playExt)) {
      this.out = this.ring.take(this.playExt);
      this.playExt++;
      this.s.played++;
      this.missingRun = 0;
      this.inUnderrun = false;
      return "packet";
    }
    if (this.highestExt > this.playExt) {
      // Lost (or still on its way while later ones are here): it is not waited for.
      this.playExt++;
      this.inUnderrun = false;
      if (this.ring.present(this.playExt)) {
        this.out = this.ring.peek(this.playExt);
        this.s.fecRecovered++;
        this.missingRun = 0;
        this.lastWasFec = true;
        return "fec";
      }
      return this.missing();
    }
    // Nothing at or after the play-out point: hold it, so that a late packet still plays.
    if (!this.inUnderrun) this.tgt.miss(t);
    this.inUnderrun = true;
    if (this.missingRun < this.silenceAfter) this.s.underruns++;
    return this.missing();
  }

  /**
   * Whether the frame `delta` frames before the packet just pushed is still to be played and
   * missing: a redundant copy of it (from that packet's padding) would fill a hole.
   */
  wantsEarlier(delta: number): boolean {
    if (this.lastExt < 0 || this.state === IDLE || !(delta >= 1)) return false;
    const ext = this.lastExt - delta;
    if (ext < this.playExt) return false;
    return !this.ring.seen(ext);
  }

  /** Fills that hole with the redundant copy; arrival timing is not touched (it came late by design). */
  fillEarlier(delta: number, payload: Uint8Array): void {
    if (!this.wantsEarlier(delta) || !(payload instanceof Uint8Array) || payload.length === 0 || payload.length > MAX_PACKET_BYTES) return;
    this.ring.put(this.lastExt - delta, payload);
    this.s.redundant++;
  }

  /**
   * The stream carries redundant copies up to `maxDelta` frames back (a packet had them, at
   * `nowMs`): for the copy of frame k to arrive before k plays, the target keeps that many
   * frames more while they keep coming.
   */
  noteRedundancy(nowMs: number, maxDelta: number): void {
    if (this.state !== IDLE) this.tgt.redundancySeen(nowMs - this.t0, maxDelta);
  }

  /** Forgets the stream (buffer, timing, target); the counters are kept and `resets` counts it. */
  reset(): void {
    this.s.resets++;
    this.flush();
    this.state = IDLE;
    this.cand.clear();
    this.out = null;
    this.restartTiming();
  }

  toJSON(): JitterBufferStats {
    return { depth: this.depth, delayMs: round3(this.delay), ...this.tgt.toJSON(), ...this.s };
  }

  private accept(seq: number, ts: number, payload: Uint8Array, arrival: number): void {
    if (this.state === IDLE) {
      this.startStream(seq, ts, arrival);
      this.store(this.playExt, ts, payload, arrival);
      return;
    }
    let d = (seq - (this.highestExt % 65536)) & 0xffff;
    if (d >= 0x8000) d -= 0x10000;
    const ext = this.highestExt + d;
    const expectedTs = this.highestTs + d * this.frameSamples;
    if (Math.abs((ts - expectedTs) | 0) > this.tsTolerance) {
      this.candidate(seq, ts, payload, arrival);
      return;
    }
    this.cand.clear();

    if (ext < this.playExt) {
      if (this.state === BUFFERING && this.highestExt - ext < this.cap - 1) {
        // Before play-out starts the first packet to arrive need not be the first one sent.
        this.playExt = ext;
      } else {
        if (this.ring.consumed(ext)) this.s.duplicates++;
        else {
          this.s.late++;
          this.observe(ext, arrival);
          if (this.timingTrusted) this.tgt.miss(arrival - this.t0);
        }
        return;
      }
    }
    if (ext >= this.playExt + this.cap) {
      // The same stream, but beyond the ring (an outage, or ticks stopped): start over from here,
      // keeping the clock and the learned target.
      this.s.resets++;
      this.flush();
      this.state = BUFFERING;
      this.playExt = ext;
    }
    if (this.ring.seen(ext)) {
      this.s.duplicates++;
      return;
    }
    this.store(ext, ts, payload, arrival);
  }

  private store(ext: number, ts: number, payload: Uint8Array, arrival: number): void {
    this.lastExt = ext;
    this.ring.put(ext, payload);
    if (ext > this.highestExt) {
      this.highestExt = ext;
      this.highestTs = ts;
    } else if (ext < this.highestExt) this.s.reordered++;
    this.observe(ext, arrival);
  }

  private observe(ext: number, arrival: number): void {
    if (!this.timingTrusted) return;
    const t = arrival - this.t0;
    this.tgt.observe(t, t - (ext - this.refExt) * this.frameMs);
  }

  /**
   * A packet whose timestamp does not fit the stream: garbage, or the first packet of a new stream
   * (the sender restarted or re-parented). A second packet that continues it confirms a new stream.
   */
  private candidate(seq: number, ts: number, payload: Uint8Array, arrival: number): void {
    const c = this.cand;
    if (c.continuedBy(seq, ts, this.frameSamples, this.tsTolerance)) {
      const { seq: cSeq, ts: cTs, arrival: cArrival } = c;
      const cPayload = c.payload as Uint8Array;
      this.s.resets++;
      this.flush();
      c.clear();
      this.restartTiming();
      this.startStream(cSeq, cTs, cArrival);
      this.store(this.playExt, cTs, cPayload, cArrival);
      this.accept(seq, ts, payload, arrival);
      return;
    }
    c.set(seq, ts, payload, arrival);
  }

  private startStream(seq: number, ts: number, arrival: number): void {
    this.state = BUFFERING;
    this.playExt = this.highestExt = this.refExt = SEQ_ORIGIN + seq;
    this.highestTs = ts;
    this.t0 = arrival;
    this.lastNow = arrival;
  }

  private restartTiming(): void {
    this.tgt.reset();
    this.inUnderrun = false;
    this.adjust = 0;
    this.missingRun = 0;
    this.lastWasFec = false;
    this.delay = 0;
  }

  private missing(): PopKind {
    this.missingRun++;
    if (this.missingRun > this.silenceAfter) return this.silence();
    this.s.concealed++;
    return "conceal";
  }

  private silence(): PopKind {
    this.s.silenceFrames++;
    return "silence";
  }

  private discard(ext: number): void {
    if (!this.ring.present(ext)) {
      this.s.skipped++;
      return;
    }
    this.ring.take(ext);
    this.s.dropped++;
  }

  private flush(): void {
    this.s.dropped += this.ring.clear();
  }
}
