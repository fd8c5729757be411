/**
 * What the singer reads when something goes wrong (or right). One code per situation, so that
 * the page, its tests and the logs speak of the same thing. Pure.
 */

export type NoticeCode =
  | "mic-missing"
  | "mic-denied"
  | "mic-busy"
  | "mic-insecure"
  | "mic-failed"
  | "webrtc-missing"
  | "connecting"
  | "joined-waiting"
  | "linking"
  | "singing"
  | "socket-lost"
  | "parent-lost"
  | "link-retry"
  | "left"
  | `server:${string}`;

export type NoticeLevel = "info" | "ok" | "warn" | "error";

export interface Notice {
  code: NoticeCode;
  level: NoticeLevel;
  text: string;
}

const SERVER_TEXT: Record<string, string> = {
  "token-required": "This room needs a room token. Paste the token the director gave you and join again.",
  "token-invalid": "The room token was not accepted (it is not a valid token for this server). Check it with the director.",
  "token-expired": "The room token has expired. Ask the director for a new one.",
  "token-wrong-room": "This token is for another room. Check the room name or ask the director for the right token.",
  "room-full": "The room is full: no more singers can join it right now.",
  "server-full": "The server is at its limit of rooms. Try again later.",
  "join-rate-limited": "Too many joins from your address just now; trying again in a moment.",
  "rate-limited": "Too many messages to the server; slowing down.",
  "flooding": "The server closed the connection: this page sent too many messages. Reconnecting…",
  "address-limit": "Too many connections or rooms from your address just now (a shared network?). Trying again in a moment.",
  "resume-in-use": "The server still holds your earlier connection; taking your place back in a moment.",
  "dedicated-refused": "Joining as a dedicated hub needs a token that allows it.",
  "unsupported-version": "This page is out of date for the server. Reload the page.",
  "invalid-message": "The server refused the request: ",
};

/** The notice for a server `error` reply. */
export function serverNotice(code: string, serverMessage: string): Notice {
  const known = SERVER_TEXT[code];
  const text = known === undefined ? `The server refused: ${serverMessage} (${code})` : code === "invalid-message" ? known + serverMessage : known;
  const level: NoticeLevel = ["join-rate-limited", "rate-limited", "flooding", "address-limit", "resume-in-use"].includes(code) ? "warn" : "error";
  return { code: `server:${code}`, level, text };
}

/** getUserMedia's failures, by DOMException name, as something a singer can act on. */
export function microphoneNotice(err: unknown): Notice {
  const name = typeof err === "object" && err !== null && "name" in err ? String((err as { name: unknown }).name) : "";
  switch (name) {
    case "NotFoundError":
    case "OverconstrainedError":
    case "DevicesNotFoundError":
      return { code: "mic-missing", level: "error", text: "No microphone was found. Connect one (or enable it in your system settings) and join again." };
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return { code: "mic-denied", level: "error", text: "Microphone permission was denied. Allow the microphone for this site (the icon in the address bar) and join again." };
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return { code: "mic-busy", level: "error", text: "The microphone could not be opened: another application may be using it." };
    case "InsecureContext":
      return { code: "mic-insecure", level: "error", text: "The microphone is only available on a secure page (https:// or localhost)." };
    default:
      return { code: "mic-failed", level: "error", text: `The microphone could not be opened${name ? ` (${name})` : ""}.` };
  }
}

export const NOTICES = {
  webrtcMissing: { code: "webrtc-missing", level: "error", text: "This browser has no WebRTC: use a current Chrome, Edge, Firefox or Safari." },
  connecting: { code: "connecting", level: "info", text: "Connecting to the choir…" },
  waiting: { code: "joined-waiting", level: "info", text: "You are in the room. Waiting for a hub with a free place…" },
  linking: { code: "linking", level: "info", text: "Connecting your audio to your hub…" },
  singing: { code: "singing", level: "ok", text: "Connected: you are singing with the choir." },
  socketLost: { code: "socket-lost", level: "warn", text: "Connection to the server lost. Reconnecting…" },
  parentLost: { code: "parent-lost", level: "warn", text: "Your hub went away. Reconnecting you to the choir…" },
  linkRetry: { code: "link-retry", level: "warn", text: "The audio connection to your hub failed. Reconnecting…" },
  left: { code: "left", level: "info", text: "You left the room." },
} as const satisfies Record<string, Notice>;
