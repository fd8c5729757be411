/**
 * The header of a packet on a forwarded down path (docs/design.md, "The cheap hop").
 *
 * A hub sends each child that takes forwarded streams several streams on one link: the one it
 * mixes itself for that child (its voice and its other children's up mixes) and, unchanged, each
 * stream its own parent sends it. One link has one RTP numbering, so each packet says which stream
 * it belongs to and that stream's own sequence number and timestamp:
 *
 *   [0xFD] [stream tag u16] [stream seq u16] [stream ts u32] [after-tick i16] [slack i16] [phase u16] [Opus...]
 *
 * The tag is the origin hub's (random, fixed for its life). The last two fields are meant for the
 * direct child only, and only on the stream its parent mixed itself: how long after its tick
 * deadline the parent sent the packet, and how long the child's up frames wait in the parent's
 * jitter buffer beyond its target (negative: they come late), both in 10 µs units. A hub that
 * forwards a packet clears the first (NO_TIMING) and writes into the second how many hubs have
 * forwarded it (1 from the grandparent on, 2 from the hub above that...): a listener knows which
 * of its streams comes from the top (runtime/hear-phase.ts). The phase is the sum of the sender's own tick moves
 * in samples, modulo 2^16: a child follows its parent's moves as they happen. The child aligns its
 * own tick from the three.
 *
 * A node that hears its parent on this path frames its up stream too, so that the parent's jitter
 * buffer takes the child's own moves as moves, not as jitter or drift:
 *
 *   [0xFE] [phase u16] [Opus...]
 *
 * (0xFE as an Opus TOC byte would be a stereo two-frame packet, which no node encodes.)
 *
 * Pure, bounds-checked, allocation-free: the bytes come from the network.
 */

export const DOWN_MAGIC = 0xfd;
export const DOWN_HEADER_BYTES = 15;
export const UP_MAGIC = 0xfe;
export const UP_HEADER_BYTES = 3;
/** The timing fields of a forwarded packet (and of a hub that has no tick figure to give). */
export const NO_TIMING = -32768;
const UNIT_MS = 0.01;

/** The fields of one header, read into a reused object (no allocation per packet). */
export interface DownHeader {
  tag: number;
  seq: number;
  ts: number;
  /** Ms after the sender's tick deadline it sent the packet; NaN when the packet carries none. */
  afterTickMs: number;
  /** Ms the receiver's frames wait at the sender beyond its jitter target; NaN when none. */
  slackMs: number;
  /** Hubs that forwarded the packet (0: its sender mixed it), when known; 0 otherwise. */
  hops: number;
  /** The sender's tick moves so far, samples mod 2^16. */
  phase: number;
}

export function newDownHeader(): DownHeader {
  return { tag: 0, seq: 0, ts: 0, afterTickMs: Number.NaN, slackMs: Number.NaN, hops: 0, phase: 0 };
}

/**
 * Writes the header into out[0..DOWN_HEADER_BYTES). `afterTickMs`/`slackMs` NaN writes NO_TIMING.
 * Values beyond the field's range are clamped.
 */
export function writeDownHeader(out: Uint8Array, tag: number, seq: number, ts: number, afterTickMs: number, slackMs: number, phase: number): void {
  out[0] = DOWN_MAGIC;
  out[1] = (tag >> 8) & 0xff;
  out[2] = tag & 0xff;
  out[3] = (seq >> 8) & 0xff;
  out[4] = seq & 0xff;
  out[5] = (ts >>> 24) & 0xff;
  out[6] = (ts >>> 16) & 0xff;
  out[7] = (ts >>> 8) & 0xff;
  out[8] = ts & 0xff;
  const a = afterTickMs === afterTickMs ? clamp(Math.round(afterTickMs / UNIT_MS), -32767, 32767) : NO_TIMING;
  out[9] = (a >> 8) & 0xff;
  out[10] = a & 0xff;
  const g = slackMs === slackMs ? clamp(Math.round(slackMs / UNIT_MS), -32767, 32767) : NO_TIMING;
  out[11] = (g >> 8) & 0xff;
  out[12] = g & 0xff;
  out[13] = (phase >> 8) & 0xff;
  out[14] = phase & 0xff;
}

/** The header of an up packet (see above): its phase, or -1 when `p` has none. */
export function readUpPhase(p: Uint8Array): number {
  return p.length > UP_HEADER_BYTES && p[0] === UP_MAGIC ? (p[1] << 8) | p[2] : -1;
}

/** A change of phase (mod 2^16) as signed samples. */
export function phaseDelta(now: number, before: number): number {
  const d = (now - before) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}

/** Hop counts beyond this are written as this (a tree is never so deep). */
export const MAX_HOPS = 255;

/** Clears the timing of a header in place and counts one more hop (a packet being forwarded). */
export function clearDownTiming(p: Uint8Array): void {
  const timed = p[9] !== 0x80 || p[10] !== 0;
  const before = p[11] === 0 && p[12] >= 1 ? p[12] : 0;
  const hops = timed ? 1 : Math.min(MAX_HOPS, before + 1);
  p[9] = 0x80;
  p[10] = 0;
  p[11] = 0;
  p[12] = hops;
}

/**
 * Reads the header of `p` into `into`; false when `p` is not a forwarded-path packet (too short,
 * wrong magic, tag 0, or no Opus bytes after the header).
 */
export function readDownHeader(p: Uint8Array, into: DownHeader): boolean {
  if (!(p instanceof Uint8Array) || p.length <= DOWN_HEADER_BYTES || p[0] !== DOWN_MAGIC) return false;
  const tag = (p[1] << 8) | p[2];
  if (tag === 0) return false;
  into.tag = tag;
  into.seq = (p[3] << 8) | p[4];
  into.ts = ((p[5] << 24) | (p[6] << 16) | (p[7] << 8) | p[8]) >>> 0;
  const a = (p[9] << 8) | p[10];
  const signed = a >= 0x8000 ? a - 0x10000 : a;
  into.afterTickMs = signed === NO_TIMING ? Number.NaN : signed * UNIT_MS;
  const g = (p[11] << 8) | p[12];
  const sg = g >= 0x8000 ? g - 0x10000 : g;
  const timed = signed !== NO_TIMING;
  into.slackMs = timed && sg !== NO_TIMING ? sg * UNIT_MS : Number.NaN;
  into.hops = !timed && sg >= 1 && sg <= MAX_HOPS ? sg : 0;
  into.phase = (p[13] << 8) | p[14];
  return true;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
