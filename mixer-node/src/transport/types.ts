/** The public shapes of a link: its states, events and stats. */
import type { LinkRole } from "./defaults.js";
import type { TransportError } from "./errors.js";
import type { DirectRtpStats } from "./direct-rtp.js";
import type { ImpairmentStats } from "./impairment.js";
import type { Signal } from "@choirmesh/protocol";

export type LinkState = "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

export type PeerLinkEvents = {
  /** A signal to relay to the peer (plain JSON). */
  signal: [signal: Signal];
  state: [state: LinkState, previous: LinkState];
  error: [error: TransportError];
  /** One received Opus packet; `payload` belongs to the listener (a new buffer per packet). */
  opus: [seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number];
};

export interface PeerLinkStats {
  label: string;
  role: LinkRole;
  state: LinkState;
  /** Who closed the link: this end, or the peer through a `bye` signal. */
  closedBy: "local" | "remote" | null;
  /** Time from `start()` (or the first signal) to the first "connected", ms. */
  setupMs: number | null;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** performance.now() of the last packet handed to werift / received from it. */
  lastSentMs: number | null;
  lastReceivedMs: number | null;
  /** Smoothed RTT from RTCP sender/receiver reports, ms; null until the first report pair. */
  rttMs: number | null;
  /** Loss the peer reports for our stream (RTCP receiver reports, 0..1). */
  remoteFractionLost: number | null;
  /** ICE restarts this end started (offerer) or asked for (answerer). */
  iceRestarts: number;
  errors: number;
  listenerErrors: number;
  sendFailures: number;
  /** The direct media path (see direct-rtp.ts); null while werift's own path carries the media. */
  direct: DirectRtpStats | null;
  impairment: { send: ImpairmentStats | null; receive: ImpairmentStats | null };
}
