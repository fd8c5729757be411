import { describe, expect, it } from "vitest";
import { browserFrameMs, mungeOpusSdp, opusFmtp, opusPayloadType } from "@choirmesh/client/web/sdp";

// The shape of a Chromium offer: Opus, RED, G722, PCMU/PCMA, CN, telephone-event; then a data channel.
const CHROME_OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "a=msid-semantic: WMS",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=ice-ufrag:abcd",
  "a=mid:0",
  "a=sendrecv",
  "a=rtpmap:111 opus/48000/2",
  "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:63 red/48000/2",
  "a=fmtp:63 111/111",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:13 CN/8000",
  "a=rtpmap:110 telephone-event/48000",
  "a=rtpmap:126 telephone-event/8000",
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
  "c=IN IP4 0.0.0.0",
  "a=mid:1",
  "a=sctp-port:5000",
  "",
].join("\r\n");

// The shape of a werift answer: Opus only, no fmtp, no ptime.
const WERIFT_ANSWER = [
  "v=0",
  "o=- 1 0 IN IP4 0.0.0.0",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "c=IN IP4 0.0.0.0",
  "a=mid:0",
  "a=sendrecv",
  "a=rtpmap:111 opus/48000/2",
  "a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
  "a=mid:1",
  "",
].join("\r\n");

const ROOM = { frameMs: 10, fec: true, bitrate: 64_000 };

describe("SDP munging for the room's Opus settings", () => {
  it("keeps only Opus in the audio section and sets frame length, FEC, mono and bitrate", () => {
    const out = mungeOpusSdp(CHROME_OFFER, ROOM);
    expect(out).toContain("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
    expect(out).not.toMatch(/a=rtpmap:(63|9|0|8|13|110|126) /);
    expect(out).not.toContain("a=fmtp:63");
    expect(out).toContain("a=rtcp-fb:111 transport-cc");
    expect(opusFmtp(out)).toEqual({ minptime: "10", useinbandfec: "1", stereo: "0", "sprop-stereo": "0", maxaveragebitrate: "64000" });
    expect(out).toMatch(/a=ptime:10\r\nm=application/);
    // The data channel section is untouched, and the SDP still ends with a line break.
    expect(out).toContain("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sctp-port:5000\r\n");
    expect(out.endsWith("\r\n")).toBe(true);
    expect(out.endsWith("\r\n\r\n")).toBe(false);
  });

  it("adds fmtp and ptime to an answer that has neither", () => {
    const out = mungeOpusSdp(WERIFT_ANSWER, { frameMs: 20, fec: false, bitrate: 32_000 });
    expect(opusFmtp(out)).toEqual({ minptime: "20", useinbandfec: "0", stereo: "0", "sprop-stereo": "0", maxaveragebitrate: "32000" });
    expect(out.match(/a=ptime:20/g)).toHaveLength(1);
    expect(out).toContain("a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host");
  });

  it("replaces an existing ptime and drops maxptime, and is idempotent", () => {
    const withPtime = CHROME_OFFER.replace("a=fmtp:111 minptime=10;useinbandfec=1", "a=fmtp:111 minptime=10;useinbandfec=1\r\na=ptime:20\r\na=maxptime:120");
    const once = mungeOpusSdp(withPtime, ROOM);
    expect(once.match(/a=ptime:/g)).toHaveLength(1);
    expect(once).toContain("a=ptime:10");
    expect(once).not.toContain("maxptime:");
    expect(mungeOpusSdp(once, ROOM)).toBe(once);
  });

  it("leaves an SDP without Opus alone", () => {
    const pcmu = "v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    expect(opusPayloadType(pcmu)).toBeNull();
    expect(mungeOpusSdp(pcmu, ROOM)).toBe(pcmu);
  });

  it("gives browsers their smallest frame at or above the room's", () => {
    expect([2.5, 5, 10, 20, 40, 60, 120].map(browserFrameMs)).toEqual([10, 10, 10, 20, 40, 60, 60]);
  });
});
