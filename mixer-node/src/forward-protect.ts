/**
 * Loss protection for the streams a hub forwards to one child: each forwarded packet goes out
 * carrying the one or two packets of its stream before it (codec/redundancy.ts), as the child's
 * link asks (HubLink.redundancy, from the loss measured on what the child sends). The packet that
 * came from above may carry copies for the link above; they are taken off first (plainFrame), so
 * that what rides along fits the child's link, not the one it came over.
 *
 * One history per stream (by tag), made when the stream's first packet comes; no allocation per
 * packet. Streams past the table's size take the slot heard from least lately.
 */
import { MAX_PACKET_BYTES } from "./codec/types.js";
import { padWithRedundancy, plainFrame } from "./codec/redundancy.js";
import { DOWN_HEADER_BYTES } from "./down-header.js";
import { DOWN_STREAMS_DEFAULTS } from "./down-streams.js";

class History {
  tag = 0;
  lastSeq = -1;
  used = 0;
  readonly prev1 = new Uint8Array(MAX_PACKET_BYTES);
  prev1Length = 0;
  readonly prev2 = new Uint8Array(MAX_PACKET_BYTES);
  prev2Length = 0;
}

export class ForwardProtect {
  /** The re-protected packet (header and Opus), valid until the next call. */
  readonly out = new Uint8Array(DOWN_HEADER_BYTES + 3 * MAX_PACKET_BYTES + 16);
  private readonly cur = new Uint8Array(MAX_PACKET_BYTES);
  private readonly body: Uint8Array;
  private readonly table: History[] = [];
  private clock = 0;

  constructor(private readonly size: number = DOWN_STREAMS_DEFAULTS.maxStreams) {
    this.body = this.out.subarray(DOWN_HEADER_BYTES);
  }

  /**
   * `p[0..n)`: a forwarded packet (header, Opus). Returns the length of the protected packet in
   * `out`, or 0 when it goes as it is (no history yet, or a packet that cannot be padded).
   */
  protect(p: Uint8Array, n: number, level: number): number {
    if (n <= DOWN_HEADER_BYTES) return 0;
    const tag = (p[1] << 8) | p[2];
    const seq = (p[3] << 8) | p[4];
    const h = this.find(tag);
    const curLen = plainFrame(p.subarray(DOWN_HEADER_BYTES, n), n - DOWN_HEADER_BYTES, this.cur);
    if (curLen === 0) {
      h.lastSeq = -1;
      return 0;
    }
    const next = h.lastSeq >= 0 && ((h.lastSeq + 1) & 0xffff) === seq;
    const twoBack = level > 1 && next && h.prev2Length > 0 ? h.prev2Length : 0;
    const len = next && h.prev1Length > 0 ? padWithRedundancy(this.cur, curLen, h.prev1, h.prev1Length, h.prev2, twoBack, this.body) : 0;
    if (next) {
      h.prev2.set(h.prev1);
      h.prev2Length = h.prev1Length;
    } else h.prev2Length = 0;
    for (let i = 0; i < curLen; i++) h.prev1[i] = this.cur[i];
    h.prev1Length = curLen;
    h.lastSeq = seq;
    if (len === 0) return 0;
    for (let i = 0; i < DOWN_HEADER_BYTES; i++) this.out[i] = p[i];
    return DOWN_HEADER_BYTES + len;
  }

  private find(tag: number): History {
    this.clock++;
    let oldest: History | null = null;
    for (const h of this.table) {
      if (h.tag === tag) {
        h.used = this.clock;
        return h;
      }
      if (oldest === null || h.used < oldest.used) oldest = h;
    }
    let h: History;
    if (this.table.length < this.size) {
      h = new History();
      this.table.push(h);
    } else {
      h = oldest!;
      h.lastSeq = -1;
      h.prev1Length = h.prev2Length = 0;
    }
    h.tag = tag;
    h.used = this.clock;
    return h;
  }
}
