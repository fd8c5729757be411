/**
 * The pure arithmetic of SRTP with AES-128-GCM (RFC 7714) that the direct media path needs per
 * packet: the 12-byte IV from the session salt, SSRC, rollover counter and sequence number; the
 * receiver's rollover-counter guess (RFC 3711, 3.3.1); and where an RTP packet's payload starts.
 * No allocation: every function writes into or reads from the caller's buffers.
 */

/** A sequence number this close to the wrap counts as before or after it. */
export const MAX_DISORDER = 100;

/**
 * Writes the IV for one packet: the salt XOR (0, 0, SSRC, ROC, SEQ). `base` already holds the
 * salt XOR the SSRC (the sender's, fixed per link); `iv` receives the result.
 */
export function writeIv(iv: Buffer, base: Buffer, roc: number, seq: number): void {
  base.copy(iv, 0, 0, 12);
  xorRocSeq(iv, roc, seq);
}

/** The same for a received packet: the SSRC comes from its header at `start + 8`. */
export function writeIvFromPacket(iv: Buffer, salt: Buffer, data: Buffer, start: number, roc: number): void {
  salt.copy(iv, 0, 0, 12);
  iv[2] ^= data[start + 8];
  iv[3] ^= data[start + 9];
  iv[4] ^= data[start + 10];
  iv[5] ^= data[start + 11];
  xorRocSeq(iv, roc, (data[start + 2] << 8) | data[start + 3]);
}

function xorRocSeq(iv: Buffer, roc: number, seq: number): void {
  iv[6] ^= roc >>> 24;
  iv[7] ^= (roc >>> 16) & 0xff;
  iv[8] ^= (roc >>> 8) & 0xff;
  iv[9] ^= roc & 0xff;
  iv[10] ^= seq >>> 8;
  iv[11] ^= seq & 0xff;
}

/**
 * The rollover counter a received sequence number belongs to, guessed from the last one: past
 * the wrap it is one more, a late packet from before the wrap one less. Committed by the caller
 * only once the packet authenticates.
 */
export function guessRoc(roc: number, lastSeq: number, seq: number): number {
  if (lastSeq > 0xffff - MAX_DISORDER && seq < MAX_DISORDER) return (roc + 1) >>> 0;
  if (lastSeq < MAX_DISORDER && seq > 0xffff - MAX_DISORDER && roc > 0) return (roc - 1) >>> 0;
  return roc;
}

/**
 * Where the payload of the RTP packet `data[start, start + len)` starts (after the CSRCs and a
 * header extension), or -1 when the header runs past `len`.
 */
export function payloadOffset(data: Buffer, start: number, len: number, headerBytes: number): number {
  const b0 = data[start];
  let offset = headerBytes + 4 * (b0 & 0x0f);
  if (b0 & 0x10) {
    if (offset + 4 > len) return -1;
    offset += 4 + 4 * data.readUInt16BE(start + offset + 2);
  }
  return offset;
}
