/** Token buckets for the server's limits: per socket (messages) and per key (joins per address). */
import type { RateLimit } from "./defaults.js";

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly burst: number,
    private readonly perSec: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSec);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
  full(now: number): boolean {
    return this.tokens + ((now - this.last) / 1000) * this.perSec >= this.burst;
  }
}

/** One bucket per key; buckets that have refilled are forgotten by prune(). */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  constructor(private readonly limit: RateLimit) {}
  take(key: string, now: number): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.limit.burst, this.limit.perSec, now);
      this.buckets.set(key, b);
    }
    return b.take(now);
  }
  prune(now: number): void {
    for (const [k, b] of this.buckets) if (b.full(now)) this.buckets.delete(k);
  }
  get size(): number {
    return this.buckets.size;
  }
}
