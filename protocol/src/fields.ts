/** Field schemas shared by the messages of both directions. */
import { z } from "zod";
import { PROTOCOL_LIMITS as L } from "./media.js";

export const PROTOCOL_VERSION = 1;
/** The only socket.io event name of the protocol, both directions. */
export const SIGNALING_EVENT = "msg";

/** A node's id in a room, given by the server. */
export type NodeId = string;

// Display strings end up in logs and on pages: no control characters (C0, DEL, C1), no lone
// surrogates, no line or paragraph separators, no bidirectional overrides or isolates (which
// reorder what a log line or a page shows).
const printable = /^[^\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/u;
export const text = (max: number) => z.string().max(max).regex(printable, "control characters, lone surrogates and bidirectional controls are not allowed");

export const ref = z.union([z.string().max(L.refMaxLen), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);
export const nodeId = z.string().min(1).max(L.nodeIdMaxLen).regex(/^[A-Za-z0-9_-]+$/, "not a node id");
export const roomNameSchema = z
  .string()
  .min(1)
  .max(L.roomMaxLen)
  .regex(/^[A-Za-z0-9_.-]+$/, "room names use letters, digits, '_', '.' and '-'");
export const token = z.string().min(1).max(L.tokenMaxLen);
export const rttMs = z.number().min(0).max(L.maxRttMs);


export type Ref = string | number;
