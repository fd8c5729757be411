import { describe, expect, it } from "vitest";
import { createResumeToken, createRoomToken, verifyResumeToken, verifyRoomToken } from "@choirmesh/signaling/tokens";

const T0 = Date.UTC(2025, 0, 1);

describe("room tokens", () => {
  const token = createRoomToken({ room: "choir", secret: "s3cret", ttlSec: 60, nowMs: T0 });

  it("verifies for its room until it expires", () => {
    expect(verifyRoomToken(token, "s3cret", "choir", T0)).toEqual({ ok: true, room: "choir", expiresAt: T0 + 60_000, node: undefined, dedicated: false });
    expect(verifyRoomToken(token, "s3cret", "choir", T0 + 59_999).ok).toBe(true);
    expect(verifyRoomToken(token, "s3cret", "choir", T0 + 60_000)).toMatchObject({ ok: false, code: "token-expired" });
  });

  it("refuses another room", () => {
    expect(verifyRoomToken(token, "s3cret", "choir2", T0)).toMatchObject({ ok: false, code: "token-wrong-room" });
  });

  it("refuses another secret and any tampering", () => {
    expect(verifyRoomToken(token, "other", "choir", T0)).toMatchObject({ ok: false, code: "token-invalid" });
    const [p, body, sig] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ k: "room", r: "choir", e: T0 / 1000 + 1e6 })).toString("base64url");
    expect(verifyRoomToken(`${p}.${forged}.${sig}`, "s3cret", "choir", T0)).toMatchObject({ ok: false, code: "token-invalid" });
    const flipped = sig!.slice(0, -1) + (sig!.endsWith("A") ? "B" : "A");
    expect(verifyRoomToken(`${p}.${body}.${flipped}`, "s3cret", "choir", T0)).toMatchObject({ ok: false, code: "token-invalid" });
    for (const junk of ["", "cm1", "cm1..", "a.b.c", "cm1.x.y.z", token + "x"]) {
      expect(verifyRoomToken(junk, "s3cret", "choir", T0)).toMatchObject({ ok: false, code: "token-invalid" });
    }
  });

  it("does not accept a resume token as a room token, nor the reverse", () => {
    const resume = createResumeToken({ room: "choir", node: "n1", secret: "s3cret", ttlSec: 60, nowMs: T0 });
    expect(verifyRoomToken(resume, "s3cret", "choir", T0)).toMatchObject({ ok: false, code: "token-invalid" });
    expect(verifyResumeToken(token, "s3cret", "choir", T0)).toMatchObject({ ok: false, code: "token-invalid" });
    expect(verifyResumeToken(resume, "s3cret", "choir", T0)).toMatchObject({ ok: true, node: "n1" });
  });

  it("needs a secret and a positive lifetime", () => {
    expect(() => createRoomToken({ room: "r", secret: "", ttlSec: 60 })).toThrow();
    expect(() => createRoomToken({ room: "r", secret: "s", ttlSec: 0 })).toThrow();
  });
});
