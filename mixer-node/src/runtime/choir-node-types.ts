/**
 * The node runtime's public shapes: its options, its events and what it reports about itself
 * (ChoirNode.toJSON), with the media settings a room hands it turned into encoder options.
 */
import type { JoinedMessage, MediaSettings, ReconnectPolicy } from "@choirmesh/protocol";
import type { TickAlignerStats } from "./tick-aligner.js";
import type { HearPhaseStats } from "./hear-phase.js";
import type { CodecBackend, EncoderOptions } from "../codec/types.js";
import type { HubEngineStats, NodeInputStats } from "../stats.js";
import type { TickClockStats } from "../tick-clock.js";
import type { Incident } from "../timeline.js";
import type { LinkState, PeerLinkOptions } from "../transport/index.js";
import type { HealingOptions } from "./healing-defaults.js";
import type { HealerStats, HealingEvent } from "./healing.js";
import type { LinkMonitorStats } from "./link-monitor.js";
import type { NodeLinksStats } from "./node-links.js";
import type { DirectLinksStats } from "./direct-links.js";

export interface VoiceSource {
  render(abs: number, out: Float32Array, length?: number): void;
}

export interface ChoirNodeOptions {
  /**
   * Signaling server URL, e.g. http://127.0.0.1:8080; or the servers of a cluster, comma-separated
   * (a node whose server dies reconnects to the next and resumes in its place).
   */
  url: string;
  room: string;
  name: string;
  section?: string;
  canHub?: boolean;
  uploadKbps?: number;
  /** False for a dedicated hub. */
  hasVoice?: boolean;
  dedicated?: boolean;
  location?: { lat: number; lon: number };
  accessMs?: number;
  token?: string;
  /** The singer's voice; silence when absent. */
  voice?: VoiceSource | null;
  /**
   * On the forwarded path, hear the parent's streams in a phase of their own after each tick
   * (hear-phase.ts); default true (CHOIRMESH_HEAR_PHASE=0: on the tick, for comparisons).
   */
  hearPhase?: boolean;
  /** Keep what the node hears (and the full mix) in memory for this many seconds; 0 = off. */
  recordSeconds?: number;
  /** Child slots in the engine (default 64). */
  maxChildren?: number;
  /** Codec backend (default: the best available). */
  backend?: CodecBackend;
  /** Options for every PeerLink (e.g. loopbackOnly for local runs). */
  link?: Omit<PeerLinkOptions, "role" | "label">;
  /** Report link RTTs to the server this often, ms (default 2000; 0 = never). */
  rttReportMs?: number;
  /** Failure detection and standby (healing-defaults.ts). */
  healing?: HealingOptions;
  /** When to retry ICE restarts of a stalled parent link (default: HEALING_DEFAULTS.iceRetry). */
  iceRetryPolicy?: ReconnectPolicy;
  /** When to reconnect to the signaling server (default: HEALING_DEFAULTS.signalingRetry). */
  signalingRetryPolicy?: ReconnectPolicy;
}

export interface NodeLinkInfo {
  peer: string;
  role: "parent" | "child";
  state: LinkState;
  rttMs: number | null;
}

/** Everything a node reports about itself (node-host sends it to its harness; metrics read it). */
export interface ChoirNodeStats {
  id: string | null;
  name: string;
  parent: string | null;
  backup: string | null;
  children: string[];
  frameMs: number;
  backend: string | null;
  problems: { links: number; signals: number; server: number; slots: number };
  clock: TickClockStats | null;
  /** The tick alignment to the parent (forwarded down path only). */
  align: TickAlignerStats | null;
  /** The hear phase (hear-phase.ts): where it sits after each tick, its moves. */
  hear: HearPhaseStats | null;
  engine: HubEngineStats | null;
  /** The engine's inputs, each named after the peer on it now. */
  inputs: NodeInputStats[];
  links: NodeLinkInfo[];
  standby: NodeLinksStats["standby"];
  standbyFor: string[];
  incoming: NodeLinksStats["incoming"];
  departing: string[];
  slots: Record<string, number>;
  monitors: Record<string, LinkMonitorStats>;
  healing: HealerStats | null;
  /** Direct neighbours (direct-links.ts); null before the engine starts. */
  direct: DirectLinksStats | null;
  timeline: { total: number; entries: Incident[] };
}

export type ChoirNodeEvents = {
  joined: [msg: JoinedMessage];
  /** The node's neighbourhood changed (after the links were reconciled). */
  neighbours: [parent: string | null, children: string[]];
  "link-state": [peer: string, state: LinkState];
  /** A contained failure: a link, a signal, a server message. Never fatal. */
  problem: [where: string, message: string];
  /** Failure detection and repair (stalls, ICE restarts, link-lost reports). */
  healing: [event: HealingEvent];
  /** The signaling session came back (resumed at the same place). */
  resumed: [msg: JoinedMessage];
};

export function encoderOptionsFromMedia(media: MediaSettings): Omit<EncoderOptions, "frameMs"> {
  return {
    application: media.application === "restricted_lowdelay" ? "restricted-lowdelay" : media.application,
    bitrate: media.bitrate,
    complexity: media.complexity,
    fec: media.fec,
    expectedLossPct: media.expectedLossPct,
  };
}

