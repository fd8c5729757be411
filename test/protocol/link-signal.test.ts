import { describe, expect, it } from "vitest";
import { SafeEmitter } from "@choirmesh/common/events";
import { parseSignal } from "@choirmesh/protocol";

const SDP = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
const CANDIDATE = "candidate:626da4e5 1 udp 2116026367 127.0.0.1 37840 typ host generation 0 ufrag 8162";

describe("parseSignal", () => {
  it("accepts every well-formed kind and copies only known fields", () => {
    expect(parseSignal({ kind: "offer", sdp: SDP, extra: 1 }, 65536)).toEqual({
      ok: true,
      signal: { kind: "offer", sdp: SDP },
    });
    expect(parseSignal({ kind: "answer", sdp: SDP }, 65536)).toEqual({ ok: true, signal: { kind: "answer", sdp: SDP } });
    expect(parseSignal({ kind: "candidate", candidate: { candidate: CANDIDATE, sdpMid: "0", evil: true } }, 65536)).toEqual({
      ok: true,
      signal: { kind: "candidate", candidate: { candidate: CANDIDATE, sdpMid: "0", sdpMLineIndex: null } },
    });
    expect(parseSignal({ kind: "candidate", candidate: { candidate: "", sdpMLineIndex: 0 } }, 65536).ok).toBe(true);
    expect(parseSignal({ kind: "restart" }, 65536)).toEqual({ ok: true, signal: { kind: "restart" } });
    expect(parseSignal({ kind: "bye" }, 65536)).toEqual({ ok: true, signal: { kind: "bye" } });
  });

  it.each([
    ["null", null, "must be an object, got null"],
    ["a number", 42, "must be an object, got number"],
    ["a string", "offer", `must be an object, got "offer"`],
    ["an array", [], "must be an object, got array"],
    ["no kind", {}, "unknown signal kind undefined"],
    ["an unknown kind", { kind: "hello" }, 'unknown signal kind "hello"'],
    ["an offer without sdp", { kind: "offer" }, "offer.sdp must be a string"],
    ["an sdp that is not one", { kind: "answer", sdp: "garbage" }, "not an SDP with an audio section"],
    ["an sdp too long", { kind: "offer", sdp: SDP + "a=x\r\n".repeat(20) }, "longer than 100"],
    ["a candidate that is a string", { kind: "candidate", candidate: CANDIDATE }, "candidate must be an object"],
    ["a candidate line of garbage", { kind: "candidate", candidate: { candidate: "x", sdpMid: "0" } }, "not an ICE candidate line"],
    ["a candidate without mid or index", { kind: "candidate", candidate: { candidate: CANDIDATE } }, "needs sdpMid or sdpMLineIndex"],
    ["a bad sdpMLineIndex", { kind: "candidate", candidate: { candidate: CANDIDATE, sdpMLineIndex: -1 } }, "sdpMLineIndex"],
    ["a huge candidate", { kind: "candidate", candidate: { candidate: "a".repeat(5000), sdpMid: "0" } }, "too long"],
  ])("rejects %s", (_name, input, reason) => {
    const r = parseSignal(input, 100);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

class Probe extends SafeEmitter<{ ping: [n: number]; error: [e: unknown] }> {
  caught: [string, unknown][] = [];
  emitPing(n: number) {
    this.safeEmit("ping", n);
  }
  protected override onListenerError(event: "ping" | "error", err: unknown): void {
    this.caught.push([event, err]);
  }
}

describe("SafeEmitter", () => {
  it("runs every listener even when one throws, and reports the exception", () => {
    const p = new Probe();
    const seen: number[] = [];
    const boom = new Error("boom");
    p.on("ping", () => {
      throw boom;
    });
    p.on("ping", (n) => seen.push(n));
    expect(() => p.emitPing(1)).not.toThrow();
    expect(seen).toEqual([1]);
    expect(p.caught).toEqual([["ping", boom]]);
  });

  it("unsubscribes, including during an emit, and once fires once", () => {
    const p = new Probe();
    const seen: string[] = [];
    const offA = p.on("ping", () => {
      seen.push("a");
      offA();
    });
    p.once("ping", (n) => seen.push(`once${n}`));
    p.on("ping", (n) => seen.push(`b${n}`));
    p.emitPing(1);
    p.emitPing(2);
    expect(seen).toEqual(["a", "once1", "b1", "b2"]);
    expect(p.listenerCount("ping")).toBe(1);
    p.removeAllListeners();
    expect(p.listenerCount("ping")).toBe(0);
  });
});
