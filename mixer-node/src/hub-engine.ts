import { HubEngineState } from "./hub-engine-state.js";
import { HubLink } from "./hub-link.js";
import { DownStreams } from "./down-streams.js";
import { ForwardProtect } from "./forward-protect.js";
import { copyForForwarding, crossfade, pushWithRedundancy, slackOf, takeUpHeader } from "./hub-engine-parts.js";
import { EngineError, type MixInput } from "./mixer.js";
import { TARGET_PARENT } from "./timeline.js";
import type { HubEngineOptions, LinkTarget } from "./hub-engine-options.js";

/**
 * The per-tick work of a node: for the parent's down stream(s) and each child's up stream a jitter
 * buffer and a decoder feeding the mix-minus mixer; the up mix encoded for the parent and each
 * child's down mix encoded for that child (on the forwarded path, hub-engine-options.ts downPath,
 * without what came from above, which goes on to the child as it arrives). The caller writes its
 * singer's voice into `voiceIn` before each tick and may read `hearOut` after it.
 *
 * tick() neither allocates nor awaits: packet buffers, mixer arrays and codec state are made
 * when a link attaches. A link that goes away is faded out over one frame of concealment, and a
 * stream that starts or resumes after silence is faded in, so neither clicks. A new parent can
 * be prepared while the old one plays (prepareParent, receiveNext) and swapped in with a
 * one-frame crossfade (swapParent): a planned move then costs no silent frame.
 */
export class HubEngine extends HubEngineState {
  constructor(opts: HubEngineOptions) {
    super(opts);
  }

  /**
   * A child takes forwarded streams (a node runtime that said so when it offered its link) or a
   * whole down mix (a browser, or any peer on the "mix" path). Only on the "forward" path.
   */
  setChildForwarded(slot: number, on: boolean): void {
    const c = this.children[slot];
    if (!c) throw new EngineError("slot-free", `child slot ${slot} is not attached`);
    const want = on && this.downPath === "forward";
    if (c.forward === want) return;
    c.forward = want;
    this.mixer.setForwardedDown(slot, want);
    this.rebuildLists();
  }


  /**
   * A child slot that carries a direct peer's voice (runtime/direct-links.ts): heard, mixed for
   * the other children, left out of the up mix; it is sent this node's up packet, not a mix.
   */
  setChildPeer(slot: number, on: boolean): void {
    const c = this.children[slot];
    if (!c) throw new EngineError("slot-free", `child slot ${slot} is not attached`);
    c.peer = on;
    this.mixer.setPeer(slot, on);
    this.rebuildLists();
  }

  /** Child `slot`'s down mix leaves out these children's up mixes too (voices its singer hears directly). */
  setChildExcludes(slot: number, others: readonly number[]): void {
    this.mixer.setExcluded(slot, others);
  }

  /** A new parent link (the old one, if any, fades out over the next tick). */
  attachParent(): void {
    if (this.parent) this.detachParent();
    this.parent = this.newParentLink();
    if (!this.mixer.hasParent) this.mixer.setParent(true);
  }

  /** The parent link is gone: its stream fades out over the next tick; the node is a root after. */
  detachParent(): void {
    const p = this.parent;
    if (!p) throw new EngineError("no-link", "no parent attached");
    this.parent = null;
    if (p.last !== "silence" && !this.fadingParent) this.fadingParent = p;
    else {
      p.destroy();
      if (!this.fadingParent) this.mixer.setParent(false);
    }
  }

  /** Starts warming a new parent's stream (receiveNext) while the current parent plays on. */
  prepareParent(): void {
    this.nextParent?.destroy();
    this.nextParent = this.newParentLink();
  }

  /** Drops the stream prepareParent started (the move was called off). */
  dropNextParent(): void {
    this.nextParent?.destroy();
    this.nextParent = null;
  }

  /**
   * The prepared stream becomes the parent: the next tick crossfades from the old parent's
   * stream to it within one frame, and the up mix goes to the new parent from that tick on.
   * Without a prepared stream, this is attachParent().
   */
  swapParent(): void {
    const next = this.nextParent;
    if (next === null) return this.attachParent();
    this.nextParent = null;
    const old = this.parent;
    this.parent = next;
    if (old === null) {
      if (!this.mixer.hasParent) this.mixer.setParent(true);
      return;
    }
    this.crossFrom?.destroy();
    this.crossFrom = old;
  }

  /** A packet of the prepared parent's stream (see prepareParent). Never throws. */
  receiveNext(seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number, timingTrusted = true): void {
    if (this.nextParent === null) {
      this.unroutable++;
      return;
    }
    this.push(this.nextParent, seq, timestamp, payload, arrivalMs, timingTrusted);
  }

  attachChild(slot: number): void {
    this.mixer.childIn(slot); // validates the slot
    if (this.children[slot]) throw new EngineError("slot-in-use", `child slot ${slot} is attached`);
    this.children[slot] = this.newLink();
    if (!this.mixer.isAttached(slot)) this.mixer.attachChild(slot);
    this.rebuildLists();
  }

  /** The child link is gone: its stream fades out over the next tick, then the slot is free. */
  detachChild(slot: number): void {
    this.mixer.childIn(slot);
    const c = this.children[slot];
    if (!c) throw new EngineError("slot-free", `child slot ${slot} is not attached`);
    this.children[slot] = null;
    if (c.last !== "silence" && !this.fading[slot]) this.fading[slot] = c;
    else {
      c.destroy();
      if (!this.fading[slot]) this.mixer.detachChild(slot);
    }
    this.rebuildLists();
  }


  /**
   * An incoming packet from the parent's down stream or a child's up stream. Never throws.
   * `timingTrusted` false when the node was behind as it saw the packet (see JitterBuffer.push).
   */
  receive(from: LinkTarget, seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number, timingTrusted = true): void {
    const link = this.linkFor(from);
    if (!link) {
      this.unroutable++;
      return;
    }
    this.push(link, seq, timestamp, payload, arrivalMs, timingTrusted);
  }

  private push(link: HubLink, seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number, timingTrusted: boolean): void {
    if (!timingTrusted) this.untimed++;
    if (link.streams !== null) {
      // The forwarded down path: the packet joins its stream here and goes on to the children
      // that take it now, not on the next tick.
      if (link.streams.push(payload, arrivalMs, timingTrusted) && link === this.parent && this.forwardCount > 0) this.forwardDown(payload);
      return;
    }
    const opus = link.forward || link.peer ? takeUpHeader(link, payload) : payload;
    if (!link.lengthSeen) link.noteLength(opus);
    pushWithRedundancy(link.jb, seq, timestamp, opus, arrivalMs, timingTrusted, this.blocks);
  }

  /** Hands a packet from above to every child that takes forwarded streams, its timing cleared. */
  private forwardDown(payload: Uint8Array): void {
    const f = this.fwd;
    const n = payload.length;
    if (!copyForForwarding(payload, f)) return;
    for (let i = 0; i < this.activeCount; i++) {
      const slot = this.activeSlots[i];
      const c = this.children[slot]!;
      if (!c.forward || this.fading[slot]) continue;
      // Copies for this child's link when it loses packets (forward-protect.ts).
      let out = f;
      let len = n;
      if (c.redundancy > 0) {
        const p = (c.fwdProtect ??= new ForwardProtect());
        const m = p.protect(f, n, c.redundancy);
        if (m > 0) {
          out = p.out;
          len = m;
        }
      }
      c.forwarded++;
      c.bytesForwarded += len;
      this.deliver(c, slot, out, len, this.onForward ?? null);
    }
  }


  /**
   * One tick: pull every input, mix, encode and hand out every output. `leaveMs`: when the frames
   * leave, on nowMs's clock (the emulator's virtual time); default the process's clock now.
   */
  tick(nowMs: number, leaveMs?: number): void {
    const t0 = this.measureTicks ? performance.now() : 0;
    const mixer = this.mixer;
    // With a hear phase and every child on forwarded streams, the parent's streams feed only what
    // the singer hears: hear() takes them once they are in, after the tick.
    const split = this.hearPhase && this.forwardCount + this.peerCount === this.activeCount && (this.parent !== null || this.fadingParent !== null);
    this.split = split;
    this.heard = false;
    if (split) mixer.downIn.fill(0);
    else this.pullParent(mixer.downIn, nowMs);
    for (let i = 0; i < this.fadingCount; i++) {
      const slot = this.fadingSlots[i];
      this.fadeOut(this.fading[slot]!, mixer.childIn(slot), slot);
    }
    for (let i = 0; i < this.activeCount; i++) {
      const slot = this.activeSlots[i];
      const c = this.children[slot]!;
      // A slot re-attached while its old link fades starts on the next tick. With a hear phase, a
      // leaf hears its direct peers in it (pullPeers): fresher than on the tick. A hub mixes its
      // peers (the top tier's) for its children on the tick.
      if (split && c.peer && this.peerCount === this.activeCount) mixer.childIn(slot).fill(0);
      else if (!this.fading[slot]) this.pull(c, mixer.childIn(slot), slot, nowMs);
    }

    mixer.mix();

    if (this.parent && !this.fadingParent) this.send(this.parent, mixer.upOut, "parent");
    // How long after the deadline the children's streams go out (one reading per tick; none when
    // the caller's clock is not this process's, as in tests that drive ticks by hand).
    let afterTick = Number.NaN;
    if (this.forwardCount > 0) {
      const late = (leaveMs ?? performance.now()) - nowMs;
      if (late > -this.frameMs && late < 1000) afterTick = late;
    }
    const up = this.parent !== null && !this.fadingParent && this.parent.lastSentLength > 0 ? this.parent : null;
    for (let i = 0; i < this.activeCount; i++) {
      const slot = this.activeSlots[i];
      if (this.fading[slot]) continue;
      const c = this.children[slot]!;
      // A direct peer gets the same packet as the parent: this node's voice (and what it mixes up).
      if (c.peer) {
        if (up !== null) this.deliver(c, slot, up.lastSent, up.lastSentLength, null);
      } else this.send(c, mixer.childDownOut(slot), slot, afterTick);
    }
    if (this.crossFrom && !split) {
      this.crossFrom.destroy();
      this.crossFrom = null;
    }
    if ((this.fadingParent && !split) || this.fadingCount > 0) this.endFades(split);
    // With a hear phase: what the tick heard is all there is to hear, unless hear() comes.
    if (this.hearPhase && !split) this.hearOut.set(mixer.hearOut);
    if (this.measureTicks) this.tickUs[this.ticks % this.tickUs.length] = (performance.now() - t0) * 1000;
    this.ticks++;
  }

  /** The last tick left the parent's streams to hear() (HubEngineOptions.hearPhase). */
  get hearPending(): boolean {
    return this.split && !this.heard;
  }

  /**
   * The hear phase (HubEngineOptions.hearPhase), once after each tick: when the tick left the
   * parent's streams to it, decodes them and adds them to what the tick heard from below, into
   * hearOut. `frames`, after the hear moved past the tick (runtime/hear-phase.ts): 1 passes over
   * a frame of the parent's streams first (decoded, unheard), -1 holds them (conceals a frame
   * rather than pop one). Neither allocates nor awaits.
   */
  hear(nowMs: number, frames = 0): void {
    const ear = this.hearOut;
    const below = this.mixer.hearOut;
    if (!this.split || this.heard) return;
    this.heard = true;
    const d = this.earDown;
    const p = this.parent;
    const plain = p !== null && this.crossFrom === null && this.fadingParent === null;
    if (plain && frames > 0) p.last = p.decodeNext(d, nowMs);
    const n = this.frameSamples;
    if (plain && frames < 0) p.concealInto(d);
    else if (!this.pullParent(d, nowMs)) d.fill(0);
    if (this.peerCount > 0 && this.peerCount === this.activeCount) this.pullPeers(d, nowMs);
    for (let i = 0; i < n; i++) ear[i] = below[i] + d[i];
    this.earLimiter?.process(ear, n);
    if (this.crossFrom) {
      this.crossFrom.destroy();
      this.crossFrom = null;
    }
    if (this.fadingParent) this.endFades(false);
  }

  /**
   * How long each of the parent's streams waited in its buffer beyond its target at the last
   * pop, ms, and how many hubs forwarded it, by stream slot (DownStreams.slacksInto); all NaN
   * without a parent on this path.
   */
  hearSlacks(out: Float64Array, hops: Int32Array): void {
    const s = this.parent?.streams ?? null;
    if (s !== null) return s.slacksInto(out, hops);
    out.fill(Number.NaN);
    hops.fill(-1);
  }

  /** The direct peers' frames, added into `into` (the hear phase's; a peer that starts fades in). */
  private pullPeers(into: Float32Array, nowMs: number): void {
    const x = this.scratch;
    const n = this.frameSamples;
    for (let i = 0; i < this.activeCount; i++) {
      const c = this.children[this.activeSlots[i]]!;
      if (!c.peer || this.fading[this.activeSlots[i]]) continue;
      const kind = c.decodeNext(x, nowMs);
      c.pops[kind]++;
      if (kind !== "silence") for (let j = 0; j < n; j++) into[j] += c.last === "silence" ? x[j] * ((j + 1) / n) : x[j];
      c.last = kind;
    }
  }

  /** The parent's side of a frame into `into` (false when there is none). */
  private pullParent(into: Float32Array, nowMs: number): boolean {
    let any = true;
    if (this.crossFrom) crossfade(this.crossFrom, this.parent!, into, this.scratch, nowMs);
    else if (this.fadingParent) this.fadeOut(this.fadingParent, into, "down");
    else if (this.parent) this.pull(this.parent, into, "down", nowMs);
    else any = false;
    // Warm the prepared stream: its buffer keeps time and its decoder state follows, unheard.
    if (this.nextParent) this.nextParent.last = this.nextParent.decodeNext(this.scratch, nowMs);
    return any;
  }

  private pull(link: HubLink, into: Float32Array, which: MixInput, nowMs: number): void {
    const kind = link.decodeNext(into, nowMs);
    if (link.last === "silence" && kind !== "silence") this.mixer.fadeNext(which, "in");
    if (this.timeline) link.noteTimeline(this.timeline, kind, which === "down" ? TARGET_PARENT : (which as number), nowMs);
    link.last = kind;
    link.pops[kind]++;
  }

  private fadeOut(link: HubLink, into: Float32Array, which: MixInput): void {
    link.concealInto(into);
    if (into !== this.earDown) return this.mixer.fadeNext(which, "out");
    const n = into.length;
    for (let i = 0; i < n; i++) into[i] *= 1 - (i + 1) / n;
  }

  /**
   * Encodes a frame for a link and hands it to the sink; a forwarding child's own stream gets its
   * header first (its tag, numbering and this node's timing, HubLink.frame), others go as they are.
   */
  private send(link: HubLink, pcm: Float32Array, target: LinkTarget, afterTick = Number.NaN): void {
    if (target === "parent") link.lastSentLength = 0;
    const n = link.encodeFrame(pcm, this.frameSamples);
    if (n === 0) return;
    const phase = this.phaseSamples & 0xffff;
    // Up: framed once the parent is heard on the forwarded path (it then reads the header). The
    // packet is kept for the direct peers, who get it too.
    if (target === "parent") {
      const framed = link.streams?.heard === true;
      link.lastSent = framed ? link.framed : link.wire;
      link.lastSentLength = framed ? link.frameUp(n, phase) : n;
      return this.deliver(link, target, link.lastSent, link.lastSentLength, null);
    }
    if (!link.forward) return this.deliver(link, target, link.wire, n, null);
    this.deliver(link, target, link.framed, link.frame(n, afterTick, slackOf(link), phase), null);
  }

  /** One packet to the sink (forwarded ones to onForward); a sink that throws is counted. */
  private deliver(link: HubLink, target: LinkTarget, bytes: Uint8Array, n: number, forward: ((t: number, b: Uint8Array, n: number) => void) | null): void {
    try {
      if (forward !== null) forward(target as number, bytes, n);
      else this.onPacket?.(target, bytes, n, link.seq, link.ts);
    } catch (err) {
      link.sinkErrors++;
      this.onError?.(err, target);
    }
  }

  /** After the tick that faded them out: free the old links, and the mixer slots nobody took. */
  private endFades(keepParent: boolean): void {
    if (this.fadingParent && !keepParent) {
      this.fadingParent.destroy();
      this.fadingParent = null;
      if (!this.parent) this.mixer.setParent(false);
    }
    for (let i = 0; i < this.fadingCount; i++) {
      const slot = this.fadingSlots[i];
      this.fading[slot]!.destroy();
      this.fading[slot] = null;
      if (!this.children[slot]) this.mixer.detachChild(slot);
    }
    this.rebuildLists();
  }

  private newLink(): HubLink {
    return new HubLink(this.backend, this.frameMs, this.encOpts, this.jbOpts);
  }

  private newParentLink(): HubLink {
    const l = this.newLink();
    if (this.downPath === "forward") l.streams = new DownStreams(this.backend, this.frameMs, this.jbOpts);
    return l;
  }
}

export * from "./hub-engine-options.js";
