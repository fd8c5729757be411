/**
 * Redundant audio carried in Opus padding, so that a packet lost on a lossy link is rebuilt
 * from a later one instead of concealed.
 *
 * In-band FEC needs the SILK layer, and RESTRICTED_LOWDELAY is CELT only (libopus: that application never runs SILK), so
 * the loss protection here is the RED idea (RFC 2198: resend earlier frames with the current
 * one) in a form any Opus decoder still takes as it is: the current packet becomes a one-frame
 * code-3 packet (RFC 6716, 3.2.5) whose padding holds the earlier packets. A decoder that knows
 * nothing of it (a browser) plays the current frame and ignores the padding; a node reads the
 * earlier frames back out (readRedundancy) and fills its jitter buffer's holes.
 *
 *   [TOC, c=3] [0b01000001: no VBR, padding, 1 frame] [padding length: 255.. N] [frame] [padding]
 *   padding = blocks of "R" (0x52), delta (frames back), length hi, length lo, that packet's bytes
 *
 * Both functions are pure, bounds-checked and allocation-free: the network is untrusted.
 */

export const REDUNDANCY_MAGIC = 0x52;
const BLOCK_HEADER = 4;
/** Largest Opus packet (RFC 6716). */
const MAX_OPUS = 1275;
/** Blocks read from one packet at most. */
export const MAX_REDUNDANT_BLOCKS = 2;

/**
 * Writes into `out` the packet `cur[0..curLen)` carrying in its padding `prev1` (the packet
 * sent one frame earlier) and, when `prev2Len` > 0, `prev2` (two frames earlier). Returns the
 * new length, or 0 when it cannot (cur is not a plain one-frame code-0 packet, or the result
 * would not fit `out`): the caller then sends `cur` as it is.
 */
export function padWithRedundancy(
  cur: Uint8Array, curLen: number,
  prev1: Uint8Array, prev1Len: number,
  prev2: Uint8Array, prev2Len: number,
  out: Uint8Array,
): number {
  if (curLen < 1 || (cur[0] & 3) !== 0 || prev1Len < 1 || prev1Len > MAX_OPUS || prev2Len < 0 || prev2Len > MAX_OPUS) return 0;
  const pad = BLOCK_HEADER + prev1Len + (prev2Len > 0 ? BLOCK_HEADER + prev2Len : 0);
  const padLenBytes = Math.floor(pad / 255) + 1;
  const total = 2 + padLenBytes + (curLen - 1) + pad;
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
  o = writeBlock(out, o, 1, prev1, prev1Len);
  if (prev2Len > 0) o = writeBlock(out, o, 2, prev2, prev2Len);
  return o;
}

function writeBlock(out: Uint8Array, o: number, delta: number, p: Uint8Array, len: number): number {
  out[o++] = REDUNDANCY_MAGIC;
  out[o++] = delta;
  out[o++] = len >> 8;
  out[o++] = len & 0xff;
  for (let i = 0; i < len; i++) out[o++] = p[i];
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
 * Finds the redundant packets in `p` (see padWithRedundancy), writing their places into
 * `into[0..n)`; returns n, 0 for anything else: plain packets, other padding, malformed or
 * hostile input (a malformed block ends the list).
 */
export function readRedundancy(p: Uint8Array, into: RedundantBlock[]): number {
  if (!(p instanceof Uint8Array)) return 0;
  const n = p.length;
  if (n < 3 || (p[0] & 3) !== 3) return 0;
  const count = p[1];
  if ((count & 0x40) === 0 || (count & 0x3f) !== 1) return 0;
  let o = 2;
  let pad = 0;
  for (;;) {
    if (o >= n) return 0;
    const b = p[o++];
    pad += b === 255 ? 254 : b;
    if (b !== 255) break;
  }
  if (pad < BLOCK_HEADER + 1 || o + pad > n) return 0;
  let at = n - pad;
  let found = 0;
  while (found < into.length && found < MAX_REDUNDANT_BLOCKS && at + BLOCK_HEADER < n) {
    if (p[at] !== REDUNDANCY_MAGIC) break;
    const delta = p[at + 1];
    const length = (p[at + 2] << 8) | p[at + 3];
    if (delta < 1 || length < 1 || length > MAX_OPUS || at + BLOCK_HEADER + length > n) break;
    const b = into[found++];
    b.offset = at + BLOCK_HEADER;
    b.length = length;
    b.delta = delta;
    at += BLOCK_HEADER + length;
  }
  return found;
}

/**
 * The packet's own frame as a plain one-frame packet (code 0) in `out`: a padded packet (see
 * padWithRedundancy) loses its padding, a code-0 packet is copied. Returns the length, 0 for
 * anything else (other codes, malformed). Pure and allocation-free: a hub re-protects packets it
 * forwards with it, for the next link's loss.
 */
export function plainFrame(p: Uint8Array, n: number, out: Uint8Array): number {
  if (n < 1 || n > p.length) return 0;
  const code = p[0] & 3;
  if (code === 0) {
    if (n > out.length) return 0;
    for (let i = 0; i < n; i++) out[i] = p[i];
    return n;
  }
  if (code !== 3 || n < 3 || (p[1] & 0x3f) !== 1 || (p[1] & 0x80) !== 0) return 0;
  let o = 2;
  let pad = 0;
  if (p[1] & 0x40) {
    for (;;) {
      if (o >= n) return 0;
      const b = p[o++];
      pad += b === 255 ? 254 : b;
      if (b !== 255) break;
    }
  }
  const end = n - pad;
  if (end <= o || end - o + 1 > out.length) return 0;
  let w = 0;
  out[w++] = p[0] & 0xfc;
  for (let i = o; i < end; i++) out[w++] = p[i];
  return w;
}
