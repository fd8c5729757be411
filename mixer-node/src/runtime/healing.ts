/**
 * Self-healing of a node, as two adapters around pure pieces (docs/lifecycle.md tells the story):
 *
 * LinkHealer checks every link's LinkMonitor every checkEveryMs, on its own timer or, in a
 * ChoirNode, on every few frame ticks right after the links were drained (no wake-up of its own):
 *   - parent link stalled -> ICE restarts on the ice-restart policy (link repair, same place),
 *     and a `link-lost` report without `move`: when the parent's socket is gone too, the server
 *     removes it at once and every child goes to its backup;
 *   - parent link lost (silent for reparentAfterMs) -> `link-lost` with `move`: the server moves
 *     this node, with its subtree, to its backup parent (re-parenting, a new place);
 *   - child link stalled -> `link-lost` without `move` (a dead child is removed; a live one
 *     reports its own side).
 * SignalingResume reconnects the signaling socket on the signaling policy and rejoins with the
 * resume token and the node's current place; audio keeps flowing peer to peer meanwhile.
 */
import type { ClientMessage } from "@choirmesh/protocol";
import type { PeerLink } from "../transport/peer-link.js";
import { HEALING_DEFAULTS } from "./healing-defaults.js";
import type { LinkMonitor } from "./link-monitor.js";
import { DefaultReconnectPolicy, type ReconnectPolicy, type RetryContext } from "@choirmesh/protocol";
import { Retry } from "./reconnect-policy.js";
import type { SignalingClient } from "./signaling-client.js";

export interface HealedLink {
  peer: string;
  link: PeerLink;
  monitor: LinkMonitor;
}

export interface HealingHost {
  parentLink(): HealedLink | null;
  childLinks(): Iterable<HealedLink>;
  /** Sends to the server when connected; reports are dropped while it is away. */
  send(msg: ClientMessage): void;
  /** A lifecycle event for the node's observers (stall, repair, report). */
  note(event: HealingEvent): void;
}

export type HealingEvent =
  | { kind: "stalled"; peer: string; role: "parent" | "child"; silentMs: number }
  | { kind: "recovered"; peer: string; role: "parent" | "child"; silentMs: number }
  | { kind: "ice-restart"; peer: string; attempt: number }
  | { kind: "link-lost"; peer: string; move: boolean }
  | { kind: "repair-gave-up"; peer: string; ctx: RetryContext };

interface Episode {
  stalledAt: number;
  reportedStall: boolean;
  reportedLost: boolean;
  retry: Retry | null;
}

export class LinkHealer {
  private readonly episodes = new Map<PeerLink, Episode>();
  private timer: NodeJS.Timeout | null = null;
  private readonly counters = { stalls: 0, recoveries: 0, iceRestarts: 0, reports: 0, moves: 0, selfStalls: 0 };

  constructor(
    private readonly host: HealingHost,
    private readonly opts: { checkEveryMs: number; selfStallHoldMs: number; icePolicy: ReconnectPolicy } = {
      checkEveryMs: HEALING_DEFAULTS.checkEveryMs,
      selfStallHoldMs: HEALING_DEFAULTS.selfStallHoldMs,
      icePolicy: new DefaultReconnectPolicy(HEALING_DEFAULTS.iceRetry),
    },
  ) {}

  /**
   * Starts judging the links. `ownTimer` false: the owner calls `tick` every checkEveryMs itself
   * (a ChoirNode does, from its frame clock, once its links have read what waited).
   */
  start(ownTimer = true): void {
    if (this.timer || this.started) return;
    this.started = true;
    this.lastCheck = performance.now();
    if (!ownTimer) return;
    // setImmediate: after a stall of this process, the packets queued meanwhile are read (poll
    // phase) before the links are judged, or every link would look silent.
    this.timer = setInterval(() => setImmediate(this.onTimer), this.opts.checkEveryMs);
    this.timer.unref();
  }

  private started = false;
  private lastCheck = 0;
  private lastSelfStall = -Infinity;
  private readonly onTimer = (): void => {
    if (this.timer) this.tick(performance.now());
  };

  /** One timer round: judge the links, unless this process itself was stalled (tests call it too). */
  tick(now: number): void {
    const late = now - this.lastCheck > this.opts.checkEveryMs * 3;
    this.lastCheck = now;
    // This process itself did not run for a while: the silence may be ours. Judge next time.
    if (late) {
      this.counters.selfStalls++;
      this.lastSelfStall = now;
      return;
    }
    this.check(now);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.started = false;
    for (const e of this.episodes.values()) e.retry?.stop();
    this.episodes.clear();
  }

  /** One pass over the links (the timer calls it; tests may too). */
  check(now: number): void {
    const seen = new Set<PeerLink>();
    const parent = this.host.parentLink();
    if (parent) {
      seen.add(parent.link);
      this.checkLink(parent, "parent", now);
    }
    for (const c of this.host.childLinks()) {
      seen.add(c.link);
      this.checkLink(c, "child", now);
    }
    for (const [link, e] of this.episodes) {
      if (seen.has(link)) continue;
      e.retry?.stop();
      this.episodes.delete(link);
    }
  }

  private checkLink(l: HealedLink, role: "parent" | "child", now: number): void {
    const verdict = l.monitor.assess(now);
    let e = this.episodes.get(l.link);
    if (verdict === "ok" || verdict === "waiting") {
      if (e) {
        e.retry?.stop();
        this.episodes.delete(l.link);
        this.counters.recoveries++;
        this.host.note({ kind: "recovered", peer: l.peer, role, silentMs: now - e.stalledAt });
      }
      return;
    }
    if (!e) {
      e = { stalledAt: now, reportedStall: false, reportedLost: false, retry: null };
      this.episodes.set(l.link, e);
      this.counters.stalls++;
      this.host.note({ kind: "stalled", peer: l.peer, role, silentMs: l.monitor.silentMs(now) });
    }
    if (!e.reportedStall) {
      e.reportedStall = true;
      this.report(l.peer, false);
    }
    if (role !== "parent") return;
    // Link repair: the child is the offerer, so it restarts ICE; the parent waits for it.
    if (e.retry === null) {
      const link = l.link;
      const peer = l.peer;
      e.retry = new Retry("ice-restart", this.opts.icePolicy, {
        attempt: (n) => {
          this.counters.iceRestarts++;
          this.host.note({ kind: "ice-restart", peer, attempt: n });
          link.restartIce();
          // Success shows as media coming back, which ends the episode (and this loop).
          return false;
        },
        onGiveUp: (ctx) => this.host.note({ kind: "repair-gave-up", peer, ctx }),
      });
      e.retry.start();
    }
    // A process starved of CPU hears silence from every side; moving it would not help.
    if (verdict === "lost" && !e.reportedLost && now - this.lastSelfStall >= this.opts.selfStallHoldMs) {
      e.reportedLost = true;
      this.counters.moves++;
      this.report(l.peer, true);
    }
  }

  private report(peer: string, move: boolean): void {
    this.counters.reports++;
    this.host.note({ kind: "link-lost", peer, move });
    this.host.send({ type: "link-lost", peer, ...(move ? { move: true } : {}) });
  }

  toJSON(): HealerStats {
    return { ...this.counters, stalled: this.episodes.size };
  }
}

/**
 * Keeps the node's signaling session: after the socket drops, reconnect on the policy's schedule
 * and rejoin (resume token + current place). Fatal refusals end the loop.
 */
export interface HealerStats {
  stalls: number;
  recoveries: number;
  iceRestarts: number;
  reports: number;
  moves: number;
  selfStalls: number;
  /** Links stalled now. */
  stalled: number;
}

export class SignalingResume {
  private readonly retry: Retry;
  private stopped = false;
  private readonly offs: (() => void)[] = [];
  resumes = 0;

  constructor(
    private readonly client: SignalingClient,
    private readonly rejoin: () => Promise<void>,
    policy: ReconnectPolicy = new DefaultReconnectPolicy(HEALING_DEFAULTS.signalingRetry),
    onGiveUp: (ctx: RetryContext) => void = () => {},
  ) {
    this.retry = new Retry("signaling", policy, {
      attempt: async () => {
        await this.client.connect();
        await this.rejoin();
        this.resumes++;
        return true;
      },
      onGiveUp,
    });
    this.offs.push(
      client.on("disconnect", (reason) => {
        // Our own close ends the session; anything else (server gone, transport lost) is healed.
        if (this.stopped || reason === "io client disconnect") return;
        this.retry.start();
      }),
    );
  }

  get reconnecting(): boolean {
    return this.retry.active;
  }

  stop(): void {
    this.stopped = true;
    this.retry.stop();
    for (const off of this.offs) off();
  }
}
