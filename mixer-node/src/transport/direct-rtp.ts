/**
 * The media path of a connected link, driven straight on werift's own pieces: its ICE-selected
 * UDP socket and the SRTP keys its DTLS handshake produced. werift keeps ICE (consent checks,
 * restarts), DTLS and RTCP (sender and receiver reports, hence RTT); only RTP packets skip its
 * layers. Per packet werift pays for a STUN parse of every datagram, header extension maps,
 * several emitters and promises, a packet clone and a header serialisation; here a packet
 * costs one call into the native RTP binding (native-rtp.ts: AES-GCM on a context kept per link
 * and one sendto), or without it one AES-GCM cipher object (Node's crypto cannot re-key a GCM
 * context) and one dgram send.
 *
 * The socket stays unconnected. A connected UDP socket would save `dgram.send` its address
 * lookup (~3 µs a packet), but it hides datagrams from any other address, so an ICE restart's
 * checks from new candidates never arrive; and disconnecting it again (connect(AF_UNSPEC))
 * makes Linux release a port that was bound as ephemeral, which werift's sockets are: the
 * link would lose its local candidate.
 *
 * Only the AEAD_AES_128_GCM profile (RFC 7714) runs here; a link that negotiated another
 * profile keeps werift's path (`DirectRtp.attach` returns null). Packets stay wire-compatible
 * with werift and browsers: the SSRC and payload type are those werift signalled, the rollover
 * counter starts at 0 and follows the sequence number (RFC 3711 3.3.1).
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import type { Socket as UdpSocket } from "node:dgram";
import { RECV_BATCH, RECV_SLOT_BYTES, openNativePath, recvBatch, type NativePath, type RecvBatch } from "./native-rtp.js";
import { WERIFT_RTT_ALPHA, type StatsPacket, type WeriftCandidatePair, type WeriftDtlsTransport, type WeriftGcmCipher } from "./werift-internals.js";
import type { WeriftReceiverLike, WeriftSenderLike, WeriftStreamStats, WeriftUdpTransport } from "./werift-internals.js";
import { guessRoc, payloadOffset, writeIv, writeIvFromPacket } from "./srtp-gcm.js";
import type { DirectReceive, DirectRtpStats } from "./direct-rtp-types.js";

const GCM_PROFILE = 7; // werift's ProtectionProfileAeadAes128Gcm
const TAG_BYTES = 16;
const HEADER_BYTES = 12;
/** Header slots in flight: a send that libuv must queue keeps its buffers until it completes. */
const HEADER_RING = 32;
/** The sender report's NTP/RTP pair is refreshed this often (packets). */
const SR_REFRESH_PACKETS = 16;
/** 1900-01-01 to 1970-01-01, seconds (NTP epoch). */
const NTP_EPOCH_OFFSET_S = 2_208_988_800;
/** recvBatch calls one drain makes at most (RECV_BATCH datagrams each): a flood cannot hold the tick. */
const MAX_DRAIN_ROUNDS = 4;

type MessageListener = (msg: Buffer, rinfo: unknown) => void;



export class DirectRtp {
  private readonly key: Buffer;
  private readonly remoteKey: Buffer;
  /** Salt XOR (0, 0, SSRC, 0...) for our stream: the per-packet IV XORs ROC and SEQ into it. */
  private readonly ivBase: Buffer;
  private readonly remoteSalt: Buffer;
  private readonly iv = Buffer.alloc(12);
  private readonly rxIv = Buffer.alloc(12);
  private readonly headers: Buffer[] = [];
  private headerSlot = 0;
  private readonly sendList: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)];
  private readonly socket: UdpSocket;
  private readonly remoteHost: string;
  private readonly remotePort: number;
  private detached = false;
  private roc = 0;
  private lastSeq = -1;
  // Receive state: one remote stream (werift signals one SSRC per direction).
  private rxSsrc = -1;
  private rxRoc = 0;
  private rxLastSeq = 0;
  private rxStats: WeriftStreamStats | undefined;
  private readonly statsPacket: StatsPacket = { header: { sequenceNumber: 0, timestamp: 0, serializeSize: HEADER_BYTES }, payload: { length: 0 } };
  private readonly counters: DirectRtpStats = { sent: 0, received: 0, rejected: 0, sendDropped: 0, native: false };
  private readonly native: NativePath | null;
  /** The socket is read by drain() on the owner's tick, not by libuv (receiveOnTick). */
  private onTick = false;
  private batch: RecvBatch | null = null;
  private readonly originalListeners: MessageListener[];

  /**
   * Takes over the media path of a connected link. Returns null when it cannot yet (DTLS or
   * ICE not ready) and "unsupported" when it never will (another SRTP profile, a relayed or
   * TCP path): werift's path then carries the media. `previous`, the path of the pair ICE
   * has left, passes on its rollover counters: the stream goes on across a restart.
   */
  static attach(
    sender: WeriftSenderLike,
    receiver: WeriftReceiverLike,
    onPacket: DirectReceive,
    previous: DirectRtp | null = null,
  ): DirectRtp | "unsupported" | null {
    const dtls = sender.dtlsTransport;
    if (!dtls || dtls.state !== "connected" || !dtls.srtp || !sender.codec) return null;
    const { localContext, remoteContext } = dtls.srtp;
    if (localContext.profile !== GCM_PROFILE || remoteContext.profile !== GCM_PROFILE) return "unsupported";
    const pair = dtls.iceTransport.connection.nominated;
    const transport = pair?.protocol.transport;
    if (!pair || !transport || transport.closed) return null;
    if (transport.type !== "udp") return "unsupported";
    const path = new DirectRtp(sender, receiver, pair, transport, localContext.cipher, remoteContext.cipher, onPacket);
    if (previous !== null) {
      path.roc = previous.roc;
      path.lastSeq = previous.lastSeq;
      path.rxSsrc = previous.rxSsrc;
      path.rxStats = previous.rxStats;
      path.rxRoc = previous.rxRoc;
      path.rxLastSeq = previous.rxLastSeq;
      path.counters.sent = previous.counters.sent;
      path.counters.received = previous.counters.received;
      path.counters.rejected = previous.counters.rejected;
      path.counters.sendDropped = previous.counters.sendDropped;
    }
    return path;
  }

  private constructor(
    private readonly sender: WeriftSenderLike,
    private readonly receiver: WeriftReceiverLike,
    readonly pair: WeriftCandidatePair,
    private readonly transport: WeriftUdpTransport,
    local: WeriftGcmCipher,
    remote: WeriftGcmCipher,
    private readonly onPacket: DirectReceive,
  ) {
    this.key = local.srtpSessionKey;
    this.remoteKey = remote.srtpSessionKey;
    this.remoteSalt = remote.srtpSessionSalt;
    this.ivBase = Buffer.from(local.srtpSessionSalt.subarray(0, 12));
    this.ivBase.writeUInt32BE((this.ivBase.readUInt32BE(2) ^ sender.ssrc) >>> 0, 2);
    const pt = sender.codec!.payloadType & 0x7f;
    for (let i = 0; i < HEADER_RING; i++) {
      const h = Buffer.alloc(HEADER_BYTES);
      h[0] = 0x80;
      h[1] = pt;
      h.writeUInt32BE(sender.ssrc >>> 0, 8);
      this.headers.push(h);
    }
    this.socket = transport.socket;
    [this.remoteHost, this.remotePort] = pair.remoteAddr;
    this.native = openNativePath(this.socket, this.key, this.remoteKey, this.remoteHost, this.remotePort);
    this.counters.native = this.native !== null;

    // Datagrams: RTP is ours; STUN, DTLS and RTCP go to werift as before.
    this.originalListeners = this.socket.listeners("message") as MessageListener[];
    this.socket.removeAllListeners("message");
    this.socket.on("message", this.onMessage);
    void sender.runRtcp();
  }

  matches(dtls: WeriftDtlsTransport | undefined): boolean {
    return !this.detached && dtls?.state === "connected" && dtls.iceTransport.connection.nominated === this.pair && !this.transport.closed;
  }

  /**
   * Sends one RTP packet. Hot path: no await, no log, no allocation on the native path.
   * Never throws (a socket error on a closing link is dropped).
   */
  send(seq: number, timestamp: number, marker: boolean, payload: Uint8Array): void {
    if (seq < this.lastSeq && this.lastSeq - seq > 0x8000) this.roc = (this.roc + 1) >>> 0;
    this.lastSeq = seq;
    const h = this.headers[this.headerSlot];
    this.headerSlot = (this.headerSlot + 1) % HEADER_RING;
    h[1] = (h[1] & 0x7f) | (marker ? 0x80 : 0);
    h[2] = seq >>> 8;
    h[3] = seq & 0xff;
    h.writeUInt32BE(timestamp >>> 0, 4);
    writeIv(this.iv, this.ivBase, this.roc, seq);
    if (!(this.native !== null ? this.sealSendNative(this.native, h, payload) : this.sealSendJs(h, payload))) return;
    const s = this.sender;
    s.packetCount = (s.packetCount + 1) >>> 0;
    s.octetCount += payload.byteLength;
    if (this.counters.sent++ % SR_REFRESH_PACKETS === 0) {
      // The pair a sender report carries: wall clock as NTP, and this packet's RTP time.
      const now = (performance.timeOrigin + performance.now()) / 1000 + NTP_EPOCH_OFFSET_S;
      const sec = Math.floor(now);
      s.ntpTimestamp = (BigInt(sec) << 32n) | BigInt(Math.floor((now - sec) * 0x100000000));
      s.rtpTimestamp = timestamp >>> 0;
    }
  }

  /** One native call seals and sends; false when the packet did not go out. */
  private sealSendNative(n: NativePath, header: Buffer, payload: Uint8Array): boolean {
    if (n.udp.handle === null) return false; // the socket closed: the link is going down
    if (n.binding.sealSend(n.sealer, n.fd, n.dest, header, this.iv, payload) >= 0) return true;
    this.counters.sendDropped++;
    return false;
  }

  /** Node's crypto and dgram: one cipher object and one send. */
  private sealSendJs(header: Buffer, payload: Uint8Array): boolean {
    try {
      const cipher = createCipheriv("aes-128-gcm", this.key, this.iv);
      cipher.setAAD(header);
      const list = this.sendList;
      list[0] = header;
      list[1] = cipher.update(payload);
      cipher.final();
      list[2] = cipher.getAuthTag();
      this.socket.send(list, this.remotePort, this.remoteHost);
      return true;
    } catch {
      return false; // the socket closed under us: the link is going down
    }
  }

  stats(): DirectRtpStats {
    return { ...this.counters };
  }

  /**
   * From now on the socket is read only by drain(), which the owner calls every frame: a packet
   * no longer wakes the process, and what waits is read in one system call with the kernel's
   * arrival time of each datagram (so the jitter buffers see when it came, not when it was
   * read). Datagrams that are not this link's RTP (STUN, DTLS, RTCP) go to werift at the next
   * drain, at most a frame later; RTCP's round-trip figures are corrected by that wait. False
   * when it cannot (no native binding).
   */
  receiveOnTick(): boolean {
    const n = this.native;
    if (this.onTick || n === null || this.detached) return this.onTick;
    const h = n.udp.handle;
    if (h === null || typeof h.recvStop !== "function" || n.binding.timestamps(n.fd) !== 0) return false;
    h.recvStop();
    this.batch = recvBatch();
    this.onTick = true;
    return true;
  }

  /** Back to reading the socket as packets arrive (what waits is handled first). Idempotent. */
  receiveOnArrival(): void {
    if (!this.onTick || this.detached) return;
    this.drain();
    this.onTick = false;
    const h = this.native?.udp.handle;
    if (h && typeof h.recvStart === "function") h.recvStart();
  }

  /** Reads and handles whatever waits on the socket (receiveOnTick). Never throws. */
  drain(): void {
    const n = this.native;
    const b = this.batch;
    if (!this.onTick || n === null || b === null || this.detached) return;
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round++) {
      if (n.udp.handle === null) return; // closed
      const count = n.binding.recvBatch(n.fd, b.buf, b.meta, b.ageMs, b.addrs);
      if (count <= 0) return;
      const now = performance.now();
      for (let i = 0; i < count; i++) {
        const len = b.length(i);
        if (len < 0) continue; // larger than any datagram of this link: dropped
        const start = i * RECV_SLOT_BYTES;
        if (!this.receive(b.buf, start, len, now - b.ageMs[i])) this.handOver(b, i, start, len);
      }
      if (count < RECV_BATCH) return;
    }
  }

  /**
   * A drained datagram that is not this link's RTP goes to werift as its socket would have
   * given it. werift times RTCP when it handles it, a frame at most after it came: the
   * round-trip sample it takes from a receiver report, and the arrival of a sender report that
   * its next receiver report counts from (DLSR), are moved back by the datagram's wait.
   */
  private handOver(b: RecvBatch, i: number, start: number, len: number): void {
    const msg = Buffer.from(b.buf.subarray(start, start + len));
    const rinfo = { address: b.address(i), family: b.family(i), port: b.port(i), size: len };
    const waitS = b.ageMs[i] / 1000;
    const rtcp = len >= 8 && msg[0] >= 128 && msg[0] <= 191 && msg[1] >= 192 && msg[1] <= 223;
    const s = this.sender;
    const measured = s.roundTripTimeMeasurements;
    const rttBefore = s.rtt;
    const srAt = this.receiver.receiveLastSRTimestamp;
    const srSsrc = rtcp && msg[1] === 200 ? msg.readUInt32BE(4) : -1;
    const srBefore = srSsrc >= 0 ? srAt?.[srSsrc] : undefined;
    for (let k = 0; k < this.originalListeners.length; k++) {
      try {
        this.originalListeners[k].call(this.socket, msg, rinfo);
      } catch {
        // werift's own handling: contained as a socket listener's would be
      }
    }
    if (!rtcp || !(waitS > 0)) return;
    if (s.roundTripTimeMeasurements === measured + 1 && typeof s.rtt === "number") {
      s.totalRoundTripTime -= waitS;
      s.rtt -= rttBefore === undefined ? waitS : (1 - WERIFT_RTT_ALPHA) * waitS;
    }
    if (srAt && srSsrc >= 0 && srAt[srSsrc] !== undefined && srAt[srSsrc] !== srBefore) srAt[srSsrc] = srAt[srSsrc]! - waitS;
  }

  /** Gives the socket back to werift as it was. Idempotent. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    if (this.onTick) {
      this.onTick = false;
      const h = this.native?.udp.handle;
      if (h && typeof h.recvStart === "function") h.recvStart();
    }
    this.socket.off("message", this.onMessage);
    for (const l of this.originalListeners) this.socket.on("message", l);
  }

  // ---- internals ---------------------------------------------------------------------------

  private readonly onMessage = (msg: Buffer, rinfo: unknown): void => {
    if (!this.receive(msg, 0, msg.length, performance.now())) {
      for (let i = 0; i < this.originalListeners.length; i++) this.originalListeners[i].call(this.socket, msg, rinfo);
    }
  };

  /**
   * Takes one datagram if it is SRTP for this link; returns false to hand it to werift (STUN,
   * DTLS, RTCP, and the first packet of a stream, which sets up werift's receive statistics).
   * Never throws: anything malformed or unauthentic is counted and dropped.
   */
  private receive(data: Buffer, start: number, len: number, arrivalMs: number): boolean {
    if (len < HEADER_BYTES + TAG_BYTES) return false;
    const b0 = data[start];
    if (b0 < 128 || b0 > 191) return false; // not RTP/RTCP (RFC 7983 demultiplexing)
    const pt = data[start + 1] & 0x7f;
    if (pt >= 64 && pt <= 95) return false; // RTCP
    const ssrc = data.readUInt32BE(start + 8);
    const seq = (data[start + 2] << 8) | data[start + 3];
    if (ssrc !== this.rxSsrc || this.rxStats === undefined) {
      // A new stream: werift takes its first packet (it creates the track's statistics that
      // its receiver reports are built from); the direct path follows it from the next one.
      const stats = this.receiver.remoteStreams[ssrc];
      if (stats === undefined) return false;
      this.rxSsrc = ssrc;
      this.rxStats = stats;
      this.rxRoc = 0;
      this.rxLastSeq = seq;
    }
    if (pt !== (this.sender.codec!.payloadType & 0x7f)) {
      this.counters.rejected++;
      return true;
    }
    const offset = payloadOffset(data, start, len, HEADER_BYTES);
    const tagAt = len - TAG_BYTES;
    if (offset < 0 || offset > tagAt) return this.reject();
    // Rollover counter guess (RFC 3711 3.3.1), committed only once the packet authenticates.
    const last = this.rxLastSeq;
    const roc = guessRoc(this.rxRoc, last, seq);
    writeIvFromPacket(this.rxIv, this.remoteSalt, data, start, roc);
    let plain =
      this.native !== null ? this.openNative(this.native, data, start, len, offset) : this.openJs(data.subarray(start, start + len), offset, tagAt);
    if (plain === null) return this.reject();
    if (b0 & 0x20) {
      const pad = plain.length > 0 ? plain[plain.length - 1] : 0;
      if (pad === 0 || pad > plain.length) return this.reject();
      plain = plain.subarray(0, plain.length - pad);
    }
    // Forward progress only moves the rollover state (a late packet from before a wrap must not).
    if (roc !== this.rxRoc || ((seq - last) & 0xffff) < 0x8000) {
      this.rxRoc = roc;
      this.rxLastSeq = seq;
    }
    const timestamp = data.readUInt32BE(start + 4);
    this.counters.received++;
    const sp = this.statsPacket;
    sp.header.sequenceNumber = seq;
    sp.header.timestamp = timestamp;
    sp.header.serializeSize = offset;
    sp.payload.length = plain.length;
    try {
      this.rxStats.add(sp);
    } catch {
      // statistics only
    }
    this.onPacket(seq, timestamp, plain, arrivalMs);
    return true;
  }

  /**
   * Authenticates and decrypts into a Buffer of its own: the payload belongs to the listener
   * (the jitter buffers keep it until play-out). A slice of Node's pool, as werift's would be.
   */
  private openNative(n: NativePath, data: Buffer, start: number, len: number, offset: number): Buffer | null {
    const out = Buffer.allocUnsafe(len - offset - TAG_BYTES);
    const got = n.binding.open(n.opener, data, start, start + len, offset, this.rxIv, out);
    return got < 0 ? null : out;
  }

  private openJs(data: Buffer, offset: number, tagAt: number): Buffer | null {
    try {
      const decipher = createDecipheriv("aes-128-gcm", this.remoteKey, this.rxIv);
      decipher.setAAD(data.subarray(0, offset));
      decipher.setAuthTag(data.subarray(tagAt));
      const plain = decipher.update(data.subarray(offset, tagAt));
      decipher.final();
      return plain;
    } catch {
      return null;
    }
  }

  private reject(): true {
    this.counters.rejected++;
    return true;
  }
}

export type { WeriftReceiverLike, WeriftSenderLike } from "./werift-internals.js";
export type { DirectReceive, DirectRtpStats } from "./direct-rtp-types.js";
