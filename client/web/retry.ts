/**
 * The page's use of the protocol's retry policy (@choirmesh/protocol: the same policy and fatal
 * list as the node runtime's, with the browser's table, BROWSER_RETRY). A refusal's code decides
 * whether to retry at all; the session keeps the timer. Pure.
 */
import { BROWSER_RETRY, DefaultReconnectPolicy, type ReconnectPolicy } from "@choirmesh/protocol";

export type RetryReason =
  /** The signaling socket dropped (socket.io reconnects by itself; we rejoin after). */
  | "socket"
  /** The WebRTC link to the parent failed or never connected. */
  | "link"
  /** The parent closed our link and no new place came from the server. */
  | "orphan"
  /** The server refused the join with this error code. */
  | `join:${string}`;

export const browserRetryPolicy: ReconnectPolicy = new DefaultReconnectPolicy(BROWSER_RETRY);

/** The wait before attempt `attempt + 1` for this trouble, ms, or null: do not retry. */
export function retryDelayMs(policy: ReconnectPolicy, attempt: number, reason: RetryReason): number | null {
  const errorCode = reason.startsWith("join:") ? reason.slice(5) : undefined;
  return policy.nextRetryDelayMs({ kind: reason, attempt, elapsedMs: 0, ...(errorCode !== undefined ? { errorCode } : {}) });
}
