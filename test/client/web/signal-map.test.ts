import { describe, expect, it } from "vitest";
import { fromSimplePeer, protocolKind, toSimplePeer } from "@choirmesh/client/web/signal-map";
import { parseSignal } from "@choirmesh/protocol";

const SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";

describe("signals between simple-peer and the Node links", () => {
  it("turns simple-peer's offer and candidates into link signals the Node side accepts", () => {
    const offer = fromSimplePeer({ type: "offer", sdp: SDP })!;
    expect(offer).toEqual({ kind: "offer", sdp: SDP });
    expect(protocolKind(offer)).toBe("offer");
    expect(parseSignal(offer, 65_536)).toEqual({ ok: true, signal: offer });
    const cand = fromSimplePeer({
      type: "candidate",
      candidate: { candidate: "candidate:1 1 udp 2122194687 192.0.2.2 34472 typ host generation 0", sdpMid: "0", sdpMLineIndex: 0 },
    })!;
    expect(cand).toEqual({ kind: "candidate", candidate: { candidate: "candidate:1 1 udp 2122194687 192.0.2.2 34472 typ host generation 0", sdpMid: "0", sdpMLineIndex: 0 } });
    expect(parseSignal(cand, 65_536).ok).toBe(true);
    expect(protocolKind({ kind: "bye" })).toBe("other");
    expect(protocolKind({ kind: "restart" })).toBe("other");
  });

  it("drops what a werift link does not take", () => {
    expect(fromSimplePeer({ type: "renegotiate", renegotiate: true })).toBeNull();
    expect(fromSimplePeer({ type: "transceiverRequest", transceiverRequest: { kind: "audio" } })).toBeNull();
    expect(fromSimplePeer({ type: "candidate", candidate: { candidate: "" } })).toBeNull();
    expect(fromSimplePeer("offer")).toBeNull();
    expect(fromSimplePeer({ type: "offer" })).toBeNull();
  });

  it("turns the hub's answer, candidates, bye and restart into actions", () => {
    expect(toSimplePeer({ kind: "answer", sdp: SDP })).toEqual({ action: "signal", data: { type: "answer", sdp: SDP } });
    expect(toSimplePeer({ kind: "candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5 typ host", sdpMid: "0", sdpMLineIndex: null } })).toEqual({
      action: "signal",
      data: { type: "candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5 typ host", sdpMid: "0", sdpMLineIndex: null } },
    });
    expect(toSimplePeer({ kind: "bye" })).toEqual({ action: "bye" });
    expect(toSimplePeer({ kind: "restart" })).toEqual({ action: "restart" });
  });

  it("refuses malformed signals with a reason", () => {
    const bad: unknown[] = [
      null,
      [],
      "answer",
      { kind: "answer" },
      { kind: "answer", sdp: "hello" },
      { kind: "answer", sdp: "v=0" + "x".repeat(70_000) },
      { kind: "candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5 typ host" } },
      { kind: "candidate", candidate: { candidate: 5, sdpMid: "0" } },
      { kind: "candidate", candidate: { candidate: "x".repeat(2000), sdpMid: "0" } },
      { kind: "teleport" },
    ];
    for (const b of bad) {
      const r = toSimplePeer(b);
      expect(r.action, JSON.stringify(b)?.slice(0, 80)).toBe("invalid");
      if (r.action === "invalid") expect(r.reason.length).toBeGreaterThan(5);
    }
  });
});
