/**
 * The werift internals the direct media path touches (werift 0.24): the SRTP contexts its DTLS
 * handshake produced, the ICE-selected UDP transport, and the sender's and receiver's RTCP
 * bookkeeping. Declared here, in one place, so that a werift upgrade that moves them shows up
 * as a type error.
 */
import type { Socket as UdpSocket } from "node:dgram";

export interface WeriftGcmCipher {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
}
export interface WeriftSrtpContext {
  profile: number;
  cipher: WeriftGcmCipher;
}
export interface WeriftUdpTransport {
  type: string;
  socket: UdpSocket;
  closed: boolean;
  rinfo?: unknown;
  send: (data: Buffer, addr?: [string, number]) => Promise<void>;
}
export interface WeriftCandidatePair {
  protocol: { transport?: WeriftUdpTransport };
  remoteAddr: [string, number];
}
export interface WeriftIceConnection {
  nominated?: WeriftCandidatePair;
}
export interface WeriftDtlsTransport {
  state: string;
  srtp?: { localContext: WeriftSrtpContext; remoteContext: WeriftSrtpContext };
  iceTransport: { connection: WeriftIceConnection };
}
export interface WeriftStreamStats {
  add(packet: StatsPacket, nowSeconds?: number): void;
}
export interface WeriftSenderLike {
  dtlsTransport?: WeriftDtlsTransport;
  ssrc: number;
  codec?: { payloadType: number };
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  /** RTCP round-trip time, seconds: an average over reports (RTT_ALPHA), with their count and sum. */
  rtt?: number;
  roundTripTimeMeasurements: number;
  totalRoundTripTime: number;
  runRtcp(): Promise<void>;
}
export interface WeriftReceiverLike {
  remoteStreams: Record<number, WeriftStreamStats | undefined>;
  /** When each remote stream's last sender report was handled (seconds), for its receiver report's DLSR. */
  receiveLastSRTimestamp?: Record<number, number | undefined>;
}
/** werift's weight of the previous RTT in its running average (RTT_ALPHA, werift 0.24). */
export const WERIFT_RTT_ALPHA = 0.85;
export interface StatsPacket {
  header: { sequenceNumber: number; timestamp: number; serializeSize: number };
  payload: { length: number };
}
