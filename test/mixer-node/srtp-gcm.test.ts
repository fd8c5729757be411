import { describe, expect, it } from "vitest";
import { guessRoc, MAX_DISORDER, payloadOffset, writeIv, writeIvFromPacket } from "@choirmesh/mixer-node/transport/srtp-gcm";

describe("SRTP-GCM arithmetic of the direct path", () => {
  it("guesses the rollover counter across the wrap, both ways, and not otherwise", () => {
    expect(guessRoc(3, 0xfff0, 5)).toBe(4); // past the wrap
    expect(guessRoc(4, 5, 0xfff0)).toBe(3); // a late packet from before it
    expect(guessRoc(0, 5, 0xfff0)).toBe(0); // no counter below 0
    expect(guessRoc(7, 1000, 1001)).toBe(7);
    expect(guessRoc(7, 0xffff - MAX_DISORDER, 5)).toBe(7); // not close enough to the wrap
    expect(guessRoc(0xffffffff, 0xffff, 0)).toBe(0); // the counter itself wraps
  });

  it("builds the IV as salt XOR (SSRC, ROC, SEQ), the same from the sender's base and from a received header", () => {
    const salt = Buffer.from("000102030405060708090a0b", "hex");
    const ssrc = 0x11223344;
    const base = Buffer.from(salt);
    base.writeUInt32BE((base.readUInt32BE(2) ^ ssrc) >>> 0, 2);
    const a = Buffer.alloc(12);
    writeIv(a, base, 0x01020304, 0xbeef);
    const packet = Buffer.alloc(12);
    packet[0] = 0x80;
    packet.writeUInt16BE(0xbeef, 2);
    packet.writeUInt32BE(ssrc, 8);
    const b = Buffer.alloc(12);
    writeIvFromPacket(b, salt, packet, 0, 0x01020304);
    expect(a.toString("hex")).toBe(b.toString("hex"));
    expect(a.toString("hex")).toBe(expectedIv(salt, ssrc, 0x01020304, 0xbeef));
  });

  it("finds the payload after the CSRCs and a header extension, and refuses a header that runs past the packet", () => {
    const p = Buffer.alloc(40);
    p[0] = 0x80 | 0x10 | 2; // extension, 2 CSRCs
    p.writeUInt16BE(3, 12 + 8 + 2); // extension of 3 words
    expect(payloadOffset(p, 0, 40, 12)).toBe(12 + 8 + 4 + 12);
    p[0] = 0x80;
    expect(payloadOffset(p, 0, 40, 12)).toBe(12);
    p[0] = 0x80 | 0x10 | 7;
    expect(payloadOffset(p, 0, 40, 12)).toBe(-1);
  });
});

function expectedIv(salt: Buffer, ssrc: number, roc: number, seq: number): string {
  const iv = Buffer.from(salt);
  const x = Buffer.alloc(12);
  x.writeUInt32BE(ssrc, 2);
  x.writeUInt32BE(roc, 6);
  x.writeUInt16BE(seq, 10);
  for (let i = 0; i < 12; i++) iv[i] ^= x[i];
  return iv.toString("hex");
}
