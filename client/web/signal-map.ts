/**
 * Translation between simple-peer's signal objects and the link signals the Node runtime speaks
 * (protocol/src/link-signal.ts, the same type), so that a browser and a werift hub can negotiate through
 * the signaling server. Pure: no DOM, no I/O.
 *
 *   simple-peer                                   link signal (the `data` of a protocol `signal`)
 *   { type: "offer" | "answer", sdp }        <->  { kind: "offer" | "answer", sdp }
 *   { type: "candidate", candidate: {...} }  <->  { kind: "candidate", candidate: { candidate, sdpMid, sdpMLineIndex } }
 *   { renegotiate } / { transceiverRequest }  ->  nothing (the singer's link never renegotiates)
 *                                                 { kind: "bye" }      the peer closed the link on purpose
 *                                                 { kind: "restart" }  the answerer asks for an ICE restart
 */

import type { CandidateInit, Signal as LinkSignal } from "@choirmesh/protocol";

export type { LinkSignal };

/** The protocol `signal` message's `kind` for a link signal. */
export function protocolKind(s: LinkSignal): "offer" | "answer" | "candidate" | "other" {
  return s.kind === "offer" || s.kind === "answer" || s.kind === "candidate" ? s.kind : "other";
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** simple-peer's outgoing signal as a link signal; null for what a werift link does not take. */
export function fromSimplePeer(data: unknown): LinkSignal | null {
  if (!isObj(data)) return null;
  if ((data.type === "offer" || data.type === "answer") && typeof data.sdp === "string") {
    return { kind: data.type, sdp: data.sdp };
  }
  if (data.type === "candidate" && isObj(data.candidate) && typeof data.candidate.candidate === "string") {
    const c = data.candidate;
    // An empty candidate marks the end of gathering; the Node side needs no such marker.
    if (c.candidate === "") return null;
    return {
      kind: "candidate",
      candidate: {
        candidate: c.candidate as string,
        sdpMid: typeof c.sdpMid === "string" ? c.sdpMid : null,
        sdpMLineIndex: typeof c.sdpMLineIndex === "number" ? c.sdpMLineIndex : null,
        ...(typeof c.usernameFragment === "string" ? { usernameFragment: c.usernameFragment } : {}),
      },
    };
  }
  return null;
}

export type IncomingSignal =
  | { action: "signal"; data: { type: "answer" | "offer"; sdp: string } | { type: "candidate"; candidate: CandidateInit } }
  | { action: "bye" }
  | { action: "restart" }
  | { action: "invalid"; reason: string };

/** A link signal from the parent, checked, as what simple-peer's `signal()` takes. */
export function toSimplePeer(data: unknown, maxSdpChars = 65_536): IncomingSignal {
  if (!isObj(data)) return { action: "invalid", reason: "signal data is not an object" };
  switch (data.kind) {
    case "offer":
    case "answer":
      if (typeof data.sdp !== "string" || !data.sdp.startsWith("v=0")) return { action: "invalid", reason: `${data.kind} without an SDP` };
      if (data.sdp.length > maxSdpChars) return { action: "invalid", reason: `${data.kind} SDP too long` };
      return { action: "signal", data: { type: data.kind, sdp: data.sdp } };
    case "candidate": {
      const c = data.candidate;
      if (!isObj(c) || typeof c.candidate !== "string" || c.candidate.length > 1024) return { action: "invalid", reason: "bad candidate" };
      const mid = typeof c.sdpMid === "string" ? c.sdpMid : null;
      const idx = typeof c.sdpMLineIndex === "number" && Number.isInteger(c.sdpMLineIndex) ? c.sdpMLineIndex : null;
      if (mid === null && idx === null) return { action: "invalid", reason: "candidate needs sdpMid or sdpMLineIndex" };
      return { action: "signal", data: { type: "candidate", candidate: { candidate: c.candidate, sdpMid: mid, sdpMLineIndex: idx } } };
    }
    case "bye":
      return { action: "bye" };
    case "restart":
      return { action: "restart" };
    default:
      return { action: "invalid", reason: `unknown signal kind ${JSON.stringify(String(data.kind)).slice(0, 40)}` };
  }
}
