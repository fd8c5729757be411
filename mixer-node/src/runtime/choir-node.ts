/**
 * A node of the live mixing tree: a singer, a singer who is also a hub, or a dedicated hub.
 *
 * The flow of one frame through a node:
 *   parent's down stream and each child's up stream arrive as RTP over a PeerLink and wait in
 *   its socket until the node's next tick (PeerLinkOptions.receiveOnTick)
 *   -> on each tick of the TickClock: every link reads what waits (NodeLinks.drain) and
 *      HubEngine.receive() puts each packet in that input's jitter buffer, stamped with the
 *      kernel's arrival time; the voice source writes this frame into engine.voiceIn,
 *      engine.tick() pops every jitter buffer, decodes (or conceals), mixes (mix-minus) and
 *      encodes the up mix for the parent and one down mix per child
 *   -> the engine's packet sink hands each packet to its PeerLink (sendOpus)
 *   -> on the forwarded path, the parent's streams are heard in a phase of their own, once they
 *      are in (node-loop.ts, hear-phase.ts: the parent's link reads again, engine.hear())
 *   -> what the singer hears (engine.hearOut) goes to the recorder.
 *
 * The node follows the signaling server: `joined` and `tree-update` give it its whole
 * neighbourhood, and it reconciles its links to match (the child offers to its parent).
 * Everything from the network is contained at the link: a bad link or a bad signal is
 * reported as an event and never takes the node down.
 *
 * Healing (healing.ts, docs/lifecycle.md): each link has a LinkMonitor fed by its packets; a
 * LinkHealer repairs stalled links and reports lost ones to the server; a warm standby link to
 * the backup parent is kept connected so that a move to it needs no setup; SignalingResume
 * reconnects to the server and rejoins at the node's current place.
 */
import { loadCodecBackend } from "../codec/index.js";
import type { FrameMs } from "../codec/types.js";
import { HubEngine } from "../hub-engine.js";
import { SafeEmitter } from "@choirmesh/common/events";
import { DefaultReconnectPolicy } from "@choirmesh/protocol";
import type { JoinMessage, JoinedMessage, MediaSettings, TreeUpdateMessage } from "@choirmesh/protocol";
import { nodeInputs } from "../stats.js";
import type { TickClock } from "../tick-clock.js";
import { INCIDENT, LINK_STATE, TARGET_NODE, Timeline } from "../timeline.js";
import type { PeerLink } from "../transport/peer-link.js";
import { NODE_DEFAULTS } from "./defaults.js";
import { HEALING_DEFAULTS, type HealingOptions } from "./healing-defaults.js";
import { LinkHealer, SignalingResume } from "./healing.js";
import { NodeLinks } from "./node-links.js";
import { PathDelays } from "./path-delays.js";
import { DIRECT_DEFAULTS, directLinksOf, type DirectLinks } from "./direct-links.js";
import { Recorder } from "./recorder.js";
import type { TickAligner } from "./tick-aligner.js";
import type { HearPhase } from "./hear-phase.js";
import { startNodeLoop } from "./node-loop.js";
import { SignalingClient } from "./signaling-client.js";

import { encoderOptionsFromMedia, type ChoirNodeEvents, type ChoirNodeOptions, type ChoirNodeStats, type NodeLinkInfo } from "./choir-node-types.js";

export * from "./choir-node-types.js";

export class ChoirNode extends SafeEmitter<ChoirNodeEvents> {
  readonly opts: ChoirNodeOptions;
  id: string | null = null;
  media: MediaSettings | null = null;
  engine: HubEngine | null = null;
  clock: TickClock | null = null;
  recorder: Recorder | null = null;
  backup: string | null = null;
  /** Absolute sample index of tick 0's frame. */
  absOrigin = 0;
  /** Samples the tick alignment moved the frames by (negative: sooner), so that they keep wall time. */
  absShift = 0;
  /** Aligns the ticks to the parent's on the forwarded down path (null on the "mix" path). */
  aligner: TickAligner | null = null;
  /** The hear phase after each tick on the forwarded path (null on the "mix" path). */
  hearPhase: HearPhase | null = null;
  /** Late ticks, concealment runs, jitter-buffer moves and link changes, on the wall clock. */
  readonly timeline = new Timeline(NODE_DEFAULTS.timelineEntries);
  /** Emulated geography (path-delays.ts): empty unless a harness places the choir on a map. */
  readonly paths = new PathDelays();
  /** Links to the neighbours this singer hears directly, and the hub's side of them (direct-links.ts). */
  private direct: DirectLinks | null = null;

  private signaling: SignalingClient | null = null;
  private links: NodeLinks | null = null;
  private rttTimer: NodeJS.Timeout | null = null;
  private redundancyTimer: NodeJS.Timeout | null = null;
  private healer: LinkHealer | null = null;
  private resume: SignalingResume | null = null;
  private resumeToken: string | null = null;
  /** Joined and connected: false from a signaling disconnect until the rejoin. */
  private inSession = false;
  private joinFields: Omit<JoinMessage, "type" | "v" | "ref"> | null = null;
  private stopped = false;
  private frameSamples = 480;
  private readonly problems = { links: 0, signals: 0, server: 0, slots: 0 };
  /** The healing options in force: the defaults with the caller's on top. */
  private readonly healing: Required<HealingOptions>;

  constructor(opts: ChoirNodeOptions) {
    super();
    this.opts = opts;
    this.healing = { ...HEALING_DEFAULTS, ...(opts.healing ?? {}) };
  }

  get parentId(): string | null {
    return this.links?.wantedParentId ?? null;
  }

  /** Rejoins after signaling outages so far (a server restarted, or another one of a cluster). */
  get signalingResumes(): number { return this.resume?.resumes ?? 0; }

  get childIds(): string[] {
    return this.links?.childIds ?? [];
  }

  get frameMs(): FrameMs {
    return (this.media?.frameMs ?? 10) as FrameMs;
  }

  /** Connects, joins, builds the engine and starts ticking. Resolves once joined. */
  async start(): Promise<JoinedMessage> {
    const o = this.opts;
    // Reconnection is ours (SignalingResume): the policy decides, and every reconnect rejoins.
    const sig = new SignalingClient(o.url, { reconnection: false });
    this.signaling = sig;
    // Direct links' signals and children's hearing reports go to the direct links, the rest to the tree's.
    sig.on("signal", (m) => (m.data.direct === true || m.data.hearing !== undefined ? this.direct?.onSignalOrHearing(m) : this.links?.onSignal(m)));
    sig.on("tree-update", (m) => this.applyNeighbourhood(m));
    sig.on("bad-message", (reason) => this.problem("server", `bad message: ${reason}`));
    sig.on("server-error", (m) => this.problem("server", `${m.code}: ${m.message}`));
    const fields: Omit<JoinMessage, "type" | "v" | "ref"> = {
        room: o.room,
        name: o.name,
        section: o.section ?? NODE_DEFAULTS.section,
        canHub: o.canHub ?? NODE_DEFAULTS.canHub,
        uploadKbps: o.uploadKbps ?? NODE_DEFAULTS.uploadKbps,
        hasVoice: o.hasVoice ?? NODE_DEFAULTS.hasVoice,
        ...(o.dedicated ? { dedicated: true } : {}),
        ...(o.location || o.accessMs !== undefined
          ? { latency: { ...(o.location ? { location: o.location } : {}), ...(o.accessMs !== undefined ? { accessMs: o.accessMs } : {}) } }
          : {}),
        ...(o.token ? { token: o.token } : {}),
    };
    this.joinFields = fields;
    const joined = await sig.join(fields, NODE_DEFAULTS.joinTimeoutMs);
    this.id = joined.id;
    this.resumeToken = joined.resumeToken;
    this.inSession = true;
    sig.on("disconnect", () => (this.inSession = false));
    this.media = joined.media;
    this.buildEngine(joined.media);
    this.safeEmit("joined", joined);
    this.applyNeighbourhood(joined);
    this.startHealing(sig);
    // Loss protection follows the loss measured on each link (HubEngine.adaptRedundancy).
    this.redundancyTimer = setInterval(() => this.engine?.adaptRedundancy(performance.now()), NODE_DEFAULTS.redundancyCheckMs);
    this.redundancyTimer.unref();
    const every = o.rttReportMs ?? NODE_DEFAULTS.rttReportMs;
    if (every > 0) {
      this.rttTimer = setInterval(() => this.reportRtts(), every);
      this.rttTimer.unref();
    }
    return joined;
  }

  private buildEngine(media: MediaSettings): void {
    const backend = this.opts.backend ?? loadCodecBackend();
    const maxChildren = this.opts.maxChildren ?? NODE_DEFAULTS.maxChildren;
    const engine = new HubEngine({
      backend,
      maxChildren,
      frameMs: media.frameMs as FrameMs,
      hasVoice: this.opts.hasVoice ?? NODE_DEFAULTS.hasVoice,
      encoder: encoderOptionsFromMedia(media),
      downPath: media.downPath ?? "mix",
      hearPhase: this.opts.hearPhase ?? process.env.CHOIRMESH_HEAR_PHASE !== "0",
      onPacket: (target, bytes, length) =>
        typeof target === "number" && this.direct!.ownsSlot(target) ? this.direct!.send(target, bytes, length, this.frameSamples) : this.links!.send(target, bytes, length, this.frameSamples),
      // Forwarded packets are not frames of this node's numbering: they add no samples to it.
      onForward: (target, bytes, length) => this.links!.send(target, bytes, length, 0),
      timeline: this.timeline,
      onError: (err, target) => this.problem("engine", `${String(target)}: ${(err as Error)?.message ?? String(err)}`),
    });
    this.engine = engine;
    this.frameSamples = engine.frameSamples;
    this.links = new NodeLinks(
      {
        engine,
        paths: this.paths,
        // Packets are read on the tick (one batch, kernel arrival times) unless the caller says
      // otherwise or CHOIRMESH_RECEIVE_ON_TICK=0 (benchmarks compare the two).
      linkOptions: { receiveOnTick: process.env.CHOIRMESH_RECEIVE_ON_TICK !== "0", ...(this.opts.link ?? {}) },
        healing: this.healing,
        sendSignal: (to, kind, data) => {
          if (this.inSession) this.signaling?.send({ type: "signal", to, kind, data });
        },
        problem: (where, message, counter) => {
          if (counter) this.problems[counter]++;
          this.problem(where, message);
        },
        arrivalTimingTrusted: (ms) => !(this.clock?.behind(ms, media.frameMs / 2) ?? false),
        linkState: (peer, state) => {
          this.timeline.add(INCIDENT.link, TARGET_NODE, performance.now(), LINK_STATE[state] ?? -1, peer);
          this.safeEmit("link-state", peer, state);
        },
        parentSwitched: (peer, heardNew) => {
          this.timeline.add(INCIDENT.parent, TARGET_NODE, performance.now(), heardNew ? 2 : 3, peer);
        },
        afterDrain: () => this.direct?.drain(),
      },
      maxChildren - DIRECT_DEFAULTS.slots,
    );
    this.direct = directLinksOf(this, this.links, maxChildren - DIRECT_DEFAULTS.slots);
    const hasVoice = (this.opts.hasVoice ?? NODE_DEFAULTS.hasVoice) && this.opts.voice != null;
    const hooks = { healEveryMs: this.healing.checkEveryMs, healTick: (now: number) => this.healer?.tick(now), problem: (w: string, m: string) => this.problem(w, m) };
    const loop = startNodeLoop(this, hooks, engine, this.links, hasVoice ? this.opts.voice! : null);
    this.aligner = loop.alignment?.aligner ?? null;
    this.hearPhase = loop.hear;
    const clock = loop.clock;
    this.clock = clock;
    // Tick k's frame is stamped with its deadline, origin + (k+1)·F, on the absolute clock.
    this.absOrigin = Math.round((performance.timeOrigin + clock.deadline(0)) * 48);
    const seconds = this.opts.recordSeconds ?? 0;
    if (seconds > 0) this.recorder = new Recorder(seconds, this.absOrigin);
  }

  /** Starts a fresh recording at the next tick (e.g. once the tree has settled). */
  startRecording(seconds: number): Recorder {
    const clock = this.clock;
    if (!clock) throw new Error("node not started");
    const nextAbs = this.absOrigin + clock.nextTick * this.frameSamples + this.absShift;
    this.recorder = new Recorder(seconds, nextAbs);
    return this.recorder;
  }

  /** Reconciles links with the neighbourhood the server announced. */
  private applyNeighbourhood(m: JoinedMessage | TreeUpdateMessage): void {
    if (this.stopped || !this.links) return;
    this.backup = m.backup;
    if (m.parent !== this.links.wantedParentId && m.parent !== null) {
      const promoted = this.links.standby?.peer === m.parent && this.links.standby.link.state === "connected";
      this.timeline.add(INCIDENT.parent, TARGET_NODE, performance.now(), promoted ? 1 : 0, m.parent);
    }
    this.links.reconcile(m.parent, m.children, m.backup);
    this.direct?.reconcile(m.direct ?? []);
    this.direct?.childrenChanged(m.children);
    this.safeEmit("neighbours", this.parentId, this.childIds);
  }

  // ---- healing -----------------------------------------------------------------------------

  private startHealing(sig: SignalingClient): void {
    const h = this.healing;
    const links = this.links!;
    this.healer = new LinkHealer(
      {
        // While a move is under way the new link is the one to judge: the old one is on its way out.
        parentLink: () => links.incoming ?? links.parent,
        childLinks: () => links.children.values(),
        send: (msg) => {
          if (this.inSession) this.signaling?.send(msg);
        },
        note: (ev) => this.safeEmit("healing", ev),
      },
      {
        checkEveryMs: h.checkEveryMs,
        selfStallHoldMs: h.selfStallHoldMs,
        icePolicy: this.opts.iceRetryPolicy ?? new DefaultReconnectPolicy(HEALING_DEFAULTS.iceRetry),
      },
    );
    this.healer.start(false); // driven by the frame clock (buildEngine)
    this.resume = new SignalingResume(
      sig,
      () => this.rejoin(sig),
      this.opts.signalingRetryPolicy ?? new DefaultReconnectPolicy(HEALING_DEFAULTS.signalingRetry),
      (ctx) => this.problem("server", `gave up reconnecting to the signaling server after ${ctx.attempt} attempts`),
    );
  }

  /** Rejoins after a signaling outage: same id (resume token), same place (restore). */
  private async rejoin(sig: SignalingClient): Promise<void> {
    if (!this.joinFields || !this.resumeToken) throw new Error("never joined");
    const resume = { ...this.joinFields, resume: this.resumeToken };
    let joined: JoinedMessage;
    try {
      // Our place, for a server that is rebuilding the room after a restart.
      joined = await sig.join({ ...resume, restore: { parent: this.parentId, backup: this.backup, children: this.childIds } }, NODE_DEFAULTS.joinTimeoutMs);
    } catch (e) {
      // A server that still runs the room (or whose rules the place breaks) refuses the restore:
      // the resume token alone gives the id back, and the planner a place.
      if ((e as { code?: unknown }).code !== "restore-refused" || this.stopped) throw e;
      joined = await sig.join(resume, NODE_DEFAULTS.joinTimeoutMs);
    }
    if (this.stopped) return;
    if (joined.id !== this.id) {
      // The server could not honour the token (another key): this node is someone new there.
      this.problem("server", `rejoined as ${joined.id}, not ${String(this.id)}: the server did not accept the resume token`);
      this.id = joined.id;
    }
    this.resumeToken = joined.resumeToken;
    this.inSession = true;
    this.safeEmit("resumed", joined);
    this.applyNeighbourhood(joined);
  }

  private reportRtts(): void {
    const samples: { to: string; rttMs: number }[] = [];
    for (const e of this.links?.all() ?? []) {
      const rtt = e.link.getStats().rttMs;
      if (rtt !== null && Number.isFinite(rtt)) samples.push({ to: e.peer, rttMs: Math.max(0, Math.min(10_000, rtt)) });
    }
    if (samples.length > 0 && this.inSession) this.signaling?.send({ type: "rtt", samples: samples.slice(0, 32) });
  }

  linkInfo(): NodeLinkInfo[] {
    const out: NodeLinkInfo[] = [];
    for (const e of this.links?.all() ?? []) {
      out.push({ peer: e.peer, role: e === this.links!.parent ? "parent" : "child", state: e.link.state, rttMs: e.link.getStats().rttMs });
    }
    return out;
  }

  /** True when every link of the node is connected. */
  allLinksConnected(): boolean {
    for (const e of this.links?.all() ?? []) if (e.link.state !== "connected") return false;
    return true;
  }

  /** The PeerLink to a neighbour (tests use it to impair or cut a link). */
  linkTo(peer: string): PeerLink | null {
    return this.links?.linkTo(peer) ?? this.direct?.linkTo(peer) ?? null;
  }

  private problem(where: string, message: string): void {
    if (where.startsWith("link")) this.problems.links++;
    else if (where === "server") this.problems.server++;
    this.safeEmit("problem", where, message);
  }

  toJSON(): ChoirNodeStats {
    const engine = this.engine?.toJSON() ?? null;
    const links = this.links;
    return {
      id: this.id,
      name: this.opts.name,
      parent: this.parentId,
      backup: this.backup,
      children: this.childIds,
      frameMs: this.frameMs,
      backend: this.engine?.backend.name ?? null,
      problems: { ...this.problems },
      clock: this.clock?.toJSON() ?? null,
      align: this.aligner?.toJSON() ?? null,
      hear: this.hearPhase?.toJSON() ?? null,
      engine,
      inputs: nodeInputs(engine, this.parentId, (slot) => links?.peerAtSlot(slot) ?? null),
      links: this.linkInfo(),
      ...(links?.toJSON() ?? { standby: null, standbyFor: [], incoming: null, departing: [], slots: {}, monitors: {} }),
      healing: this.healer?.toJSON() ?? null,
      direct: this.direct?.toJSON() ?? null,
      timeline: this.timeline.toJSON(),
    };
  }

  /**
   * Leaves the room, stops ticking and closes every link. Idempotent. A hub hands over first:
   * it goes on mixing for its children until each has switched to its new parent and closed
   * its link here (at most leaveHandoverMs), so that its leaving costs them no more than a move.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.rttTimer) clearInterval(this.rttTimer);
    if (this.redundancyTimer) clearInterval(this.redundancyTimer);
    this.healer?.stop();
    this.resume?.stop();
    const session = this.inSession;
    try {
      this.signaling?.send({ type: "leave" });
    } catch {
      // The socket may already be gone.
    }
    const handoverMs = this.healing.leaveHandoverMs;
    if (session && handoverMs > 0 && this.links && this.links.liveChildLinks > 0) {
      const until = performance.now() + handoverMs;
      while (this.links.liveChildLinks > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    }
    this.clock?.stop();
    await Promise.all([this.links?.close(), this.direct?.close()]);
    this.signaling?.close();
    this.signaling = null;
    this.engine?.destroy();
  }
}
