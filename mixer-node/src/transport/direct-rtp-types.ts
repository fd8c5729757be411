/** What the direct media path hands on and reports. */

/** What a received packet is handed to: the link's own `opus` emit. */
export type DirectReceive = (seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number) => void;

export interface DirectRtpStats {
  /** Packets sent and received on the direct path (the rest went through werift). */
  sent: number;
  received: number;
  /** Received packets dropped: failed authentication, malformed, or of an unknown payload type. */
  rejected: number;
  /** Packets the socket would not take (a full send buffer): dropped, as the network would. */
  sendDropped: number;
  /** True when packets are sealed, opened and sent natively (native-rtp.ts). */
  native: boolean;
}
