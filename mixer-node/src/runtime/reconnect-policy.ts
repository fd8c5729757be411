/**
 * When to try again after a failure, as an injectable policy (the shape LiveKit's client uses):
 * `nextRetryDelayMs(context)` returns the wait before the next attempt, or null to give up.
 * One policy instance serves one kind of repair; the node keeps two apart:
 *   - "ice-restart": repairing a link in place (same peer, new ICE checks);
 *   - "signaling": reconnecting the socket to the signaling server (audio flows meanwhile).
 * Re-parenting (a new place in the tree) is not a retry: the server decides it.
 *
 * Retry is a thin timer adapter around a policy, so tests drive it with fake timers.
 */
import { HEALING_DEFAULTS } from "./healing-defaults.js";

export type RetryKind = "ice-restart" | "signaling";

/** Errors that retrying cannot cure end the loop at once. */
export type FailureClass = "retryable" | "fatal";

export interface RetryContext {
  kind: RetryKind;
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

/** Signaling refusals that a retry cannot change (docs/protocol.md, error codes). */
export const FATAL_SIGNALING_CODES: readonly string[] = HEALING_DEFAULTS.signalingRetry.fatalCodes;

export function classifyFailure(code: string | undefined, fatalCodes: readonly string[] = FATAL_SIGNALING_CODES): FailureClass {
  return code !== undefined && fatalCodes.includes(code) ? "fatal" : "retryable";
}

export class DefaultReconnectPolicy implements ReconnectPolicy {
  readonly options: Readonly<DefaultReconnectPolicyOptions>;

  constructor(options: Partial<DefaultReconnectPolicyOptions> = {}) {
    const o = { ...HEALING_DEFAULTS.signalingRetry, random: Math.random, ...options };
    if (o.delaysMs.length === 0) throw new RangeError("delaysMs needs at least one entry");
    if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError(`jitter must be in 0..1: ${o.jitter}`);
    this.options = o;
  }

  nextRetryDelayMs(ctx: RetryContext): number | null {
    const o = this.options;
    if (classifyFailure(ctx.errorCode, o.fatalCodes) === "fatal") return null;
    if (ctx.attempt >= o.maxAttempts || ctx.elapsedMs >= o.maxElapsedMs) return null;
    const base = o.delaysMs[Math.min(ctx.attempt, o.delaysMs.length - 1)];
    const spread = base * o.jitter * (2 * o.random() - 1);
    const delay = Math.max(0, Math.round(base + spread));
    // Never wait past the give-up point only to give up then.
    return ctx.elapsedMs + delay > o.maxElapsedMs ? null : delay;
  }
}

export interface RetryEvents {
  /** Called for each attempt; resolve true when it worked, false (or throw) when not. */
  attempt: (attempt: number) => Promise<boolean> | boolean;
  /** The loop gave up (policy returned null). */
  onGiveUp?: (ctx: RetryContext) => void;
}

/**
 * Runs attempts on the policy's schedule until one succeeds, the policy gives up, or stop().
 * `now` and the timer functions are the real ones unless injected.
 */
export class Retry {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private startedAt = 0;
  private attempts = 0;
  private lastCode: string | undefined;
  private running = false;

  constructor(
    private readonly kind: RetryKind,
    private readonly policy: ReconnectPolicy,
    private readonly events: RetryEvents,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get active(): boolean {
    return this.running;
  }

  get attemptCount(): number {
    return this.attempts;
  }

  /** Starts the loop (no-op when running). The first attempt comes after the policy's first delay. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.now();
    this.attempts = 0;
    this.lastCode = undefined;
    this.schedule();
  }

  /** The failure is over (or no longer ours to fix). */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Records why the last attempt failed (e.g. a refusal code), for the policy's give-up rule. */
  noteError(code: string): void {
    this.lastCode = code;
  }

  private context(): RetryContext {
    return { kind: this.kind, attempt: this.attempts, elapsedMs: this.now() - this.startedAt, ...(this.lastCode ? { errorCode: this.lastCode } : {}) };
  }

  private schedule(): void {
    const ctx = this.context();
    const delay = this.policy.nextRetryDelayMs(ctx);
    if (delay === null) {
      this.running = false;
      this.events.onGiveUp?.(ctx);
      return;
    }
    this.timer = setTimeout(() => void this.fire(), delay);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async fire(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    const n = this.attempts++;
    let ok = false;
    try {
      ok = await this.events.attempt(n);
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      if (typeof code === "string") this.lastCode = code;
    }
    if (!this.running) return;
    if (ok) {
      this.running = false;
      return;
    }
    this.schedule();
  }
}
