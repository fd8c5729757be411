/**
 * Failure detection for one link, as a pure core: the runtime notes packets and ICE states, and
 * asks for a verdict on a timer. No timers or I/O here.
 *
 * Media silence is the main signal: every node sends a frame on every link on every tick (even
 * silence is encoded), so a link without packets has a dead peer or a cut path. werift itself
 * notices a dead peer only when ICE consent expires (~30 s).
 *
 *   ok       packets arrive
 *   waiting  attached, no packet yet, still within the setup allowance
 *   stalled  silent for silenceMs (or ICE disconnected/failed): repair in place (ICE restart)
 *   lost     silent for reparentAfterMs: the server should move us (link-lost with move)
 */
import type { LinkState } from "../transport/index.js";

export type LinkVerdict = "ok" | "waiting" | "stalled" | "lost";

export interface LinkMonitorOptions {
  silenceMs: number;
  reparentAfterMs: number;
  /** How long a new link may take to deliver its first packet before it counts as silent, ms. */
  setupAllowanceMs: number;
}

export interface LinkMonitorStats {
  verdict: LinkVerdict;
  silentMs: number;
  stalls: number;
  iceBad: boolean;
}

export class LinkMonitor {
  /** performance.now() of the last packet; -1 before the first. Written per packet: a plain field. */
  lastRxMs = -1;
  private attachedAtMs: number;
  private iceBad = false;
  private iceBadSinceMs = -1;
  private stalls = 0;
  private lastVerdict: LinkVerdict = "waiting";

  constructor(
    private readonly opts: LinkMonitorOptions,
    nowMs: number,
  ) {
    this.attachedAtMs = nowMs;
  }

  /** The link was (re)attached to the engine: media is expected from now on. */
  reset(nowMs: number): void {
    this.attachedAtMs = nowMs;
    this.lastRxMs = -1;
    this.lastVerdict = "waiting";
  }

  noteState(state: LinkState, nowMs: number): void {
    const bad = state === "disconnected" || state === "failed";
    if (bad && !this.iceBad) this.iceBadSinceMs = nowMs;
    this.iceBad = bad;
  }

  /** Milliseconds without media (from attachment, less the setup allowance, before the first packet). */
  silentMs(nowMs: number): number {
    if (this.lastRxMs >= 0) return nowMs - this.lastRxMs;
    return Math.max(0, nowMs - this.attachedAtMs - this.opts.setupAllowanceMs);
  }

  assess(nowMs: number): LinkVerdict {
    const silent = this.silentMs(nowMs);
    let v: LinkVerdict;
    if (silent >= this.opts.reparentAfterMs || (this.iceBad && nowMs - this.iceBadSinceMs >= this.opts.reparentAfterMs)) v = "lost";
    else if (silent >= this.opts.silenceMs || this.iceBad) v = "stalled";
    else if (this.lastRxMs < 0) v = "waiting";
    else v = "ok";
    if ((v === "stalled" || v === "lost") && this.lastVerdict !== "stalled" && this.lastVerdict !== "lost") this.stalls++;
    this.lastVerdict = v;
    return v;
  }

  toJSON(nowMs = performance.now()): LinkMonitorStats {
    return { verdict: this.lastVerdict, silentMs: Math.round(this.silentMs(nowMs)), stalls: this.stalls, iceBad: this.iceBad };
  }
}
