/**
 * Media settings a room hands to every node (in `joined`), and the wire protocol's field limits.
 * The server, the node runtime and the browser read them from here.
 */

/** Opus settings a room hands to every node; the media engine applies them. */
export interface MediaSettings {
  /** Frame length in ms: 2.5, 5, 10 or 20. */
  frameMs: 2.5 | 5 | 10 | 20;
  /** Opus bitrate in bit/s. */
  bitrate: number;
  /** Opus encoder complexity 0..10. */
  complexity: number;
  /** In-band forward error correction. */
  fec: boolean;
  /** Loss the encoder should expect, in percent (tunes FEC). */
  expectedLossPct: number;
  /** Opus application: restricted_lowdelay saves the 4 ms of the voip/audio lookahead. */
  application: "restricted_lowdelay" | "voip" | "audio";
}

export const DEFAULT_MEDIA: Readonly<MediaSettings> = Object.freeze({
  frameMs: 10,
  bitrate: 64_000,
  complexity: 5,
  fec: true,
  expectedLossPct: 5,
  application: "restricted_lowdelay",
});

/** Field limits of the wire protocol (see docs/protocol.md). */
export const PROTOCOL_LIMITS = Object.freeze({
  roomMaxLen: 64,
  nameMaxLen: 64,
  sectionMaxLen: 32,
  tokenMaxLen: 1024,
  nodeIdMaxLen: 64,
  refMaxLen: 64,
  maxRttSamples: 32,
  maxRttMs: 10_000,
  maxUploadKbps: 10_000_000,
  maxAccessMs: 1_000,
});
