/**
 * When to try again, as an injectable policy: `nextRetryDelayMs(context)` returns the wait
 * before the next attempt, or null to stop. Errors are sorted into fatal (the singer must act:
 * a bad token, a full room) and retryable (the network). Pure; tested with fake clocks.
 */

export type RetryReason =
  /** The signaling socket dropped (socket.io reconnects by itself; we rejoin after). */
  | "socket"
  /** The WebRTC link to the parent failed or never connected. */
  | "link"
  /** The parent closed our link and no new place came from the server. */
  | "orphan"
  /** The server refused the join with this error code. */
  | `join:${string}`;

export interface RetryContext {
  /** Attempts already made for this trouble (0 before the first retry). */
  attempt: number;
  reason: RetryReason;
  /** 0..1; default Math.random. */
  random?: () => number;
}

export type RetryPolicy = (ctx: RetryContext) => number | null;

/** Join refusals that waiting does not cure: the singer has to change something. */
export const FATAL_JOIN_CODES: ReadonlySet<string> = new Set([
  "token-required",
  "token-invalid",
  "token-expired",
  "token-wrong-room",
  "dedicated-refused",
  "room-full",
  "server-full",
  "unsupported-version",
  "invalid-message",
  "already-joined",
]);

/** Waits, ms, before attempts 1, 2, 3, ...; the last repeats forever (a singer wants back in). */
export const DEFAULT_RETRY_DELAYS_MS = [300, 1000, 2000, 4000, 8000] as const;

/** ±20 % jitter, so that a room's singers do not come back all at once after a server restart. */
export const RETRY_JITTER = 0.2;

export const defaultRetryPolicy: RetryPolicy = ({ attempt, reason, random = Math.random }) => {
  if (reason.startsWith("join:") && FATAL_JOIN_CODES.has(reason.slice(5))) return null;
  const table = DEFAULT_RETRY_DELAYS_MS;
  const base = table[Math.min(Math.max(0, attempt), table.length - 1)];
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
};
