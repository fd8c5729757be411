/**
 * Server -> client messages of the signaling protocol (docs/protocol.md), as zod schemas; their
 * types are inferred from them, so the server that builds a message and the clients that read it
 * share one definition. Both clients (the node runtime's and the browser's) check what arrives
 * with `parseServerMessage` before anyone sees it. Objects are not strict here: a newer server
 * may add fields, and an older client ignores them.
 */
import { z } from "zod";
import { SIGNAL_KINDS } from "./client-messages.js";
import { ERROR_CODES } from "./error-codes.js";
import { ref } from "./fields.js";
import { mediaSettingsSchema } from "./media.js";

/** Ids the server hands out (and peers' ids it relays). */
const id = z.string().min(1).max(64);
const idOrNull = id.nullable();
/** A room's tree is at most this many nodes in one message. */
const ids = z.array(id).max(4096);

const place = {
  parent: idOrNull,
  backup: idOrNull,
  children: ids,
  /** True when no hub has a free slot yet: the node waits, parent null, and a tree-update places it. */
  waiting: z.boolean(),
  /**
   * Leaf singers under the same hub that this one exchanges voices with peer to peer (its hub
   * leaves them out of its down mix once it reports hearing them); absent: none.
   */
  direct: z.array(id).max(16).optional(),
};

/** Reply to `join`: the node's id, its place and the room's media settings. */
export const joinedSchema = z.object({
  type: z.literal("joined"),
  v: z.number().int(),
  ref: ref.optional(),
  room: z.string().min(1).max(64),
  id,
  ...place,
  media: mediaSettingsSchema,
  /** Present this in a later join's `resume` to get this id and place back. */
  resumeToken: z.string().min(1).max(1024),
  /** True when a resume token was honoured and the old id kept. */
  resumed: z.boolean(),
  /** The room's tree version after this join. */
  epoch: z.number().int().min(0),
});

export const TREE_UPDATE_REASONS = ["join", "leave", "rebalance", "repair", "backup"] as const;

/** The node's neighbourhood changed: its full new parent, backup and children. */
export const treeUpdateSchema = z.object({
  type: z.literal("tree-update"),
  ...place,
  reason: z.enum(TREE_UPDATE_REASONS),
  epoch: z.number().int().min(0),
});

/** A relayed signal from a tree neighbour; `data` is the neighbour's, untrusted (see link-signal.ts). */
export const relayedSignalSchema = z.object({
  type: z.literal("signal"),
  from: id,
  kind: z.enum(SIGNAL_KINDS),
  data: z.record(z.string(), z.unknown()),
});

export const treeNodeInfoSchema = z.object({
  id,
  name: z.string().max(256),
  section: z.string().max(256),
  ...place,
  /** -1 while waiting. */
  depth: z.number().int().min(-1),
  hasVoice: z.boolean(),
  canHub: z.boolean(),
});

/** Reply to `tree`: the whole room. */
export const treeSchema = z.object({
  type: z.literal("tree"),
  ref: ref.optional(),
  room: z.string().min(1).max(64),
  root: idOrNull,
  epoch: z.number().int().min(0),
  nodes: z.array(treeNodeInfoSchema).max(100_000),
});

export const leftSchema = z.object({ type: z.literal("left"), ref: ref.optional() });

export const errorSchema = z.object({
  type: z.literal("error"),
  code: z.enum(ERROR_CODES),
  message: z.string().max(1000),
  ref: ref.optional(),
});

export const serverMessageSchema = z.discriminatedUnion("type", [joinedSchema, treeUpdateSchema, relayedSignalSchema, treeSchema, leftSchema, errorSchema]);

export type JoinedMessage = z.infer<typeof joinedSchema>;
export type TreeUpdateMessage = z.infer<typeof treeUpdateSchema>;
export type RelayedSignalMessage = z.infer<typeof relayedSignalSchema>;
export type TreeNodeInfo = z.infer<typeof treeNodeInfoSchema>;
export type TreeMessage = z.infer<typeof treeSchema>;
export type LeftMessage = z.infer<typeof leftSchema>;
export type ErrorMessage = z.infer<typeof errorSchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;

export type ServerMessageCheck = { ok: true; msg: ServerMessage } | { ok: false; reason: string };

/** Checks what a server sent (the single argument of a "msg" event). Never throws. */
export function parseServerMessage(raw: unknown): ServerMessageCheck {
  const r = serverMessageSchema.safeParse(raw);
  if (r.success) return { ok: true, msg: r.data };
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "(message)";
  const type = typeof raw === "object" && raw !== null && typeof (raw as { type?: unknown }).type === "string" ? (raw as { type: string }).type.slice(0, 32) : "?";
  return { ok: false, reason: `${type}: ${where}: ${issue?.message ?? "invalid"}`.slice(0, 200) };
}
