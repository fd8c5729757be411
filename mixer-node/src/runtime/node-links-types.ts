/**
 * The shapes of a node's link layer: one link entry, what the layer needs from its node, and
 * what it reports.
 */
import type { HubEngine, LinkTarget } from "../hub-engine.js";
import type { LinkState, PeerLinkOptions } from "../transport/index.js";
import type { PeerLink } from "../transport/peer-link.js";
import type { HEALING_DEFAULTS, HealingOptions } from "./healing-defaults.js";
import type { LinkMonitor, LinkMonitorStats } from "./link-monitor.js";
import type { PathDelays } from "./path-delays.js";

export interface NodeLinksStats {
  standby: { peer: string; state: LinkState } | null;
  standbyFor: string[];
  incoming: { peer: string; state: LinkState } | null;
  departing: string[];
  /** Each child's engine slot, by peer. */
  slots: Record<string, number>;
  monitors: Record<string, LinkMonitorStats>;
}

export interface LinkEntry {
  peer: string;
  link: PeerLink;
  /** null for a standby link: connected, carrying no media, not in the engine. */
  target: LinkTarget | null;
  monitor: LinkMonitor;
  /** The peer's offer asked for forwarded down streams (a node runtime on the "forward" path). */
  forward?: boolean;
  /** Or for them as extra audio tracks, this many (a browser: runtime/browser-tracks.ts). */
  tracks?: number;
}

export interface NodeLinksHost {
  readonly engine: HubEngine;
  readonly linkOptions: Omit<PeerLinkOptions, "role" | "label">;
  /** Emulated geography: each new link's delay to its peer (path-delays.ts). */
  readonly paths?: PathDelays;
  readonly healing: Required<HealingOptions> & Pick<typeof HEALING_DEFAULTS, "standbyDelayMs">;
  /** Relays a signal to a peer (dropped while the node is out of session). */
  sendSignal(to: string, kind: "offer" | "answer" | "candidate" | "other", data: Record<string, unknown>): void;
  problem(where: string, message: string, counter?: "signals" | "slots"): void;
  linkState(peer: string, state: LinkState): void;
  /** False while the node is behind (its own stall): arrival times then say nothing of the network. */
  arrivalTimingTrusted(arrivalMs: number): boolean;
  /** After each tick's drain (the direct links read theirs then). */
  afterDrain?(): void;
  /** The media moved from the old parent to the new one (make-before-break); heardNew: the new one's media had arrived. */
  parentSwitched?(peer: string, heardNew: boolean): void;
}

/** Links that still carry media (not closed, not failed). */
export function countLive(entries: Iterable<LinkEntry>): number {
  let n = 0;
  for (const e of entries) if (e.link.state !== "closed" && e.link.state !== "failed") n++;
  return n;
}

export function linksStats(
  standby: LinkEntry | null,
  standbyFor: Map<string, LinkEntry>,
  incoming: LinkEntry | null,
  departing: string[],
  children: Map<string, LinkEntry>,
  media: Iterable<LinkEntry>,
): NodeLinksStats {
  return {
    standby: standby ? { peer: standby.peer, state: standby.link.state } : null,
    standbyFor: [...standbyFor.keys()],
    incoming: incoming ? { peer: incoming.peer, state: incoming.link.state } : null,
    departing,
    slots: Object.fromEntries([...children].map(([peer, e]) => [peer, e.target as number])),
    monitors: Object.fromEntries([...media].map((e) => [e.peer, e.monitor.toJSON()])),
  };
}

/**
 * A hub that forwards what comes from above reads its parent's link (and a new parent's) as
 * packets arrive, so that they go on at once; otherwise on its tick (the cheaper way).
 */
export function syncReceiveMode(host: NodeLinksHost, parent: LinkEntry | null, incoming: LinkEntry | null): void {
  const onTick = (host.linkOptions.receiveOnTick ?? false) && host.engine.forwardingChildren === 0;
  parent?.link.setReceiveOnTick(onTick);
  incoming?.link.setReceiveOnTick(onTick);
}
