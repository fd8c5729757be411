/**
 * Signed, expiring tokens: room tokens (permission to join one room) and resume tokens (a
 * node's claim on its old id after a reconnect).
 *
 * Format: `cm1.<payload>.<signature>`, both base64url; the payload is JSON
 * `{k: "room" | "resume", r: room, e: expiry (unix seconds), n?: node id, d?: true}` (`d`: its
 * bearer may join as a dedicated hub) and the signature is
 * HMAC-SHA256 over `cm1.<payload>`. The kind is signed too, so one kind never passes for the other.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ErrorCode } from "@choirmesh/protocol";

const PREFIX = "cm1";

export type TokenKind = "room" | "resume";

interface Payload {
  k: TokenKind;
  r: string;
  e: number;
  n?: string;
  d?: true;
}

export type TokenCheck =
  | { ok: true; room: string; expiresAt: number; node?: string; dedicated: boolean }
  | { ok: false; code: Extract<ErrorCode, "token-invalid" | "token-expired" | "token-wrong-room">; message: string };

function sign(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body).digest("base64url");
}

function encode(secret: string, payload: Payload): string {
  const body = `${PREFIX}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${body}.${sign(secret, body)}`;
}

export interface RoomTokenOptions {
  room: string;
  secret: string;
  /** Lifetime in seconds. */
  ttlSec: number;
  /** Clock in ms, for tests. Default Date.now(). */
  nowMs?: number;
  /** The bearer may join as a dedicated hub (the top of the tree). Default false. */
  dedicated?: boolean;
}

/** A token that lets its bearer join `room` until it expires. */
export function createRoomToken(o: RoomTokenOptions): string {
  if (!o.secret) throw new Error("a room token needs a secret");
  if (!(o.ttlSec > 0)) throw new Error("ttlSec must be positive");
  const now = o.nowMs ?? Date.now();
  return encode(o.secret, { k: "room", r: o.room, e: Math.floor(now / 1000 + o.ttlSec), ...(o.dedicated ? { d: true as const } : {}) });
}

/** A token that gives `node` its id (and place, while it is kept) in `room` back. */
export function createResumeToken(o: RoomTokenOptions & { node: string }): string {
  const now = o.nowMs ?? Date.now();
  return encode(o.secret, { k: "resume", r: o.room, n: o.node, e: Math.floor(now / 1000 + o.ttlSec), ...(o.dedicated ? { d: true as const } : {}) });
}

function decode(token: string, secret: string): Payload | TokenCheck {
  const bad = (message: string): TokenCheck => ({ ok: false, code: "token-invalid", message });
  if (typeof token !== "string") return bad("not a token");
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) return bad("malformed token");
  const expected = Buffer.from(sign(secret, `${parts[0]}.${parts[1]}`));
  const given = Buffer.from(parts[2]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return bad("bad token signature");
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    return bad("malformed token payload");
  }
  const o = p as Partial<Payload> | null;
  if (
    typeof o !== "object" ||
    o === null ||
    (o.k !== "room" && o.k !== "resume") ||
    typeof o.r !== "string" ||
    typeof o.e !== "number" ||
    (o.n !== undefined && typeof o.n !== "string") ||
    (o.d !== undefined && o.d !== true)
  ) {
    return bad("malformed token payload");
  }
  return o as Payload;
}

function check(token: string, secret: string, kind: TokenKind, room: string, nowMs: number): TokenCheck {
  const p = decode(token, secret);
  if ("ok" in p) return p;
  if (p.k !== kind) return { ok: false, code: "token-invalid", message: `not a ${kind} token` };
  if (p.r !== room) return { ok: false, code: "token-wrong-room", message: "token is for another room" };
  if (nowMs / 1000 >= p.e) return { ok: false, code: "token-expired", message: "token expired" };
  return { ok: true, room: p.r, expiresAt: p.e * 1000, node: p.n, dedicated: p.d === true };
}

/** Checks a room token for `room`: signature, then kind, then room, then expiry. */
export function verifyRoomToken(token: string, secret: string, room: string, nowMs = Date.now()): TokenCheck {
  return check(token, secret, "room", room, nowMs);
}

export function verifyResumeToken(token: string, secret: string, room: string, nowMs = Date.now()): TokenCheck {
  const r = check(token, secret, "resume", room, nowMs);
  if (r.ok && !r.node) return { ok: false, code: "token-invalid", message: "resume token without a node" };
  return r;
}
