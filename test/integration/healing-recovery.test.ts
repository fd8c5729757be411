/** recoveryAfter: when a listener hears a voice again after a fault, from the voice's gaps. */
import { describe, expect, it } from "vitest";
import { recoveryAfter } from "@choirmesh/client/chaos/scenarios";

const F = 1_000_000 * 48; // fault at this absolute sample
const gap = (fromMs: number, toMs: number) => ({ startAbs: F + fromMs * 48, endAbs: F + toMs * 48, ms: toMs - fromMs });

describe("recoveryAfter", () => {
  it("is the end of the outage that began within the window after the fault", () => {
    expect(recoveryAfter([gap(-500, -480), gap(120, 300), gap(900, 920)], F)).toBe(300);
  });
  it("joins pieces of one outage split by less than 30 ms of sound", () => {
    expect(recoveryAfter([gap(100, 200), gap(220, 350), gap(500, 520)], F)).toBe(350);
    expect(recoveryAfter([gap(100, 200), gap(260, 350)], F)).toBe(200);
  });
  it("counts an outage already under way at the fault, and is 0 when none began", () => {
    expect(recoveryAfter([gap(-20, 80)], F)).toBe(80);
    expect(recoveryAfter([gap(600, 700)], F)).toBe(0);
    expect(recoveryAfter([], F)).toBe(0);
  });
});
