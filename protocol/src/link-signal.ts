/**
 * The signals a link exchanges with its peer through the signaling server (the `data` of a
 * protocol `signal` message), one definition for the Node runtime and the browser.
 * They are plain JSON. What comes from the peer is untrusted: `parseSignal`
 * checks shape and sizes and never throws.
 */
/** Longest ICE candidate line accepted from a peer, characters. */
export const MAX_CANDIDATE_CHARS = 1024;

export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export type Signal =
  | { kind: "offer"; sdp: string }
  | { kind: "answer"; sdp: string }
  | { kind: "candidate"; candidate: CandidateInit }
  /** Sent by an answerer that wants the offerer to restart ICE (only offerers restart). */
  | { kind: "restart" }
  /** Sent by a link that closes on purpose, so the peer need not wait for ICE consent to expire. */
  | { kind: "bye" };

export type SignalCheck = { ok: true; signal: Signal } | { ok: false; reason: string };

export function parseSignal(input: unknown, maxSdpChars: number): SignalCheck {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, reason: `signal must be an object, got ${describe(input)}` };
  }
  const o = input as Record<string, unknown>;
  switch (o.kind) {
    case "offer":
    case "answer": {
      const sdp = o.sdp;
      if (typeof sdp !== "string") return { ok: false, reason: `${o.kind}.sdp must be a string` };
      if (sdp.length > maxSdpChars) return { ok: false, reason: `${o.kind}.sdp longer than ${maxSdpChars}` };
      // Cheap structural checks before werift's parser sees it.
      if (!sdp.startsWith("v=0") || !/\r?\nm=audio /.test(sdp)) {
        return { ok: false, reason: `${o.kind}.sdp is not an SDP with an audio section` };
      }
      return { ok: true, signal: { kind: o.kind, sdp } };
    }
    case "candidate": {
      const c = o.candidate;
      if (typeof c !== "object" || c === null) return { ok: false, reason: "candidate must be an object" };
      const cand = c as Record<string, unknown>;
      if (typeof cand.candidate !== "string") return { ok: false, reason: "candidate.candidate must be a string" };
      if (cand.candidate.length > MAX_CANDIDATE_CHARS) return { ok: false, reason: "candidate.candidate too long" };
      if (cand.candidate !== "" && !/^(a=)?candidate:\S+ \d+ (udp|tcp) \d+ \S+ \d+ typ \w+/i.test(cand.candidate)) {
        return { ok: false, reason: "candidate.candidate is not an ICE candidate line" };
      }
      const mid = cand.sdpMid;
      if (mid !== undefined && mid !== null && (typeof mid !== "string" || mid.length > 32)) {
        return { ok: false, reason: "candidate.sdpMid must be a short string" };
      }
      const idx = cand.sdpMLineIndex;
      if (idx !== undefined && idx !== null && !(Number.isInteger(idx) && (idx as number) >= 0 && (idx as number) < 16)) {
        return { ok: false, reason: "candidate.sdpMLineIndex must be a small integer" };
      }
      if (cand.candidate !== "" && (mid === undefined || mid === null) && (idx === undefined || idx === null)) {
        return { ok: false, reason: "candidate needs sdpMid or sdpMLineIndex" };
      }
      const ufrag = cand.usernameFragment;
      if (ufrag !== undefined && ufrag !== null && (typeof ufrag !== "string" || ufrag.length > 256)) {
        return { ok: false, reason: "candidate.usernameFragment must be a short string" };
      }
      return {
        ok: true,
        signal: {
          kind: "candidate",
          candidate: {
            candidate: cand.candidate,
            sdpMid: (mid as string | null | undefined) ?? null,
            sdpMLineIndex: (idx as number | null | undefined) ?? null,
            ...(typeof ufrag === "string" ? { usernameFragment: ufrag } : {}),
          },
        },
      };
    }
    case "restart":
    case "bye":
      return { ok: true, signal: { kind: o.kind } };
    default:
      return { ok: false, reason: `unknown signal kind ${describe(o.kind)}` };
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  return typeof v;
}
