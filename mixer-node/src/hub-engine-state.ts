/**
 * The state of a HubEngine (hub-engine.ts) and how it is built from its options: its links, mixer
 * and preallocated buffers. The engine's work is in HubEngine; this keeps the two readable apart.
 */
import { CODEC_DEFAULTS } from "./codec/defaults.js";
import type { RedundantBlock } from "./codec/redundancy.js";
import { SAMPLE_RATE, type CodecBackend, type EncoderOptions, type FrameMs } from "./codec/types.js";
import { HUB_ENGINE_DEFAULTS } from "./defaults.js";
import type { HubLink } from "./hub-link.js";
import type { DownStreams } from "./down-streams.js";
import type { JitterBufferOptions } from "./jitter-buffer.js";
import { Limiter } from "./limiter.js";
import { MixMinus } from "./mixer.js";
import type { Timeline } from "./timeline.js";
import type { HubEngineOptions, PacketSink, LinkTarget } from "./hub-engine-options.js";
import { childStats, tickTimes } from "./hub-engine-parts.js";
import type { HubEngineStats } from "./stats.js";

export abstract class HubEngineState {
  readonly frameMs: FrameMs;
  readonly frameSamples: number;
  readonly backend: CodecBackend;
  readonly mixer: MixMinus;
  /** The node's own voice for the next tick (ignored for a dedicated hub). */
  readonly voiceIn: Float32Array;
  /** What the node's singer hears, after each tick (after each hear() with hearPhase). */
  readonly hearOut: Float32Array;
  /** The parent's side is heard in hear() (HubEngineOptions.hearPhase). */
  readonly hearPhase: boolean;
  /** The last tick left the parent's streams to hear(). */
  protected split = false;
  /** hear() ran since the last tick. */
  protected heard = false;
  /** The parent's streams for hear(), and the limiter of what it hears. */
  protected readonly earDown: Float32Array;
  protected readonly earLimiter: Limiter | null;

  protected readonly encOpts: EncoderOptions;
  protected jbOpts: Omit<JitterBufferOptions, "frameMs">;
  protected readonly onPacket: PacketSink | undefined;
  protected readonly onError: ((err: unknown, target: LinkTarget) => void) | undefined;
  protected parent: HubLink | null = null;
  protected fadingParent: HubLink | null = null;
  /**
   * A new parent's stream while the old parent still plays (a move made before it is broken):
   * its jitter buffer and decoder run every tick, unheard, so that the swap plays from a warm
   * stream; swapParent() crossfades from the old one within one frame.
   */
  protected nextParent: HubLink | null = null;
  /** The old parent during the swap's crossfade tick. */
  protected crossFrom: HubLink | null = null;
  protected readonly scratch: Float32Array;
  protected readonly children: (HubLink | null)[];
  protected readonly fading: (HubLink | null)[];
  /** Slots with an active child link, and with a fading one: dense, rebuilt on attach/detach. */
  protected readonly activeSlots: Int32Array;
  protected activeCount = 0;
  protected readonly fadingSlots: Int32Array;
  protected fadingCount = 0;
  protected readonly tickUs: Float64Array;
  protected readonly measureTicks: boolean;
  protected ticks = 0;
  protected unroutable = 0;
  /** Packets seen while the node was behind, kept out of the jitter buffers' timing. */
  protected untimed = 0;
  protected readonly timeline: Timeline | null;
  protected readonly redundancyMode: "auto" | "on" | "off";
  protected readonly blocks: RedundantBlock[] = [{ offset: 0, length: 0, delta: 0 }, { offset: 0, length: 0, delta: 0 }];
  readonly downPath: "forward" | "mix";
  protected readonly onForward: ((target: number, bytes: Uint8Array, length: number) => void) | undefined;
  /** A packet from above on its way to the children that take it; how many take it. */
  protected readonly fwd = new Uint8Array(4096);
  protected forwardCount = 0;
  /** Children that are direct peers (HubEngine.setChildPeer). */
  protected peerCount = 0;
  /** This node's tick moves so far, in samples (the node runtime adds each move): its phase. */
  phaseSamples = 0;

  constructor(opts: HubEngineOptions) {
    this.backend = opts.backend;
    this.frameMs = opts.frameMs ?? CODEC_DEFAULTS.frameMs;
    this.frameSamples = (SAMPLE_RATE / 1000) * this.frameMs;
    this.encOpts = { ...(opts.encoder ?? {}), frameMs: this.frameMs };
    this.jbOpts = opts.jitter ?? {};
    this.onPacket = opts.onPacket;
    this.onError = opts.onError;
    this.timeline = opts.timeline ?? null;
    this.redundancyMode = opts.redundancy ?? HUB_ENGINE_DEFAULTS.redundancy;
    this.downPath = opts.downPath ?? HUB_ENGINE_DEFAULTS.downPath;
    this.onForward = opts.onForward;
    // Children that align their ticks to this node's hold their phase: a tight band sheds the
    // frame alignment makes unnecessary (JitterBufferOptions.dropHysteresisMs).
    if (this.downPath === "forward" && this.jbOpts.dropHysteresisMs === undefined) {
      this.jbOpts = { ...this.jbOpts, dropHysteresisMs: HUB_ENGINE_DEFAULTS.alignedDropHysteresisMs, maxDrift: HUB_ENGINE_DEFAULTS.alignedMaxDrift };
    }
    this.mixer = new MixMinus({
      frameSamples: this.frameSamples,
      maxChildren: opts.maxChildren,
      hasParent: false,
      hasVoice: opts.hasVoice ?? HUB_ENGINE_DEFAULTS.hasVoice,
      limiter: opts.limiter,
    });
    this.voiceIn = this.mixer.voiceIn;
    this.hearPhase = (opts.hearPhase ?? false) && this.downPath === "forward";
    this.hearOut = this.hearPhase ? new Float32Array(this.frameSamples) : this.mixer.hearOut;
    this.earDown = new Float32Array(this.hearPhase ? this.frameSamples : 0);
    this.earLimiter = this.hearPhase && opts.limiter !== false ? new Limiter({ maxFrameSamples: this.frameSamples, ...(opts.limiter ?? {}) }) : null;
    this.scratch = new Float32Array(this.frameSamples);
    this.children = new Array<HubLink | null>(opts.maxChildren).fill(null);
    this.fading = new Array<HubLink | null>(opts.maxChildren).fill(null);
    this.activeSlots = new Int32Array(opts.maxChildren);
    this.fadingSlots = new Int32Array(opts.maxChildren);
    this.measureTicks = opts.measureTicks ?? HUB_ENGINE_DEFAULTS.measureTicks;
    this.tickUs = new Float64Array(this.measureTicks ? (opts.tickTimeWindow ?? HUB_ENGINE_DEFAULTS.tickTimeWindow) : 0);
  }

  get hasParent(): boolean {
    return this.parent !== null;
  }

  get childCount(): number { return this.activeCount; }

  /** The parent's streams on a forwarded down path (their timing aligns this node's tick). */
  get parentStreams(): DownStreams | null {
    return this.parent?.streams ?? null;
  }

  protected linkFor(target: LinkTarget): HubLink | null {
    return target === "parent" ? this.parent : this.children[target as number];
  }
  /** Children that take forwarded streams now. */
  get forwardingChildren(): number {
    return this.forwardCount;
  }

  isChildForwarded(slot: number): boolean {
    return this.children[slot]?.forward ?? false;
  }
  isChildAttached(slot: number): boolean {
    return this.children[slot] != null;
  }
  /**
   * Turns redundancy on or off per link from the loss measured on each incoming stream since the
   * last call (mode "auto"; the node calls it about once a second, off the per-frame path).
   */
  adaptRedundancy(nowMs: number): void {
    const adapt = (link: HubLink) => link.adaptRedundancy(nowMs, this.redundancyMode);
    if (this.parent) adapt(this.parent);
    for (let i = 0; i < this.activeCount; i++) adapt(this.children[this.activeSlots[i]]!);
  }

  /** How many earlier frames the stream to `target` carries now (0 = none). */
  redundancyOf(target: LinkTarget): number {
    return this.linkFor(target)?.redundancy ?? 0;
  }

  /** The last Opus packet produced for a link (valid until the next tick). */
  packetFor(target: LinkTarget): Uint8Array | null {
    const link = this.linkFor(target);
    return link && link.outLength > 0 ? link.out.subarray(0, link.outLength) : null;
  }

  protected rebuildLists(): void {
    let a = 0;
    let f = 0;
    let fw = 0;
    let pe = 0;
    for (let s = 0; s < this.children.length; s++) {
      if (this.children[s]?.forward) fw++;
      if (this.children[s]?.peer) pe++;
      if (this.children[s]) this.activeSlots[a++] = s;
      if (this.fading[s]) this.fadingSlots[f++] = s;
    }
    this.activeCount = a;
    this.fadingCount = f;
    this.forwardCount = fw;
    this.peerCount = pe;
  }

  /** Frees every codec object. The engine is unusable afterwards. */
  destroy(): void {
    for (const l of [this.parent, this.fadingParent, this.nextParent, this.crossFrom, ...this.children, ...this.fading]) l?.destroy();
    this.parent = this.fadingParent = this.nextParent = this.crossFrom = null;
    this.children.fill(null);
    this.fading.fill(null);
    this.rebuildLists();
  }

  toJSON(): HubEngineStats {
    return {
      backend: this.backend.name,
      frameMs: this.frameMs,
      downPath: this.downPath,
      ticks: this.ticks,
      tickUs: this.measureTicks ? tickTimes(this.tickUs, Math.min(this.ticks, this.tickUs.length)) : null,
      unroutable: this.unroutable,
      untimed: this.untimed,
      parent: this.parent ? this.parent.toJSON() : null,
      children: childStats(this.children),
      mixer: this.mixer.toJSON(),
    };
  }
}
