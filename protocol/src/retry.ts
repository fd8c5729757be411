/**
 * When to try again after a failure, as an injectable policy (the shape LiveKit's client uses):
 * `nextRetryDelayMs(context)` returns the wait before the next attempt, or null to give up.
 * Errors are sorted into fatal (the singer or operator must change something: a bad token, a full
 * room) and retryable (the network, a limit that passes). One policy and one fatal list serve
 * both clients: the node runtime (which also repairs links with it) and the browser singer.
 * Pure; the timer loop around it is the client's (mixer-node's Retry, the page's session).
 */
import type { ErrorCode } from "./error-codes.js";

/** Join refusals that waiting does not cure: retrying them is pointless. */
export const FATAL_JOIN_CODES: readonly ErrorCode[] = Object.freeze([
  "token-required",
  "token-invalid",
  "token-expired",
  "token-wrong-room",
  "dedicated-refused",
  "unsupported-version",
  "room-full",
  "server-full",
  "invalid-message",
  // A second join on a socket that already joined: a client bug, the same join fails again.
  "already-joined",
]);

export type FailureClass = "retryable" | "fatal";

export interface RetryContext {
  /** Which trouble this is ("signaling", "ice-restart", "link", ...), for logs and policies that care. */
  kind: string;
  /** Attempts made so far (0 before the first). */
  attempt: number;
  /** Time since the failure was first noticed, ms. */
  elapsedMs: number;
  /** Why the last attempt failed, when known (a code such as "token-invalid"). */
  errorCode?: string;
}

export interface ReconnectPolicy {
  /** Wait before the next attempt, ms, or null to stop trying. */
  nextRetryDelayMs(context: RetryContext): number | null;
}

export interface DefaultReconnectPolicyOptions {
  /** Base delay of attempt i (the last entry repeats). */
  delaysMs: readonly number[];
  /** Each delay is spread uniformly by ±jitter of itself (0..1). */
  jitter: number;
  /** Give up once this long has passed since the failure, ms (Infinity = never). */
  maxElapsedMs: number;
  /** Give up after this many attempts (Infinity = never). */
  maxAttempts: number;
  /** Error codes after which retrying is pointless. */
  fatalCodes: readonly string[];
  /** Random source in [0, 1) (tests pass a fixed one). */
  random: () => number;
}

/** A node's reconnection to the signaling server (audio flows meanwhile). */
export const SIGNALING_RETRY: Readonly<Omit<DefaultReconnectPolicyOptions, "random">> = Object.freeze({
  delaysMs: [150, 300, 600, 1200, 2400, 5000],
  jitter: 0.6,
  maxElapsedMs: 600_000,
  maxAttempts: Infinity,
  fatalCodes: FATAL_JOIN_CODES,
});

/**
 * The browser singer's rejoin: slower at first (a page has one singer, not a room of nodes),
 * ±20 % so that a room's singers do not come back all at once after a server restart, and
 * never giving up on its own (a singer wants back in).
 */
export const BROWSER_RETRY: Readonly<Omit<DefaultReconnectPolicyOptions, "random">> = Object.freeze({
  delaysMs: [300, 1000, 2000, 4000, 8000],
  jitter: 0.2,
  maxElapsedMs: Infinity,
  maxAttempts: Infinity,
  fatalCodes: FATAL_JOIN_CODES,
});

export function classifyFailure(code: string | undefined, fatalCodes: readonly string[] = FATAL_JOIN_CODES): FailureClass {
  return code !== undefined && fatalCodes.includes(code) ? "fatal" : "retryable";
}

export class DefaultReconnectPolicy implements ReconnectPolicy {
  readonly options: Readonly<DefaultReconnectPolicyOptions>;

  constructor(options: Partial<DefaultReconnectPolicyOptions> = {}) {
    const o = { ...SIGNALING_RETRY, random: Math.random, ...options };
    if (o.delaysMs.length === 0) throw new RangeError("delaysMs needs at least one entry");
    if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError(`jitter must be in 0..1: ${o.jitter}`);
    this.options = o;
  }

  nextRetryDelayMs(ctx: RetryContext): number | null {
    const o = this.options;
    if (classifyFailure(ctx.errorCode, o.fatalCodes) === "fatal") return null;
    if (ctx.attempt >= o.maxAttempts || ctx.elapsedMs >= o.maxElapsedMs) return null;
    const base = o.delaysMs[Math.min(Math.max(0, ctx.attempt), o.delaysMs.length - 1)];
    const spread = base * o.jitter * (2 * o.random() - 1);
    const delay = Math.max(0, Math.round(base + spread));
    // Never wait past the give-up point only to give up then.
    return ctx.elapsedMs + delay > o.maxElapsedMs ? null : delay;
  }
}
