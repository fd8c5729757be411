/**
 * Error codes of the signaling protocol. Every refused message gets exactly one of these in an
 * `error` reply; docs/protocol.md lists them with their meaning.
 */
export const ERROR_CODES = [
  // Shape of the message
  "not-object",
  "binary-not-allowed",
  "too-large",
  "too-deep",
  "forbidden-key",
  "unknown-event",
  "unknown-type",
  "invalid-message",
  "unsupported-version",
  // Place in the conversation
  "not-joined",
  "already-joined",
  "not-neighbour",
  "peer-unavailable",
  "restore-refused",
  "resume-in-use",
  // Limits
  "rate-limited",
  "join-rate-limited",
  "room-full",
  "server-full",
  "address-limit",
  "flooding",
  "move-rate-limited",
  // Access
  "token-required",
  "token-invalid",
  "token-expired",
  "token-wrong-room",
  "dedicated-refused",
  // Our own fault
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base error of the signaling part: a code from ERROR_CODES and a human reason. */
export class SignalingError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "SignalingError";
    this.code = code;
  }
}

/** A message that failed validation at the boundary. */
export class ProtocolError extends SignalingError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = "ProtocolError";
  }
}

/** A join refused by the access rules (token) or a limit. */
export class AccessError extends SignalingError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = "AccessError";
  }
}

export function isSignalingError(e: unknown): e is SignalingError {
  return e instanceof SignalingError;
}
