/**
 * werift's own RTP send path, for a link the direct path (direct-rtp.ts) does not carry yet or
 * cannot carry. One header and one packet object are reused for every packet.
 */
import { RtpHeader, RtpPacket, type RTCRtpSender } from "werift";

export class WeriftRtpPath {
  private readonly header: RtpHeader;
  private readonly packet: RtpPacket;

  constructor(
    private readonly sender: RTCRtpSender,
    private readonly payloadType: number,
    private readonly onRejected: (err: unknown) => void,
  ) {
    this.header = new RtpHeader({ payloadType });
    this.packet = new RtpPacket(this.header, Buffer.alloc(0));
  }

  send(seq: number, timestamp: number, marker: boolean, payload: Uint8Array): void {
    const h = this.header;
    // werift rewrites ssrc, payload type and both offsets on the header it is given, so every
    // field is set again for each packet.
    h.sequenceNumber = seq;
    h.timestamp = timestamp;
    h.marker = marker;
    h.payloadType = this.payloadType;
    // Emptied in place: a new array per packet would be the send path's only allocation.
    h.extensions.length = 0;
    // A view, not a copy: werift encrypts synchronously before its first await.
    this.packet.payload = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.sender.sendRtp(this.packet).catch(this.onRejected);
  }
}
