/**
 * Media settings a room hands to every node (in `joined`), and the wire protocol's field limits.
 * The server, the node runtime and the browser read them from here.
 */
import { z } from "zod";

/** Opus settings a room hands to every node; the media engine applies them. */
export const mediaSettingsSchema = z.object({
  /** Frame length in ms: 2.5, 5, 10 or 20. */
  frameMs: z.union([z.literal(2.5), z.literal(5), z.literal(10), z.literal(20)]),
  /** Opus bitrate in bit/s. */
  bitrate: z.number().int().min(6000).max(510_000),
  /** Opus encoder complexity 0..10. */
  complexity: z.number().int().min(0).max(10),
  /** In-band forward error correction. */
  fec: z.boolean(),
  /** Loss the encoder should expect, in percent (tunes FEC). */
  expectedLossPct: z.number().min(0).max(100),
  /** Opus application: restricted_lowdelay saves the 4 ms of the voip/audio lookahead. */
  application: z.enum(["restricted_lowdelay", "voip", "audio"]),
  /**
   * The down path of the room's node runtimes (docs/design.md, "The cheap hop"): "forward" (each
   * hub forwards what comes from above unchanged and children align their ticks to their parent's)
   * or "mix" (every hub re-encodes a whole down mix on a free-running tick). Absent: "mix" (a
   * server from before the cheap hop). Browsers take a whole down mix either way. DEFAULT_MEDIA
   * says "forward"; `npm run signaling -- --down-path mix` keeps the engine before.
   */
  downPath: z.enum(["forward", "mix"]).optional(),
});

export type MediaSettings = z.infer<typeof mediaSettingsSchema>;

export const DEFAULT_MEDIA: Readonly<MediaSettings> = Object.freeze({
  frameMs: 10,
  bitrate: 64_000,
  complexity: 5,
  fec: true,
  expectedLossPct: 5,
  application: "restricted_lowdelay",
  downPath: "forward",
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
