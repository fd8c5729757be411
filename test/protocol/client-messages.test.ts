import { describe, expect, it } from "vitest";
import { checkShape, parseClientMessage } from "@choirmesh/protocol";

const LIMITS = { maxBytes: 65_536, maxDepth: 8, maxSignalBytes: 32_768 };
const JOIN = { type: "join", v: 1, room: "choir", name: "Ann", section: "alto", canHub: false, uploadKbps: 800, hasVoice: true };

function nested(depth: number): unknown {
  let v: unknown = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe("parseClientMessage accepts every message of the protocol", () => {
  const good: unknown[] = [
    JOIN,
    { ...JOIN, ref: 7, dedicated: false, token: "t", resume: "r", latency: { rtts: [{ to: "nA1", rttMs: 12.5 }], location: { lat: 48.1, lon: 11.6 }, accessMs: 3 } },
    { type: "signal", to: "nA1", kind: "offer", data: { type: "offer", sdp: "v=0\r\n" } },
    { type: "signal", to: "nA1", kind: "candidate", data: { candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 } } },
    { type: "rtt", samples: [{ to: "nA1", rttMs: 0 }] },
    { type: "tree" },
    { type: "tree", room: "choir", token: "t", ref: "r1" },
    { type: "leave", ref: "bye" },
  ];
  it.each(good.map((m) => [JSON.stringify(m).slice(0, 60), m]))("%s", (_n, m) => {
    const r = parseClientMessage(m, LIMITS);
    expect(r).toEqual({ ok: true, msg: m });
  });
});

describe("parseClientMessage refuses bad input with the right code", () => {
  const proto = JSON.parse('{"type":"join","__proto__":{"admin":true}}');
  const ctor = JSON.parse('{"type":"tree","constructor":{"prototype":{"admin":true}}}');
  const cases: Array<[string, unknown, string]> = [
    ["a string", "join", "not-object"],
    ["a number", 42, "not-object"],
    ["null", null, "not-object"],
    ["an array", [JOIN], "not-object"],
    ["undefined", undefined, "not-object"],
    ["no type", { room: "x" }, "unknown-type"],
    ["numeric type", { type: 3 }, "unknown-type"],
    ["unknown type", { type: "promote" }, "unknown-type"],
    ["inherited type name", { type: "toString" }, "unknown-type"],
    ["__proto__ key", proto, "forbidden-key"],
    ["constructor key", ctor, "forbidden-key"],
    ["binary", { type: "signal", to: "n1", kind: "offer", data: { sdp: Buffer.from("x") } }, "binary-not-allowed"],
    ["too deep", { type: "signal", to: "n1", kind: "offer", data: nested(20) }, "too-deep"],
    ["too large", { ...JOIN, name: "x".repeat(70_000) }, "too-large"],
    ["signal data too large", { type: "signal", to: "n1", kind: "offer", data: { sdp: "x".repeat(40_000) } }, "too-large"],
    ["wrong version", { ...JOIN, v: 2 }, "unsupported-version"],
    ["no version", { ...JOIN, v: undefined }, "invalid-message"],
    ["name not a string", { ...JOIN, name: 5 }, "invalid-message"],
    ["empty name", { ...JOIN, name: "" }, "invalid-message"],
    ["name too long", { ...JOIN, name: "x".repeat(65) }, "invalid-message"],
    ["control character", { ...JOIN, name: "a\u0007b" }, "invalid-message"],
    ["room with slash", { ...JOIN, room: "../etc" }, "invalid-message"],
    ["empty room", { ...JOIN, room: "" }, "invalid-message"],
    ["canHub a string", { ...JOIN, canHub: "yes" }, "invalid-message"],
    ["negative upload", { ...JOIN, uploadKbps: -1 }, "invalid-message"],
    ["infinite upload", { ...JOIN, uploadKbps: Infinity }, "invalid-message"],
    ["latitude out of range", { ...JOIN, latency: { location: { lat: 91, lon: 0 } } }, "invalid-message"],
    ["too many rtt samples", { ...JOIN, latency: { rtts: Array.from({ length: 33 }, () => ({ to: "n1", rttMs: 1 })) } }, "invalid-message"],
    ["unknown join field", { ...JOIN, admin: true }, "invalid-message"],
    ["signal kind unknown", { type: "signal", to: "n1", kind: "exploit", data: {} }, "invalid-message"],
    ["signal data a string", { type: "signal", to: "n1", kind: "offer", data: "v=0" }, "invalid-message"],
    ["signal to a bad id", { type: "signal", to: "../x", kind: "offer", data: {} }, "invalid-message"],
    ["rtt empty", { type: "rtt", samples: [] }, "invalid-message"],
    ["rtt negative", { type: "rtt", samples: [{ to: "n1", rttMs: -5 }] }, "invalid-message"],
    ["leave with extra", { type: "leave", now: true }, "invalid-message"],
    ["ref an object", { type: "leave", ref: { a: 1 } }, "invalid-message"],
  ];
  it.each(cases)("%s", (_name, raw, code) => {
    const r = parseClientMessage(raw, LIMITS);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.message.length).toBeGreaterThan(0);
    }
  });

  it("echoes a valid ref in a refusal, and never an invalid one", () => {
    expect(parseClientMessage({ type: "nope", ref: "abc" }, LIMITS)).toMatchObject({ ok: false, ref: "abc" });
    const r = parseClientMessage({ type: "nope", ref: "x".repeat(100) }, LIMITS);
    expect(r.ok === false && r.ref).toBe(undefined);
  });

  it("does not pollute Object.prototype", () => {
    parseClientMessage(proto, LIMITS);
    parseClientMessage(ctor, LIMITS);
    expect(({} as Record<string, unknown>).admin).toBe(undefined);
  });
});

describe("checkShape", () => {
  it("measures small values and stops early on big ones", () => {
    expect(checkShape({ a: "xy" }, { maxBytes: 100, maxDepth: 4 })).toBe('{"a":"xy"}'.length);
    expect(checkShape(Array.from({ length: 1e6 }, () => 1), { maxBytes: 1000, maxDepth: 4 })).toMatchObject({ code: "too-large" });
  });
  it("counts exactly the UTF-8 bytes of JSON.stringify, escapes and surrogates included", () => {
    const strings = ["", "plain", 'q"uote\\', "\b\t\n\f\r\u0000\u001f\u007f", "é€𝄞", "\ud800", "a\udc00b", "\ud83c\udfb5", "\u2028", "€".repeat(50)];
    const values: unknown[] = [
      ...strings,
      ...strings.map((s) => ({ [s]: s })),
      [0, -0, 1.5, -1e21, 1e-7, 123456789012345680000, Number.MAX_SAFE_INTEGER, true, false, null],
      { type: "signal", to: "n1", kind: "offer", data: { sdp: "v=0\r\n".repeat(20), list: [[], {}, [1, [2, { x: "y" }]]] } },
      [],
      {},
    ];
    // A seeded run of random strings over the whole UTF-16 range.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200; i++) {
      let s = "";
      for (let j = 0; j < 20; j++) s += String.fromCharCode(Math.floor(rnd() * 0x10000));
      values.push({ [s.slice(0, 5)]: s, n: i });
    }
    for (const v of values) expect(checkShape(v, { maxBytes: 1e6, maxDepth: 8 }), JSON.stringify(v)).toBe(Buffer.byteLength(JSON.stringify(v), "utf8"));
  });
  it("counts depth from the top", () => {
    expect(typeof checkShape(nested(6), { maxBytes: 1e4, maxDepth: 8 })).toBe("number");
    expect(checkShape(nested(8), { maxBytes: 1e4, maxDepth: 8 })).toMatchObject({ code: "too-deep" });
  });
});
