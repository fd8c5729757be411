/**
 * A child that takes the forwarded down streams as tracks of their own (a browser: it asked for
 * them as extra audio m-lines in its offer, transport/send-tracks.ts). The engine treats it as
 * any forwarding child: it mixes for it only what is below and beside it, and hands it every
 * packet from above as it arrives. On the way out the forwarded path's header comes off
 * (down-header.ts): the child's own stream goes on its first track, and a stream that k hubs
 * forwarded goes on extra track k with its origin's numbering.
 */
import { DOWN_HEADER_BYTES, newDownHeader, readDownHeader } from "../down-header.js";
import type { PeerLink } from "../transport/peer-link.js";

/** Audio m-lines in an offer beyond the first: the forwarded streams a browser can take. */
export function offeredExtraTracks(sdp: unknown): number {
  if (typeof sdp !== "string") return 0;
  let n = 0;
  for (let i = sdp.indexOf("m=audio "); i >= 0; i = sdp.indexOf("m=audio ", i + 8)) n++;
  return Math.max(0, n - 1);
}

const header = newDownHeader();

/**
 * One packet of the engine's for a track child: `samples` > 0 for the child's own stream (framed
 * by the engine), 0 for one forwarded from above. Packets without the header go as they are.
 */
export function sendToTracks(link: PeerLink, bytes: Uint8Array, length: number, samples: number, frameSamples: number): void {
  if (length <= DOWN_HEADER_BYTES || !readDownHeader(bytes, header)) {
    if (samples > 0) link.sendOpus(Buffer.from(bytes.buffer, bytes.byteOffset, length), samples);
    return;
  }
  const opus = Buffer.from(bytes.buffer, bytes.byteOffset + DOWN_HEADER_BYTES, length - DOWN_HEADER_BYTES);
  if (samples > 0) link.sendOpus(opus, samples);
  else link.sendTrack(header.hops, header.tag, header.seq, header.ts, opus, frameSamples);
}
