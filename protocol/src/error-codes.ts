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
  // The server's side
  /** A signaling server of a cluster cannot reach the room store (Redis): nothing changed, try again. */
  "unavailable",
  // Our own fault
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
