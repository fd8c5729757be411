/**
 * The browser singer session's public shapes: its states, what a join asks for, the place the
 * server gave, its events and the parts it is built from.
 */
import type { ReconnectPolicy, TreeMessage } from "@choirmesh/protocol";
import type { WebSingerOptions } from "./defaults.js";
import type { Notice } from "./messages.js";
import type { ParentLinkStats } from "./peer.js";

export type SessionState = "idle" | "microphone" | "connecting" | "waiting" | "linking" | "singing" | "reconnecting" | "failed" | "left";

export interface JoinRequest {
  room: string;
  name: string;
  section: string;
  token?: string;
  voiceProcessing?: boolean;
}

/** Where the singer sits and how far from its parent. */
export interface Place {
  id: string | null;
  parent: string | null;
  parentName: string | null;
  /** Depth in the tree (root 0), null until the tree view has it. */
  depth: number | null;
  roomFrameMs: number | null;
  /** The frame length this browser sends (browsers cannot go below 10 ms). */
  sendFrameMs: number | null;
  rttMs: number | null;
}

export type SessionEvents = {
  state: [state: SessionState];
  notice: [notice: Notice];
  tree: [tree: TreeMessage];
  place: [place: Place];
  stats: [stats: ParentLinkStats];
  /** What the singer hears: every track of the link to the parent so far (anew after each re-link). */
  hearing: [tracks: readonly MediaStreamTrack[]];
  microphone: [stream: MediaStream];
  /** Diagnostics for the log panel: contained problems, retries. */
  log: [line: string];
};

export interface SessionDeps {
  /** Signaling server URL; default the page's origin. */
  url?: string;
  options?: Partial<WebSingerOptions>;
  retry?: ReconnectPolicy;
  openMic?: (voiceProcessing: boolean) => Promise<MediaStream>;
}
