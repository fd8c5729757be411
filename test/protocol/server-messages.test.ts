import { describe, expect, it } from "vitest";
import { DEFAULT_MEDIA, parseServerMessage, type JoinedMessage } from "@choirmesh/protocol";

const joined: JoinedMessage = {
  type: "joined",
  v: 1,
  ref: "join-1",
  room: "demo",
  id: "n1",
  parent: null,
  backup: null,
  children: [],
  waiting: false,
  media: { ...DEFAULT_MEDIA },
  resumeToken: "tok",
  resumed: false,
  epoch: 3,
};

describe("parseServerMessage: the one check both clients run on what the server sends", () => {
  it("accepts every message type as the server builds them, and ignores fields it does not know", () => {
    const msgs = [
      joined,
      { type: "tree-update", parent: "n0", backup: null, children: ["n2"], waiting: false, reason: "repair", epoch: 4 },
      { type: "signal", from: "n0", kind: "offer", data: { kind: "offer", sdp: "v=0" } },
      { type: "tree", room: "demo", root: "n0", epoch: 1, nodes: [{ id: "n0", name: "a", section: "", parent: null, backup: null, children: [], depth: 0, waiting: false, hasVoice: true, canHub: true }] },
      { type: "left", ref: 7 },
      { type: "error", code: "room-full", message: "full", ref: "x" },
    ];
    for (const m of msgs) expect(parseServerMessage(m)).toEqual({ ok: true, msg: m });
    expect(parseServerMessage({ ...joined, future: 1 }).ok).toBe(true);
  });

  it("refuses what does not fit, with the field that is wrong, and never throws", () => {
    const bad: Array<[unknown, string]> = [
      [null, "?: (message)"],
      [{ type: "nope" }, "nope: type"],
      [{ ...joined, media: { ...DEFAULT_MEDIA, frameMs: 7 } }, "joined: media.frameMs"],
      [{ ...joined, children: ["ok", ""] }, "joined: children.1"],
      [{ ...joined, id: "x".repeat(65) }, "joined: id"],
      [{ type: "error", code: "made-up", message: "m" }, "error: code"],
      [{ type: "tree-update", parent: 5, backup: null, children: [], waiting: false, reason: "join", epoch: 0 }, "tree-update: parent"],
      [{ type: "signal", from: "n0", kind: "offer", data: "sdp" }, "signal: data"],
    ];
    for (const [m, where] of bad) {
      const r = parseServerMessage(m);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason.startsWith(where)).toBe(true);
    }
  });
});
