import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HEALING_DEFAULTS } from "@choirmesh/mixer-node/runtime/healing-defaults";
import { classifyFailure, DefaultReconnectPolicy, type RetryContext } from "@choirmesh/protocol";
import { Retry } from "@choirmesh/mixer-node/runtime/reconnect-policy";

const ctx = (attempt: number, elapsedMs = 0, errorCode?: string): RetryContext => ({ kind: "signaling", attempt, elapsedMs, ...(errorCode ? { errorCode } : {}) });

describe("DefaultReconnectPolicy", () => {
  it("walks the delay table and repeats its last entry", () => {
    const p = new DefaultReconnectPolicy({ delaysMs: [10, 100, 1000], jitter: 0, maxElapsedMs: Infinity });
    expect([0, 1, 2, 3, 7].map((a) => p.nextRetryDelayMs(ctx(a)))).toEqual([10, 100, 1000, 1000, 1000]);
  });

  it("spreads each delay by at most ±jitter", () => {
    const lo = new DefaultReconnectPolicy({ delaysMs: [1000], jitter: 0.2, random: () => 0 });
    const hi = new DefaultReconnectPolicy({ delaysMs: [1000], jitter: 0.2, random: () => 0.999999 });
    const mid = new DefaultReconnectPolicy({ delaysMs: [1000], jitter: 0.2, random: () => 0.5 });
    expect(lo.nextRetryDelayMs(ctx(0))).toBe(800);
    expect(hi.nextRetryDelayMs(ctx(0))).toBe(1200);
    expect(mid.nextRetryDelayMs(ctx(0))).toBe(1000);
  });

  it("gives up after maxAttempts, after maxElapsedMs, and rather than wait past it", () => {
    const p = new DefaultReconnectPolicy({ delaysMs: [500], jitter: 0, maxAttempts: 3, maxElapsedMs: 2000 });
    expect(p.nextRetryDelayMs(ctx(2, 0))).toBe(500);
    expect(p.nextRetryDelayMs(ctx(3, 0))).toBeNull();
    expect(p.nextRetryDelayMs(ctx(0, 2000))).toBeNull();
    expect(p.nextRetryDelayMs(ctx(0, 1400))).toBe(500);
    expect(p.nextRetryDelayMs(ctx(0, 1600))).toBeNull();
  });

  it("stops at once on a fatal error and keeps going on a retryable one", () => {
    const p = new DefaultReconnectPolicy({ jitter: 0 });
    expect(p.nextRetryDelayMs(ctx(0, 0, "token-expired"))).toBeNull();
    expect(p.nextRetryDelayMs(ctx(0, 0, "rate-limited"))).toBe(HEALING_DEFAULTS.signalingRetry.delaysMs[0]);
    expect(classifyFailure("room-full")).toBe("fatal");
    expect(classifyFailure("peer-unavailable")).toBe("retryable");
    expect(classifyFailure(undefined)).toBe("retryable");
  });

  it("refuses a table without entries and a jitter outside 0..1", () => {
    expect(() => new DefaultReconnectPolicy({ delaysMs: [] })).toThrow(RangeError);
    expect(() => new DefaultReconnectPolicy({ jitter: 1.5 })).toThrow(RangeError);
  });
});

describe("Retry (timer adapter) under fake timers", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const policy = new DefaultReconnectPolicy({ delaysMs: [0, 100, 400], jitter: 0, maxElapsedMs: 1000 });

  it("attempts on the policy's schedule until one succeeds", async () => {
    const times: number[] = [];
    const t0 = Date.now();
    const r = new Retry("ice-restart", policy, { attempt: (n) => (times.push(Date.now() - t0), n === 2) }, () => Date.now());
    r.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(times).toEqual([0]);
    await vi.advanceTimersByTimeAsync(99);
    expect(times).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([0, 100]);
    await vi.advanceTimersByTimeAsync(400);
    expect(times).toEqual([0, 100, 500]);
    expect(r.active).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(times).toHaveLength(3);
  });

  it("gives up when the policy says so and reports the context", async () => {
    let gaveUp: RetryContext | null = null;
    let attempts = 0;
    const r = new Retry("ice-restart", policy, { attempt: () => (attempts++, false), onGiveUp: (c) => (gaveUp = c) }, () => Date.now());
    r.start();
    await vi.advanceTimersByTimeAsync(10_000);
    // 0, 100, 500 and 900 ms; the next (1300 ms) would pass maxElapsedMs.
    expect(attempts).toBe(4);
    expect(gaveUp).toMatchObject({ kind: "ice-restart", attempt: 4, elapsedMs: 900 });
    expect(r.active).toBe(false);
  });

  it("stops on a fatal error code thrown by an attempt", async () => {
    const p = new DefaultReconnectPolicy({ delaysMs: [50], jitter: 0 });
    let attempts = 0;
    let gaveUp = false;
    const r = new Retry(
      "signaling",
      p,
      {
        attempt: () => {
          attempts++;
          throw Object.assign(new Error("refused"), { code: "token-invalid" });
        },
        onGiveUp: () => (gaveUp = true),
      },
      () => Date.now(),
    );
    r.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(attempts).toBe(1);
    expect(gaveUp).toBe(true);
  });

  it("stop() cancels the pending attempt", async () => {
    let attempts = 0;
    const r = new Retry("signaling", policy, { attempt: () => (attempts++, false) }, () => Date.now());
    r.start();
    await vi.advanceTimersByTimeAsync(50);
    expect(attempts).toBe(1);
    r.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(attempts).toBe(1);
    expect(r.active).toBe(false);
  });
});
