import { describe, expect, it } from "vitest";
import { microphoneNotice, serverNotice } from "@choirmesh/client/web/messages";
import { ERROR_CODES } from "@choirmesh/protocol";

describe("what the singer reads", () => {
  it("names each microphone failure by what the singer can do", () => {
    expect(microphoneNotice({ name: "NotFoundError" })).toMatchObject({ code: "mic-missing", level: "error" });
    expect(microphoneNotice({ name: "NotAllowedError" })).toMatchObject({ code: "mic-denied" });
    expect(microphoneNotice({ name: "NotAllowedError" }).text).toMatch(/permission was denied/);
    expect(microphoneNotice({ name: "NotReadableError" })).toMatchObject({ code: "mic-busy" });
    expect(microphoneNotice({ name: "InsecureContext" })).toMatchObject({ code: "mic-insecure" });
    expect(microphoneNotice(new Error("boom"))).toMatchObject({ code: "mic-failed" });
    expect(microphoneNotice(undefined)).toMatchObject({ code: "mic-failed" });
  });

  it("has a sentence for every server error code", () => {
    for (const code of ERROR_CODES) {
      const n = serverNotice(code, "detail");
      expect(n.code).toBe(`server:${code}`);
      expect(n.text.length).toBeGreaterThan(20);
    }
    expect(serverNotice("room-full", "x").text).toMatch(/room is full/);
    expect(serverNotice("token-invalid", "x").text).toMatch(/token/);
    expect(serverNotice("join-rate-limited", "x").level).toBe("warn");
    expect(serverNotice("invalid-message", "name: too long").text).toContain("name: too long");
  });
});
