/**
 * Client -> server messages of the signaling protocol, version 1 (docs/protocol.md describes
 * every message), as zod schemas; their types are inferred from them. The server checks them at
 * its boundary (shape.ts: parseClientMessage).
 */
import { z } from "zod";
import { PROTOCOL_LIMITS as L } from "./media.js";
import { nodeId, ref, roomNameSchema, rttMs, text, token } from "./fields.js";

const rttSample = z.strictObject({ to: nodeId, rttMs });
/** Children a restoring node may list (a hub's cap is far below). */
export const MAX_RESTORE_CHILDREN = 256;

export const joinSchema = z.strictObject({
  type: z.literal("join"),
  v: z.number().int(),
  ref: ref.optional(),
  room: roomNameSchema,
  name: text(L.nameMaxLen).min(1),
  section: text(L.sectionMaxLen),
  canHub: z.boolean(),
  uploadKbps: z.number().min(0).max(L.maxUploadKbps),
  hasVoice: z.boolean(),
  dedicated: z.boolean().optional(),
  latency: z
    .strictObject({
      rtts: z.array(rttSample).max(L.maxRttSamples).optional(),
      location: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
      accessMs: z.number().min(0).max(L.maxAccessMs).optional(),
    })
    .optional(),
  token: token.optional(),
  resume: token.optional(),
  /**
   * With `resume`: where the node is now (its links). A server that no longer knows the node
   * (it restarted) puts it back there instead of placing it anew.
   */
  restore: z
    .strictObject({
      parent: nodeId.nullable(),
      backup: nodeId.nullable(),
      children: z.array(nodeId).max(MAX_RESTORE_CHILDREN),
    })
    .optional(),
});

export const SIGNAL_KINDS = ["offer", "answer", "candidate", "other"] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const signalSchema = z.strictObject({
  type: z.literal("signal"),
  ref: ref.optional(),
  to: nodeId,
  kind: z.enum(SIGNAL_KINDS),
  // Opaque to the server (SDP, ICE candidate, simple-peer's own objects); its shape and size
  // were already bounded by checkShape.
  data: z.record(z.string(), z.unknown()),
});

export const rttSchema = z.strictObject({
  type: z.literal("rtt"),
  ref: ref.optional(),
  samples: z.array(rttSample).min(1).max(L.maxRttSamples),
});

export const treeRequestSchema = z.strictObject({
  type: z.literal("tree"),
  ref: ref.optional(),
  /** Needed only when the socket has not joined a room (a director's view). */
  room: roomNameSchema.optional(),
  token: token.optional(),
});

export const leaveSchema = z.strictObject({
  type: z.literal("leave"),
  ref: ref.optional(),
});

/** The media from a tree neighbour stopped (see docs/lifecycle.md); the server may move the sender. */
export const linkLostSchema = z.strictObject({
  type: z.literal("link-lost"),
  ref: ref.optional(),
  peer: nodeId,
  /** Move me to my backup even if the peer is still connected to the server. */
  move: z.boolean().optional(),
});

export type JoinMessage = z.infer<typeof joinSchema>;
export type SignalMessage = z.infer<typeof signalSchema>;
export type RttMessage = z.infer<typeof rttSchema>;
export type TreeRequestMessage = z.infer<typeof treeRequestSchema>;
export type LeaveMessage = z.infer<typeof leaveSchema>;
export type LinkLostMessage = z.infer<typeof linkLostSchema>;
export type ClientMessage = JoinMessage | SignalMessage | RttMessage | TreeRequestMessage | LeaveMessage | LinkLostMessage;
export type ClientMessageType = ClientMessage["type"];

export const CLIENT_SCHEMAS: Record<ClientMessageType, z.ZodType<ClientMessage>> = {
  join: joinSchema,
  signal: signalSchema,
  rtt: rttSchema,
  tree: treeRequestSchema,
  leave: leaveSchema,
  "link-lost": linkLostSchema,
};

