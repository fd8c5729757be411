import { describe, expect, it } from "vitest";
import { retryDelayMs } from "@choirmesh/client/web/retry";
import { BROWSER_RETRY, DefaultReconnectPolicy, ERROR_CODES, FATAL_JOIN_CODES } from "@choirmesh/protocol";

const policy = (r: number) => new DefaultReconnectPolicy({ ...BROWSER_RETRY, random: () => r });

describe("the browser singer's retries (the protocol's policy with the browser's table)", () => {
  it("waits longer each attempt, then keeps the last wait", () => {
    const waits = [0, 1, 2, 3, 4, 5, 9, 50].map((attempt) => retryDelayMs(policy(0.5), attempt, "link"));
    expect(waits).toEqual([300, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
  });

  it("jitters by ±20 %", () => {
    expect(retryDelayMs(policy(0), 1, "socket")).toBe(800);
    expect(retryDelayMs(policy(0.999999), 1, "socket")).toBe(1200);
  });

  it("gives up on refusals that waiting cannot cure, and retries the rest", () => {
    for (const code of FATAL_JOIN_CODES) expect(retryDelayMs(policy(0.5), 0, `join:${code}`)).toBeNull();
    for (const code of ["join-rate-limited", "internal", "rate-limited", "resume-in-use", "address-limit"]) {
      expect(retryDelayMs(policy(0.5), 0, `join:${code}`)).toBe(300);
    }
    // Every fatal code is a real server code.
    for (const code of FATAL_JOIN_CODES) expect(ERROR_CODES as readonly string[]).toContain(code);
  });
});
