/**
 * Redundant audio carried in Opus padding, so that a packet lost on a lossy link is rebuilt
 * from the next one instead of concealed.
 *
 * In-band FEC needs the SILK layer, and RESTRICTED_LOWDELAY is CELT only (see FEASIBILITY), so
 * the loss protection here is the RED idea (RFC 2198: resend the previous frame with the
 * current one) in a form any Opus decoder still takes as it is: the current packet becomes a
 * one-frame code-3 packet (RFC 6716, 3.2.5) whose padding holds the previous packet. A decoder
 * that knows nothing of it (a browser) plays the current frame and ignores the padding; a node
 * reads the previous frame back out (readRedundancy) and fills its jitter buffer's hole.
 *
 *   [TOC, c=3] [0b01000001: no VBR, padding, 1 frame] [padding length: 255.. N] [frame] [padding]
 *   padding = "R" (0x52), delta (frames back, 1..), length hi, length lo, that packet's bytes, zeros
 *
 * Both functions are pure, bounds-checked and allocation-free: the network is untrusted.
 */

export const REDUNDANCY_MAGIC = 0x52;
const BLOCK_HEADER = 4;
/** Largest Opus packet (RFC 6716). */
const MAX_OPUS = 1275;

/**
 * Writes into `out` the packet `cur[0..curLen)` carrying `prev[0..prevLen)` (sent `delta`
 * frames earlier) in its padding. Returns the new length, or 0 when it cannot (cur is not a
 * plain one-frame code-0 packet, or the result would not fit `out` or the Opus size limit):
 * the caller then sends `cur` as it is.
 */
export function padWithRedundancy(cur: Uint8Array, curLen: number, prev: Uint8Array, prevLen: number, delta: number, out: Uint8Array): number {
  if (curLen < 1 || (cur[0] & 3) !== 0 || prevLen < 1 || prevLen > 0xffff || delta < 1 || delta > 255) return 0;
  const frameLen = curLen - 1;
  const pad = BLOCK_HEADER + prevLen;
  const padLenBytes = Math.floor(pad / 255) + 1;
  const total = 2 + padLenBytes + frameLen + pad;
  if (total > out.length) return 0;
  let o = 0;
  out[o++] = (cur[0] & 0xfc) | 3;
  out[o++] = 0x41; // v = 0 (CBR), p = 1, M = 1
  // Padding length: each 255 stands for 254 bytes and says another length byte follows.
  let left = pad;
  while (left >= 255) {
    out[o++] = 255;
    left -= 254;
  }
  out[o++] = left;
  // Byte loops rather than set(subarray): a view per packet would allocate.
  for (let i = 1; i < curLen; i++) out[o++] = cur[i];
  out[o++] = REDUNDANCY_MAGIC;
  out[o++] = delta;
  out[o++] = prevLen >> 8;
  out[o++] = prevLen & 0xff;
  for (let i = 0; i < prevLen; i++) out[o++] = prev[i];
  return o;
}

/** Where a redundant packet sits inside a received one (reused: read it before the next call). */
export interface RedundantBlock {
  offset: number;
  length: number;
  /** Frames back from the packet that carried it. */
  delta: number;
}

/**
 * Finds the redundant packet in `p` (see padWithRedundancy), writing its place into `into`.
 * Returns false for anything else: plain packets, other padding, malformed or hostile input.
 */
export function readRedundancy(p: Uint8Array, into: RedundantBlock): boolean {
  const n = p.length;
  if (n < 3 || (p[0] & 3) !== 3) return false;
  const count = p[1];
  if ((count & 0x40) === 0 || (count & 0x3f) !== 1) return false;
  let o = 2;
  let pad = 0;
  for (;;) {
    if (o >= n) return false;
    const b = p[o++];
    pad += b === 255 ? 254 : b;
    if (b !== 255) break;
  }
  if (pad < BLOCK_HEADER + 1 || o + pad > n) return false;
  const at = n - pad;
  if (p[at] !== REDUNDANCY_MAGIC) return false;
  const delta = p[at + 1];
  const length = (p[at + 2] << 8) | p[at + 3];
  if (delta < 1 || length < 1 || length > MAX_OPUS || BLOCK_HEADER + length > pad) return false;
  into.offset = at + BLOCK_HEADER;
  into.length = length;
  into.delta = delta;
  return true;
}
