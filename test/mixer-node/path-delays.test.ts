/**
 * Geography on loopback at the node (runtime/path-delays.ts): the table of path delays by peer is
 * checked at the boundary and applied to the send side of each link to that peer, open or later.
 */
import { describe, expect, it } from "vitest";
import { PathDelays, checkPathDelays } from "@choirmesh/mixer-node/runtime/path-delays";
import type { PeerLink } from "@choirmesh/mixer-node/transport/peer-link";

/** The two things PathDelays uses of a link: impair() and its state events. */
function fakeLink() {
  const impaired: unknown[] = [];
  const listeners: ((s: string) => void)[] = [];
  const link = {
    impair: (spec: unknown) => void impaired.push(spec),
    on: (ev: string, fn: (s: string) => void) => {
      if (ev === "state") listeners.push(fn);
      return () => {};
    },
  };
  return { link: link as unknown as PeerLink, impaired, setState: (s: string) => listeners.forEach((f) => f(s)) };
}

describe("path delays", () => {
  it("rejects what is not a table of finite, non-negative delays in range", () => {
    for (const bad of [null, [], "x", { a: null }, { a: { delayMs: -1, jitterMs: 0 } }, { a: { delayMs: 1 } }, { a: { delayMs: Number.NaN, jitterMs: 0 } }, { a: { delayMs: 1001, jitterMs: 0 } }, { "": { delayMs: 1, jitterMs: 0 } }]) {
      expect(() => checkPathDelays(bad)).toThrow(RangeError);
    }
    expect(checkPathDelays({ a: { delayMs: 12.5, jitterMs: 2, extra: 1 } })).toEqual({ a: { delayMs: 12.5, jitterMs: 2 } });
  });

  it("applies a peer's path to links to it made before and after the entry, and to no other peer's", () => {
    const p = new PathDelays();
    const early = fakeLink();
    const other = fakeLink();
    p.attach("b", early.link);
    p.attach("c", other.link);
    expect(early.impaired).toEqual([]);
    p.set({ b: { delayMs: 20, jitterMs: 3 } });
    expect(early.impaired).toHaveLength(1);
    expect(early.impaired[0]).toMatchObject({ receive: { delayMs: 20, jitterMs: 3, reorder: false } });
    expect(other.impaired).toEqual([]);
    const later = fakeLink();
    p.attach("b", later.link);
    expect(later.impaired).toEqual([early.impaired[0]]);
    // A closed link is forgotten: a later change reaches only the open one.
    early.setState("closed");
    p.set({ b: { delayMs: 5, jitterMs: 0 } });
    expect(early.impaired).toHaveLength(1);
    expect(later.impaired).toHaveLength(2);
    expect(p.get("b")).toEqual({ delayMs: 5, jitterMs: 0 });
    expect(p.get("c")).toBeNull();
  });
});
