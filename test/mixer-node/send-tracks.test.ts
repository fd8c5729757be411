import { describe, expect, it } from "vitest";
import { TrackNumbering } from "@choirmesh/mixer-node/transport/send-tracks";
import { offeredExtraTracks } from "@choirmesh/mixer-node/runtime/browser-tracks";

describe("a browser's forwarded tracks", () => {
  it("counts the audio m-lines of an offer beyond the first", () => {
    const m = (n: number) => ["v=0", ...Array.from({ length: n }, (_, i) => `m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:${i}`)].join("\r\n");
    expect(offeredExtraTracks(m(1))).toBe(0);
    expect(offeredExtraTracks(m(5))).toBe(4);
    expect(offeredExtraTracks("v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel")).toBe(0);
    expect(offeredExtraTracks(undefined)).toBe(0);
    expect(offeredExtraTracks(42)).toBe(0);
  });

  it("keeps one track's numbering continuous when the stream on its level changes origin", () => {
    const t = new TrackNumbering();
    t.map(7, 65534, 4294966816, 480);
    const seq0 = t.seq;
    const ts0 = t.ts;
    expect(t.marker).toBe(true);
    // The origin's own numbers wrap: the track follows them step for step.
    t.map(7, 65535, 0, 480);
    expect(t.marker).toBe(false);
    expect(t.seq).toBe((seq0 + 1) & 0xffff);
    expect(t.ts).toBe((ts0 + 480) >>> 0);
    t.map(7, 1, 960, 480); // seq 0 lost upstream: a gap of one on the track too
    expect(t.seq).toBe((seq0 + 3) & 0xffff);
    expect(t.ts).toBe((ts0 + 3 * 480) >>> 0);
    // A late packet of the same origin maps back where it belongs and moves nothing on.
    t.map(7, 0, 480, 480);
    expect(t.seq).toBe((seq0 + 2) & 0xffff);
    // A new origin (the tree moved above): it continues from the last packet sent, marked.
    t.map(9, 12345, 999, 480);
    expect(t.marker).toBe(true);
    expect(t.seq).toBe((seq0 + 4) & 0xffff);
    expect(t.ts).toBe((ts0 + 4 * 480) >>> 0);
    t.map(9, 12346, 999 + 480, 480);
    expect(t.seq).toBe((seq0 + 5) & 0xffff);
    expect(t.ts).toBe((ts0 + 5 * 480) >>> 0);
  });
});
