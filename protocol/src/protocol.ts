/**
 * The signaling wire protocol, version 1 (docs/protocol.md describes every message).
 *
 * One socket.io event, "msg", carries one JSON object in each direction, a discriminated union
 * on `type`. Client messages are checked here at the boundary: first their shape (plain JSON,
 * size, depth, no prototype keys, no binary), then their fields with zod. Nothing past this
 * file ever sees an unchecked client message.
 */
import { z } from "zod";
import { PROTOCOL_LIMITS as L } from "./media.js";
import type { MediaSettings } from "./media.js";
import type { ErrorCode } from "./error-codes.js";

/** A node's id in a room, given by the server. */
export type NodeId = string;

export const PROTOCOL_VERSION = 1;
/** The only socket.io event name of the protocol, both directions. */
export const SIGNALING_EVENT = "msg";

// ---------------------------------------------------------------- client -> server

// Display strings end up in logs and on pages: no control characters (C0, DEL, C1), no lone
// surrogates, no line or paragraph separators, no bidirectional overrides or isolates (which
// reorder what a log line or a page shows).
const printable = /^[^\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/u;
const text = (max: number) => z.string().max(max).regex(printable, "control characters, lone surrogates and bidirectional controls are not allowed");

const ref = z.union([z.string().max(L.refMaxLen), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);
const nodeId = z.string().min(1).max(L.nodeIdMaxLen).regex(/^[A-Za-z0-9_-]+$/, "not a node id");
export const roomNameSchema = z
  .string()
  .min(1)
  .max(L.roomMaxLen)
  .regex(/^[A-Za-z0-9_.-]+$/, "room names use letters, digits, '_', '.' and '-'");
const token = z.string().min(1).max(L.tokenMaxLen);
const rttMs = z.number().min(0).max(L.maxRttMs);

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

const SCHEMAS: Record<ClientMessageType, z.ZodType<ClientMessage>> = {
  join: joinSchema,
  signal: signalSchema,
  rtt: rttSchema,
  tree: treeRequestSchema,
  leave: leaveSchema,
  "link-lost": linkLostSchema,
};

// ---------------------------------------------------------------- server -> client

export type Ref = string | number;

/** Reply to `join`: the node's id, its place and the room's media settings. */
export interface JoinedMessage {
  type: "joined";
  v: number;
  ref?: Ref;
  room: string;
  id: NodeId;
  parent: NodeId | null;
  backup: NodeId | null;
  children: NodeId[];
  /** True when no hub has a free slot yet: the node waits, parent null, and a tree-update places it. */
  waiting: boolean;
  media: MediaSettings;
  /** Present this in a later join's `resume` to get this id and place back. */
  resumeToken: string;
  /** True when a resume token was honoured and the old id kept. */
  resumed: boolean;
  /** The room's tree version after this join. */
  epoch: number;
}

/** The node's neighbourhood changed: its full new parent, backup and children. */
export interface TreeUpdateMessage {
  type: "tree-update";
  parent: NodeId | null;
  backup: NodeId | null;
  children: NodeId[];
  waiting: boolean;
  reason: "join" | "leave" | "rebalance" | "repair" | "backup";
  epoch: number;
}

/** A relayed signal from a tree neighbour. */
export interface RelayedSignalMessage {
  type: "signal";
  from: NodeId;
  kind: SignalKind;
  data: Record<string, unknown>;
}

export interface TreeNodeInfo {
  id: NodeId;
  name: string;
  section: string;
  parent: NodeId | null;
  backup: NodeId | null;
  children: NodeId[];
  /** -1 while waiting. */
  depth: number;
  waiting: boolean;
  hasVoice: boolean;
  canHub: boolean;
}

export interface TreeMessage {
  type: "tree";
  ref?: Ref;
  room: string;
  root: NodeId | null;
  epoch: number;
  nodes: TreeNodeInfo[];
}

export interface LeftMessage {
  type: "left";
  ref?: Ref;
}

export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  message: string;
  ref?: Ref;
}

export type ServerMessage =
  | JoinedMessage
  | TreeUpdateMessage
  | RelayedSignalMessage
  | TreeMessage
  | LeftMessage
  | ErrorMessage;

// ---------------------------------------------------------------- boundary checks

export interface ShapeLimits {
  maxBytes: number;
  maxDepth: number;
}

export type ParseResult =
  | { ok: true; msg: ClientMessage }
  | { ok: false; code: ErrorCode; message: string; ref?: Ref };

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

interface ShapeFault {
  code: ErrorCode;
  message: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Bytes of `s` as a JSON string literal in UTF-8, quotes included: exactly what JSON.stringify
 * writes (two-character escapes for \b \t \n \f \r " and \\, six for other controls and
 * for lone surrogates, four bytes for a surrogate pair).
 */
export function jsonStringBytes(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20) n += c === 0x22 || c === 0x5c ? 2 : 1;
      else n += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    } else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 6;
    } else if (c >= 0xdc00 && c <= 0xdfff) n += 6;
    else n += 3;
  }
  return n;
}

/**
 * Walks a value as JSON and returns the exact size of its JSON text in UTF-8 bytes (what
 * socket.io sends: JSON.stringify's output), or a fault. Stops as soon as the size passes
 * `maxBytes`, so a huge message costs little to refuse.
 */
export function checkShape(value: unknown, limits: ShapeLimits): ShapeFault | number {
  let size = 0;
  const over = (): ShapeFault => ({ code: "too-large", message: `larger than ${limits.maxBytes} bytes as JSON` });
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || v === true) size += 4;
    else if (v === false) size += 5;
    else if (typeof v === "number") {
      if (!Number.isFinite(v)) return { code: "invalid-message", message: "numbers must be finite" };
      size += String(v).length;
    } else if (typeof v === "string") {
      // Every UTF-16 unit is at least one byte: a string longer than what is left is refused unread.
      if (size + v.length + 2 > limits.maxBytes) return over();
      size += jsonStringBytes(v);
    } else if (typeof v === "object") {
      if (depth >= limits.maxDepth) return { code: "too-deep", message: `nesting deeper than ${limits.maxDepth}` };
      if (Array.isArray(v)) {
        size += 2 + Math.max(0, v.length - 1);
        if (size > limits.maxBytes) return over();
        for (let i = 0; i < v.length; i++) stack.push({ v: v[i], depth: depth + 1 });
      } else if (isPlainObject(v)) {
        const keys = Object.keys(v);
        size += 2 + Math.max(0, keys.length - 1);
        for (const k of keys) {
          if (FORBIDDEN_KEYS.has(k)) return { code: "forbidden-key", message: `key "${k}" is not allowed` };
          if (size + k.length + 3 > limits.maxBytes) return over();
          size += jsonStringBytes(k) + 1;
          stack.push({ v: v[k], depth: depth + 1 });
        }
      } else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
        return { code: "binary-not-allowed", message: "binary attachments are not part of the protocol" };
      } else {
        return { code: "invalid-message", message: "only plain JSON values are allowed" };
      }
    } else {
      return { code: "invalid-message", message: `a ${typeof v} is not JSON` };
    }
    if (size > limits.maxBytes) return over();
  }
  return size;
}

function pickRef(obj: Record<string, unknown>): Ref | undefined {
  const r = obj.ref;
  return ref.safeParse(r).success ? (r as Ref) : undefined;
}

function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return "invalid message";
  const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "(message)";
  return `${path}: ${issue.message}`.slice(0, 200);
}

/**
 * Checks one client message (the single argument of a "msg" event). Never throws.
 * `maxSignalBytes` bounds the opaque payload of a signal on its own.
 */
export function parseClientMessage(raw: unknown, limits: ShapeLimits & { maxSignalBytes: number }): ParseResult {
  if (ArrayBuffer.isView(raw) || raw instanceof ArrayBuffer) {
    return { ok: false, code: "binary-not-allowed", message: "binary attachments are not part of the protocol" };
  }
  if (!isPlainObject(raw)) {
    const what = raw === null ? "null" : Array.isArray(raw) ? "an array" : typeof raw;
    return { ok: false, code: "not-object", message: `a message is a JSON object, not ${what}` };
  }
  const ref = pickRef(raw);
  const shape = checkShape(raw, limits);
  if (typeof shape !== "number") return { ok: false, ...shape, ref };
  const type = raw.type;
  if (typeof type !== "string" || !Object.prototype.hasOwnProperty.call(SCHEMAS, type)) {
    const shown = typeof type === "string" ? JSON.stringify(type.slice(0, 32)) : typeof type;
    return { ok: false, code: "unknown-type", message: `unknown message type ${shown}`, ref };
  }
  const parsed = SCHEMAS[type as ClientMessageType].safeParse(raw);
  if (!parsed.success) return { ok: false, code: "invalid-message", message: describeIssue(parsed.error), ref };
  const msg = parsed.data;
  if (msg.type === "join" && msg.v !== PROTOCOL_VERSION) {
    return {
      ok: false,
      code: "unsupported-version",
      message: `protocol version ${msg.v} is not supported; this server speaks ${PROTOCOL_VERSION}`,
      ref,
    };
  }
  if (msg.type === "signal") {
    const dataSize = checkShape(msg.data, { maxBytes: limits.maxSignalBytes, maxDepth: limits.maxDepth });
    if (typeof dataSize !== "number") return { ok: false, ...dataSize, message: `signal data: ${dataSize.message}`, ref };
  }
  return { ok: true, msg };
}
