/**
 * A node's links: to its parent (this node offers), to its children (they offer), the warm
 * standby to its backup parent and the standby links of nodes that name this one as theirs (no
 * media), reconciled with the neighbourhood the server announces; each has a LinkMonitor fed by
 * its packets (healing.ts reads them). The upward link's states and transitions (attached,
 * switching with make-before-break, the failover to the standby) are ParentSwitch's
 * (parent-switch.ts); this file carries out what it decides: it opens and closes the links and
 * drives the engine's parent slots (attachParent, prepareParent and receiveNext while the new
 * parent's media warms, swapParent's one-frame crossfade). A hub keeps a child the server moved
 * away (`departing`) until the child closes that link (its switch) or departingMs passes: the
 * planner's growth-time moves (hub relocations, leaf reviews) cost no audio.
 */
import type { RelayedSignalMessage } from "@choirmesh/protocol";
import type { LinkTarget } from "../hub-engine.js";
import { PeerLink } from "../transport/peer-link.js";
import { ChildSlots } from "./child-slots.js";
import { NODE_DEFAULTS } from "./defaults.js";
import { Departing } from "./departing.js";
import { EarlySignals } from "./early-signals.js";
import { LinkMonitor } from "./link-monitor.js";
import { offeredExtraTracks, sendToTracks } from "./browser-tracks.js";
import { countLive, linksStats, syncReceiveMode, type LinkEntry, type NodeLinksHost, type NodeLinksStats } from "./node-links-types.js";
import { ParentSwitch } from "./parent-switch.js";

export class NodeLinks {
  parent: LinkEntry | null = null;
  readonly children = new Map<string, LinkEntry>();
  /** Warm standby to the backup parent. */
  standby: LinkEntry | null = null;
  /** Standby links of nodes that name this one as backup, by peer. */
  readonly standbyFor = new Map<string, LinkEntry>();
  /** The new parent's link while the old parent still carries the media (see the header). */
  incoming: LinkEntry | null = null;
  /** Which upward link carries the media, and when that changes (parent-switch.ts). */
  private readonly upward: ParentSwitch;
  /** Children the server moved elsewhere, kept (slot and media) until they switch; oldest first. */
  private readonly departing: Departing<LinkEntry>;
  private readonly slots: ChildSlots<LinkEntry>;
  private readonly early = new EarlySignals(NODE_DEFAULTS.pendingSignalMs, NODE_DEFAULTS.pendingSignalMax);
  private standbyTimer: NodeJS.Timeout | null = null;
  private backup: string | null = null;
  private closed = false;

  constructor(
    readonly host: NodeLinksHost,
    maxChildren: number,
  ) {
    this.slots = new ChildSlots(maxChildren);
    this.departing = new Departing(host.healing.departingMs, (peer) => this.endDeparture(peer));
    const h = host.healing;
    this.upward = new ParentSwitch(
      { makeBeforeBreak: h.makeBeforeBreak, settleMs: h.switchSettleMs, timeoutMs: h.switchTimeoutMs, quietMs: 3 * host.engine.frameMs },
      {
        open: (peer, viaStandby) => this.openParent(peer, viaStandby),
        drop: () => this.dropParent(),
        begin: (peer, viaStandby) => this.beginIncoming(peer, viaStandby),
        complete: (_old, _peer, heardNew) => this.promoteIncoming(heardNew),
        cancel: () => this.closeIncoming(),
      },
    );
  }

  get parentId(): string | null { return this.parent?.peer ?? null; }

  get childIds(): string[] {
    return [...this.children.keys()];
  }

  /** The peer mixed on an engine child slot (a departing child keeps its slot until released). */
  peerAtSlot(slot: number): string | null {
    return this.slots.peerAt(slot);
  }

  /** Parent and children (the links that carry media). */
  *all(): Iterable<LinkEntry> {
    if (this.parent) yield this.parent;
    yield* this.children.values();
  }

  /**
   * Hot path (the engine's packet sink): one Buffer view of the engine's packet per packet, which
   * werift needs and PeerLink passes on as it is (a Uint8Array view would be wrapped again).
   */
  send(target: LinkTarget, bytes: Uint8Array, length: number, samples: number): void {
    const entry = target === "parent" ? this.parent : this.slots.bySlot[target as number];
    if (entry?.tracks) sendToTracks(entry.link, bytes, length, samples, this.host.engine.frameSamples);
    else if (entry) entry.link.sendOpus(Buffer.from(bytes.buffer, bytes.byteOffset, length), samples);
  }

  /**
   * Per tick, before the engine pulls from its jitter buffers: every link reads the packets that
   * wait on its socket (PeerLinkOptions.receiveOnTick). Links that are not in that mode return at once.
   */
  drain(): void {
    this.parent?.link.drain();
    this.incoming?.link.drain();
    const slots = this.slots.bySlot;
    for (let i = 0; i < slots.length; i++) slots[i]?.link.drain();
    this.standby?.link.drain();
    if (this.standbyFor.size > 0) for (const e of this.standbyFor.values()) e.link.drain();
    this.host.afterDrain?.();
    // Whether a switch under way completes is decided here, once per tick, not per packet.
    if (this.incoming !== null) this.upward.tick(performance.now(), this.parent?.monitor.lastRxMs ?? -Infinity);
  }

  /** The node's clock skipped `frames` ticks: every media link skips their numbers (PeerLink.skipFrames). */
  skipFrames(frames: number, samplesPerFrame: number): void {
    this.parent?.link.skipFrames(frames, samplesPerFrame);
    this.incoming?.link.skipFrames(frames, samplesPerFrame);
    const slots = this.slots.bySlot;
    for (let i = 0; i < slots.length; i++) slots[i]?.link.skipFrames(frames, samplesPerFrame);
  }

  /** The parent the server announced last (the incoming one while a switch is under way). */
  get wantedParentId(): string | null {
    return this.upward.wanted;
  }

  /** Matches the links to the announced neighbourhood. */
  reconcile(parent: string | null, children: readonly string[], backup: string | null): void {
    if (this.closed) return;
    this.backup = backup;
    this.upward.announce(parent, { parentHealthy: () => this.parentHealthy(), standby: this.standby?.peer ?? null }, performance.now());
    const wanted = new Set(children);
    for (const peer of [...this.children.keys()]) if (!wanted.has(peer)) this.dropChild(peer);
    for (const peer of children) if (!this.children.has(peer)) this.addChild(peer);
    this.syncStandby();
  }

  private newLink(peer: string, role: "offerer" | "answerer", target: LinkTarget | null): LinkEntry {
    const link = new PeerLink({ ...this.host.linkOptions, role, label: peer });
    this.host.paths?.attach(peer, link);
    const h = this.host.healing;
    const monitor = new LinkMonitor(
      { silenceMs: h.silenceMs, reparentAfterMs: h.reparentAfterMs, setupAllowanceMs: NODE_DEFAULTS.linkSetupAllowanceMs },
      performance.now(),
    );
    const entry: LinkEntry = { peer, link, target, monitor };
    link.on("signal", (s) => {
      const kind = s.kind === "offer" || s.kind === "answer" || s.kind === "candidate" ? s.kind : "other";
      // `by` tells the peer which of its links this is for: two nodes that are each other's
      // backup hold two links, one offered by each.
      // A node on the forwarded down path asks its parent for forwarded streams in its offer
      // (a browser's offer does not, and gets a whole down mix).
      const forward = s.kind === "offer" && this.host.engine.downPath === "forward";
      this.host.sendSignal(peer, kind, forward ? { ...s, by: role, forward: true } : { ...s, by: role });
    });
    link.on("error", (e) => this.host.problem(`link ${peer}`, `${e.code}: ${e.message}`));
    link.on("state", (st) => {
      monitor.noteState(st, performance.now());
      if (st === "closed") this.forgetStandby(entry);
      const ended = st === "closed" || st === "failed" || st === "disconnected";
      // The old parent is gone before the new one spoke: nothing left to wait for.
      if (ended && this.incoming !== null && entry === this.parent) this.upward.oldParentEnded();
      // A departing child switched to its new parent (or died).
      if (ended && this.departing.get(peer) === entry) this.endDeparture(peer);
      this.host.linkState(peer, st);
    });
    const engine = this.host.engine;
    link.onOpus((seq, ts, payload, arrivalMs) => {
      // The new parent's packets warm the engine's prepared parent stream, unheard, until the
      // switch completes (ParentSwitch.tick decides when, once per tick).
      if (entry === this.incoming) {
        this.upward.noteIncomingPacket(arrivalMs);
        monitor.lastRxMs = arrivalMs;
        engine.receiveNext(seq, ts, payload, arrivalMs, this.host.arrivalTimingTrusted(arrivalMs));
        return;
      }
      // A link replaced meanwhile must not feed its successor's jitter buffer; a standby link
      // carries no media.
      if (entry.link !== link || entry.target === null) return;
      monitor.lastRxMs = arrivalMs;
      engine.receive(entry.target, seq, ts, payload, arrivalMs, this.host.arrivalTimingTrusted(arrivalMs));
    });
    return entry;
  }

  /** ParentSwitch's `open`: a parent link that carries the media at once. */
  private openParent(peer: string, viaStandby: boolean): void {
    let entry: LinkEntry;
    if (viaStandby && this.standby?.peer === peer) {
      // Failover to the backup: its link is already up, only the media starts.
      entry = this.standby;
      this.standby = null;
      entry.target = "parent";
      entry.monitor.reset(performance.now());
    } else {
      entry = this.newLink(peer, "offerer", "parent");
    }
    this.parent = entry;
    this.host.engine.attachParent();
    this.setForwarded(null);
    this.startLink(peer, entry);
  }

  /** Whether the parent's media arrived lately (a planned move, not a failover). */
  private parentHealthy(): boolean {
    return this.parent !== null && performance.now() - this.parent.monitor.lastRxMs < this.host.healing.silenceMs / 2;
  }

  /** ParentSwitch's `begin`: the link to the new parent (or the standby's) is set up while the old one keeps the media. */
  private beginIncoming(peer: string, viaStandby: boolean): void {
    const standby = viaStandby && this.standby?.peer === peer ? this.standby : null;
    const entry = standby ?? this.newLink(peer, "offerer", null);
    if (standby) this.standby = null;
    this.incoming = entry;
    this.host.engine.prepareParent();
    this.setForwarded(null);
    if (standby) return;
    this.startLink(peer, entry);
  }

  /** ParentSwitch's `complete`: the incoming link becomes the parent; the old parent's link closes. */
  private promoteIncoming(heardNew: boolean): void {
    const entry = this.incoming;
    this.incoming = null;
    if (entry === null) return;
    const old = this.parent;
    this.parent = null;
    if (old) void old.link.close();
    entry.target = "parent";
    entry.monitor.reset(performance.now());
    this.parent = entry;
    // The warm stream takes over with a one-frame crossfade (HubEngine.swapParent).
    this.host.engine.swapParent();
    this.host.parentSwitched?.(entry.peer, heardNew);
  }

  /** ParentSwitch's `cancel`: the move was called off. */
  private closeIncoming(): void {
    const entry = this.incoming;
    this.incoming = null;
    if (entry === null) return;
    this.host.engine.dropNextParent();
    void entry.link.close();
  }

  /** ParentSwitch's `drop`. */
  private dropParent(): void {
    const p = this.parent!;
    this.parent = null;
    this.host.engine.detachParent();
    void p.link.close();
  }

  private addChild(peer: string): void {
    const back = this.departing.release(peer);
    if (back) {
      // Moved back before it switched: it is a child again, on the same slot and link.
      this.children.set(peer, back);
      return;
    }
    // Departing children give their slots up, oldest first, when the new ones need them.
    if (this.slots.freeCount === 0 && this.departing.size > 0) this.endDeparture(this.departing.oldest()!);
    const slot = this.slots.reserve();
    if (slot === undefined) {
      this.host.problem("engine", `no free child slot for ${peer}`, "slots");
      return;
    }
    let entry = this.standbyFor.get(peer);
    if (entry) {
      // A node that kept a standby link to us moves here: promote its link.
      this.standbyFor.delete(peer);
      entry.target = slot;
      entry.monitor.reset(performance.now());
    } else {
      entry = this.newLink(peer, "answerer", slot);
    }
    this.children.set(peer, entry);
    this.slots.assign(slot, entry);
    this.host.engine.attachChild(slot);
    if (entry.forward) this.setForwarded(slot, true);
    this.startLink(peer, entry);
  }

  private dropChild(peer: string): void {
    const c = this.children.get(peer)!;
    this.children.delete(peer);
    if (this.host.healing.makeBeforeBreak && c.link.state === "connected") {
      // It may be moving elsewhere: keep its audio flowing until it switches (see the header).
      this.departing.hold(peer, c);
      return;
    }
    this.releaseChild(c);
  }

  private endDeparture(peer: string): void {
    const d = this.departing.release(peer);
    if (d) this.releaseChild(d);
  }

  private releaseChild(c: LinkEntry): void {
    const slot = c.target as number;
    this.slots.release(slot);
    this.host.engine.detachChild(slot);
    this.setForwarded(null);
    void c.link.close();
  }

  private wantedStandby(): string | null {
    return this.host.healing.warmStandby && this.backup !== null && this.backup !== this.parentId ? this.backup : null;
  }

  /** Keeps one standby link, to the current backup parent, set up a little later (see standbyDelayMs). */
  private syncStandby(): void {
    const want = this.wantedStandby();
    if (this.standby && this.standby.peer !== want) {
      const old = this.standby;
      this.standby = null;
      void old.link.close();
    }
    if (want === null || this.standby || this.standbyTimer) return;
    const [lo, hi] = this.host.healing.standbyDelayMs;
    this.standbyTimer = setTimeout(() => {
      this.standbyTimer = null;
      const now = this.wantedStandby();
      if (this.closed || now === null || this.standby) return;
      this.standby = this.newLink(now, "offerer", null);
      this.startLink(now, this.standby);
    }, lo + Math.random() * (hi - lo));
    this.standbyTimer.unref();
  }

  private forgetStandby(entry: LinkEntry): void {
    if (entry.target !== null) return;
    if (this.standby === entry) this.standby = null;
    if (this.standbyFor.get(entry.peer) === entry) this.standbyFor.delete(entry.peer);
  }

  onSignal(m: RelayedSignalMessage): void {
    if (this.closed) return;
    const by = m.data.by;
    // My offerer links to m.from (parent, standby) take what its answerer sends, and vice versa.
    const mineOffered =
      this.incoming?.peer === m.from ? this.incoming : this.parent?.peer === m.from ? this.parent : this.standby?.peer === m.from ? this.standby : undefined;
    const theirsOffered = this.children.get(m.from) ?? this.standbyFor.get(m.from) ?? this.departing.get(m.from);
    const entry = by === "answerer" ? mineOffered : by === "offerer" ? theirsOffered : (mineOffered ?? theirsOffered);
    if (entry) {
      this.deliver(entry, m.data);
      return;
    }
    // An offer from a node we are not linked to: a node that names us as backup (a standby
    // link), or a new child whose offer overtook its tree-update. Either way, answer it now.
    if (m.kind === "offer" && this.standbyFor.size < this.host.healing.maxStandbyPeers) {
      const standby = this.newLink(m.from, "answerer", null);
      this.standbyFor.set(m.from, standby);
      standby.link.start();
      this.deliver(standby, m.data);
      for (const data of this.early.take(m.from, performance.now())) this.deliver(standby, data);
      return;
    }
    // Other early signals are kept briefly.
    if (!this.early.keep(m.from, m.data, performance.now())) this.host.problem("signals", `too many early signals from ${m.from}`, "signals");
  }

  /** Starts a new link to `peer`; it gets the signals that came before it. */
  private startLink(peer: string, entry: LinkEntry): void {
    entry.link.start();
    for (const data of this.early.take(peer, performance.now())) this.deliver(entry, data);
  }

  /** A signal for a link; a child's offer also says whether it takes forwarded streams (as tracks: a browser). */
  private deliver(entry: LinkEntry, data: Record<string, unknown>): void {
    const tracks = data.kind === "offer" ? (entry.tracks = data.forward === true ? 0 : offeredExtraTracks(data.sdp)) : 0;
    if (data.kind === "offer") this.setForwarded(typeof entry.target === "number" ? entry.target : null, (entry.forward = data.forward === true || tracks > 0));
    entry.link.handleSignal(data);
  }

  /** The engine's slot follows its link's offer; a hub that forwards reads its parent's links as packets arrive. */
  private setForwarded(slot: number | null, on = false): void {
    if (slot !== null && this.host.engine.isChildAttached(slot)) this.host.engine.setChildForwarded(slot, on);
    syncReceiveMode(this.host, this.parent, this.incoming);
  }

  /** Child links (departing ones included) that still carry media: a leaving hub waits for them to close. */
  get liveChildLinks(): number {
    return countLive(this.children.values()) + countLive(this.departing.entries());
  }

  linkTo(peer: string): PeerLink | null {
    return (this.parent?.peer === peer ? this.parent.link : this.children.get(peer)?.link) ?? null;
  }

  toJSON(): NodeLinksStats {
    return linksStats(this.standby, this.standbyFor, this.incoming, this.departing.peers(), this.children, this.all());
  }

  /** Closes every link; resolves when werift has closed them. */
  close(): Promise<unknown> {
    this.closed = true;
    if (this.standbyTimer) clearTimeout(this.standbyTimer);
    this.upward.close();
    const all = [...this.all(), this.incoming, ...this.departing.clear(), this.standby, ...this.standbyFor.values()];
    this.parent = this.incoming = this.standby = null;
    for (const m of [this.children, this.standbyFor]) m.clear();
    return Promise.allSettled(all.map((e) => e?.link.close()));
  }
}

export * from "./node-links-types.js";
