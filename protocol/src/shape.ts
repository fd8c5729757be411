/**
 * The server's boundary check of client messages: first their shape (plain JSON, exact size in
 * UTF-8 bytes, depth, no prototype keys, no binary), then their fields with zod. Nothing past
 * this check ever sees an unchecked client message. Never throws.
 */
import type { z } from "zod";
import { CLIENT_SCHEMAS, type ClientMessage, type ClientMessageType } from "./client-messages.js";
import type { ErrorCode } from "./error-codes.js";
import { PROTOCOL_VERSION, ref, type Ref } from "./fields.js";

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
  const msgRef = pickRef(raw);
  const shape = checkShape(raw, limits);
  if (typeof shape !== "number") return { ok: false, ...shape, ref: msgRef };
  const type = raw.type;
  if (typeof type !== "string" || !Object.prototype.hasOwnProperty.call(CLIENT_SCHEMAS, type)) {
    const shown = typeof type === "string" ? JSON.stringify(type.slice(0, 32)) : typeof type;
    return { ok: false, code: "unknown-type", message: `unknown message type ${shown}`, ref: msgRef };
  }
  const parsed = CLIENT_SCHEMAS[type as ClientMessageType].safeParse(raw);
  if (!parsed.success) return { ok: false, code: "invalid-message", message: describeIssue(parsed.error), ref: msgRef };
  const msg = parsed.data;
  if (msg.type === "join" && msg.v !== PROTOCOL_VERSION) {
    return {
      ok: false,
      code: "unsupported-version",
      message: `protocol version ${msg.v} is not supported; this server speaks ${PROTOCOL_VERSION}`,
      ref: msgRef,
    };
  }
  if (msg.type === "signal") {
    const dataSize = checkShape(msg.data, { maxBytes: limits.maxSignalBytes, maxDepth: limits.maxDepth });
    if (typeof dataSize !== "number") return { ok: false, ...dataSize, message: `signal data: ${dataSize.message}`, ref: msgRef };
  }
  return { ok: true, msg };
}
