/** The signaling server's errors: each carries one of the protocol's error codes. */
import type { ErrorCode } from "@choirmesh/protocol";
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
