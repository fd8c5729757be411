/**
 * The node's retry loop around the protocol's ReconnectPolicy (@choirmesh/protocol: one policy
 * and one fatal list for both clients). One policy instance serves one kind of repair; the node
 * keeps two apart:
 *   - "ice-restart": repairing a link in place (same peer, new ICE checks);
 *   - "signaling": reconnecting the socket to the signaling server (audio flows meanwhile).
 * Re-parenting (a new place in the tree) is not a retry: the server decides it.
 *
 * Retry is a thin timer adapter around a policy, so tests drive it with fake timers.
 */
import type { ReconnectPolicy, RetryContext } from "@choirmesh/protocol";

/** The two kinds of repair a node retries. */
export type RetryKind = "ice-restart" | "signaling";

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
