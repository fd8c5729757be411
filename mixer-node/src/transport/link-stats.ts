/**
 * A link's counters (kept by PeerLink on its packet paths: plain fields, no allocation) and the
 * PeerLinkStats report built from them with werift's RTCP figures.
 */
import type { PeerLinkStats } from "./types.js";

/** The RTCP-derived figures werift keeps in its sender's private fields. */
export interface SenderRtcpFields {
  /** Round-trip time, seconds. */
  rtt?: number;
  roundTripTimeMeasurements: number;
  remoteFractionLost?: number;
}

export function newLinkCounters() {
  return {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    lastSentMs: -1,
    lastReceivedMs: -1,
    startedMs: -1,
    setupMs: -1,
    iceRestarts: 0,
    errors: 0,
    listenerErrors: 0,
    sendFailures: 0,
  };
}

export type LinkCounters = ReturnType<typeof newLinkCounters>;

export function linkStats(
  c: LinkCounters,
  s: Pick<PeerLinkStats, "label" | "role" | "state" | "closedBy" | "direct" | "impairment"> & { sender: SenderRtcpFields },
): PeerLinkStats {
  return {
    label: s.label,
    role: s.role,
    state: s.state,
    closedBy: s.closedBy,
    setupMs: c.setupMs >= 0 ? c.setupMs : null,
    packetsSent: c.packetsSent,
    bytesSent: c.bytesSent,
    packetsReceived: c.packetsReceived,
    bytesReceived: c.bytesReceived,
    lastSentMs: c.lastSentMs >= 0 ? c.lastSentMs : null,
    lastReceivedMs: c.lastReceivedMs >= 0 ? c.lastReceivedMs : null,
    // werift times RTT with Date.now() (1 ms steps), so on loopback it can come out slightly
    // negative: clamp.
    rttMs: typeof s.sender.rtt === "number" ? Math.max(0, s.sender.rtt * 1000) : null,
    remoteFractionLost: s.sender.roundTripTimeMeasurements > 0 ? (s.sender.remoteFractionLost ?? null) : null,
    iceRestarts: c.iceRestarts,
    errors: c.errors,
    listenerErrors: c.listenerErrors,
    sendFailures: c.sendFailures,
    direct: s.direct,
    impairment: s.impairment,
  };
}
