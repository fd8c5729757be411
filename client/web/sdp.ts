/**
 * SDP munging for the singer's one audio stream (pure functions, no DOM).
 *
 * Browsers take their Opus settings from the session description: the frame length from
 * `a=ptime` (and `minptime` in the codec's fmtp), in-band FEC from `useinbandfec=1`, the
 * bitrate from `maxaveragebitrate`. The page applies the room's media settings to its own
 * offer (what it asks to receive) and to the hub's answer before the browser reads it (what
 * the browser will send: the encoder follows the remote description).
 */
import { BROWSER_OPUS_FRAME_MS } from "./defaults.js";

export interface OpusSdpSettings {
  /** The room's frame length, ms (2.5 and 5 become 10 in a browser). */
  frameMs: number;
  fec: boolean;
  /** bit/s */
  bitrate: number;
}

/** The frame length a browser will actually use for a room's frame length. */
export function browserFrameMs(roomFrameMs: number): number {
  for (const f of BROWSER_OPUS_FRAME_MS) if (f >= roomFrameMs) return f;
  return BROWSER_OPUS_FRAME_MS[BROWSER_OPUS_FRAME_MS.length - 1];
}

/** The Opus payload type of the first audio section, or null. */
export function opusPayloadType(sdp: string): number | null {
  const m = /^a=rtpmap:(\d+) opus\/48000(?:\/\d)?\s*$/im.exec(sdp);
  return m ? Number(m[1]) : null;
}

function setParams(fmtp: string, set: Record<string, string>): string {
  const params = fmtp
    .split(";")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const p of params) {
    const key = p.split("=")[0].trim().toLowerCase();
    if (key in set) {
      if (!seen.has(key)) out.push(`${key}=${set[key]}`);
      seen.add(key);
    } else out.push(p);
  }
  for (const [k, v] of Object.entries(set)) if (!seen.has(k)) out.push(`${k}=${v}`);
  return out.join(";");
}

/**
 * Keeps only Opus in the audio section and sets its frame length, FEC and bitrate. Other media
 * sections and all other lines are left as they are. Returns the SDP unchanged when it has no
 * Opus codec.
 */
export function mungeOpusSdp(sdp: string, s: OpusSdpSettings): string {
  const pt = opusPayloadType(sdp);
  if (pt === null) return sdp;
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(/\r?\n/);
  const ptime = browserFrameMs(s.frameMs);
  const params: Record<string, string> = {
    minptime: String(ptime),
    useinbandfec: s.fec ? "1" : "0",
    stereo: "0",
    "sprop-stereo": "0",
    maxaveragebitrate: String(Math.round(s.bitrate)),
  };
  const out: string[] = [];
  let inAudio = false;
  let sawFmtp = false;
  let sawPtime = false;
  const finishAudio = () => {
    if (!inAudio) return;
    if (!sawFmtp) out.push(`a=fmtp:${pt} ${setParams("", params)}`);
    if (!sawPtime) out.push(`a=ptime:${ptime}`);
  };
  for (const line of lines) {
    if (line.startsWith("m=")) {
      finishAudio();
      inAudio = line.startsWith("m=audio ");
      sawFmtp = false;
      sawPtime = false;
      if (inAudio) {
        // m=audio <port> <proto> <payload types...>: Opus only.
        const parts = line.split(" ");
        out.push([...parts.slice(0, 3), String(pt)].join(" "));
        continue;
      }
      out.push(line);
      continue;
    }
    if (inAudio) {
      const codecLine = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)[ \s]?(.*)$/.exec(line);
      if (codecLine && Number(codecLine[2]) !== pt) continue;
      if (codecLine && codecLine[1] === "fmtp") {
        sawFmtp = true;
        out.push(`a=fmtp:${pt} ${setParams(codecLine[3], params)}`);
        continue;
      }
      if (/^a=ptime:/.test(line)) {
        sawPtime = true;
        out.push(`a=ptime:${ptime}`);
        continue;
      }
      if (/^a=maxptime:/.test(line)) continue;
      if (line === "" ) continue;
    }
    out.push(line);
  }
  finishAudio();
  // Keep the trailing line break SDP parsers expect.
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out.join(eol) + eol;
}

/** The fmtp parameters of the Opus codec, lower-cased keys (tests, the stats panel). */
export function opusFmtp(sdp: string): Record<string, string> | null {
  const pt = opusPayloadType(sdp);
  if (pt === null) return null;
  const m = new RegExp(`^a=fmtp:${pt} (.*)$`, "m").exec(sdp);
  if (!m) return {};
  const out: Record<string, string> = {};
  for (const p of m[1].trim().split(";")) {
    const [k, v] = p.trim().split("=");
    if (k) out[k.toLowerCase()] = v ?? "";
  }
  return out;
}
