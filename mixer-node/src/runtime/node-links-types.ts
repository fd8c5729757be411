/**
 * The shapes of a node's link layer: one link entry, what the layer needs from its node, and
 * what it reports.
 */
import type { HubEngine, LinkTarget } from "../hub-engine.js";
import type { LinkState, PeerLinkOptions } from "../transport/index.js";
import type { PeerLink } from "../transport/peer-link.js";
import type { HEALING_DEFAULTS, HealingOptions } from "./healing-defaults.js";
import type { LinkMonitor, LinkMonitorStats } from "./link-monitor.js";

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
}

export interface NodeLinksHost {
  readonly engine: HubEngine;
  readonly linkOptions: Omit<PeerLinkOptions, "role" | "label">;
  readonly healing: Required<HealingOptions> & Pick<typeof HEALING_DEFAULTS, "standbyDelayMs">;
  /** Relays a signal to a peer (dropped while the node is out of session). */
  sendSignal(to: string, kind: "offer" | "answer" | "candidate" | "other", data: Record<string, unknown>): void;
  problem(where: string, message: string, counter?: "signals" | "slots"): void;
  linkState(peer: string, state: LinkState): void;
  /** False while the node is behind (its own stall): arrival times then say nothing of the network. */
  arrivalTimingTrusted(arrivalMs: number): boolean;
  /** The media moved from the old parent to the new one (make-before-break); heardNew: the new one's media had arrived. */
  parentSwitched?(peer: string, heardNew: boolean): void;
}
