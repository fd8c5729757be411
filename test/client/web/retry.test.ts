import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_DELAYS_MS, FATAL_JOIN_CODES, RETRY_JITTER, defaultRetryPolicy } from "@choirmesh/client/web/retry";
import { ERROR_CODES } from "@choirmesh/protocol";

describe("the browser singer's retry policy", () => {
  it("waits longer each attempt, then keeps the last wait", () => {
    const mid = () => 0.5;
    const waits = [0, 1, 2, 3, 4, 5, 9, 50].map((attempt) => defaultRetryPolicy({ attempt, reason: "link", random: mid }));
    expect(waits).toEqual([300, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
  });

  it("jitters by ±20 %", () => {
    for (const [r, factor] of [[0, 1 - RETRY_JITTER], [1, 1 + RETRY_JITTER]] as const) {
      expect(defaultRetryPolicy({ attempt: 1, reason: "socket", random: () => r })).toBe(Math.round(DEFAULT_RETRY_DELAYS_MS[1] * factor));
    }
  });

  it("gives up on refusals that waiting cannot cure, and retries the rest", () => {
    for (const code of FATAL_JOIN_CODES) expect(defaultRetryPolicy({ attempt: 0, reason: `join:${code}` })).toBeNull();
    for (const code of ["join-rate-limited", "internal", "rate-limited"]) {
      expect(defaultRetryPolicy({ attempt: 0, reason: `join:${code}`, random: () => 0.5 })).toBe(300);
    }
    // Every fatal code is a real server code.
    for (const code of FATAL_JOIN_CODES) expect(ERROR_CODES as readonly string[]).toContain(code);
  });
});
