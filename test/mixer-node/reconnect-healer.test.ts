/**
 * Failure detection (LinkMonitor) and the healer's decisions (LinkHealer) with fake links and
 * fake timers: when a stalled link is reported, when ICE restarts run (policy), when a move is
 * requested, and what a starved process does not do.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientMessage } from "@choirmesh/protocol";
import { LinkHealer, type HealedLink, type HealingEvent } from "@choirmesh/mixer-node/runtime/healing";
import { LinkMonitor } from "@choirmesh/mixer-node/runtime/link-monitor";
import { DefaultReconnectPolicy } from "@choirmesh/protocol";
import type { PeerLink } from "@choirmesh/mixer-node/transport/peer-link";

const OPTS = { silenceMs: 120, reparentAfterMs: 500, setupAllowanceMs: 3000 };

describe("LinkMonitor", () => {
  it("is ok while packets come, stalled after silenceMs, lost after reparentAfterMs", () => {
    const m = new LinkMonitor(OPTS, 0);
    expect(m.assess(100)).toBe("waiting");
    m.lastRxMs = 1000;
    expect(m.assess(1010)).toBe("ok");
    expect(m.assess(1119)).toBe("ok");
    expect(m.assess(1120)).toBe("stalled");
    expect(m.assess(1499)).toBe("stalled");
    expect(m.assess(1500)).toBe("lost");
    m.lastRxMs = 1600;
    expect(m.assess(1601)).toBe("ok");
    expect(m.toJSON(1601)).toMatchObject({ verdict: "ok", stalls: 1 });
  });

  it("gives a new link its setup allowance before silence counts", () => {
    const m = new LinkMonitor(OPTS, 0);
    expect(m.assess(3000 + 119)).toBe("waiting");
    expect(m.assess(3000 + 120)).toBe("stalled");
    m.reset(5000);
    expect(m.assess(5000 + 3000)).toBe("waiting");
  });

  it("counts ICE disconnected as stalled at once and failed for reparentAfterMs as lost", () => {
    const m = new LinkMonitor(OPTS, 0);
    m.lastRxMs = 0;
    m.noteState("disconnected", 10);
    expect(m.assess(20)).toBe("stalled");
    m.noteState("connected", 30);
    m.lastRxMs = 30;
    expect(m.assess(40)).toBe("ok");
    m.noteState("failed", 50);
    m.lastRxMs = 500; // media still trickling (e.g. through a relay) does not hide a failed ICE for long
    expect(m.assess(540)).toBe("stalled");
    expect(m.assess(550)).toBe("lost");
  });
});

class FakeLink {
  restarts = 0;
  restartIce(): boolean {
    this.restarts++;
    return true;
  }
}

function setup(opts: { selfStallHoldMs?: number } = {}) {
  const now = () => performance.now();
  const parent = { peer: "P", link: new FakeLink() as unknown as PeerLink, monitor: new LinkMonitor(OPTS, now()) } satisfies HealedLink;
  const child = { peer: "C", link: new FakeLink() as unknown as PeerLink, monitor: new LinkMonitor(OPTS, now()) } satisfies HealedLink;
  parent.monitor.lastRxMs = now();
  child.monitor.lastRxMs = now();
  const sent: ClientMessage[] = [];
  const events: HealingEvent[] = [];
  const healer = new LinkHealer(
    { parentLink: () => parent, childLinks: () => [child], send: (m) => sent.push(m), note: (e) => events.push(e) },
    {
      checkEveryMs: 20,
      selfStallHoldMs: opts.selfStallHoldMs ?? 2000,
      icePolicy: new DefaultReconnectPolicy({ delaysMs: [250, 500, 1000], jitter: 0, maxElapsedMs: 10_000 }),
    },
  );
  return { parent, child, sent, events, healer };
}

describe("LinkHealer under fake timers", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a silent parent: reported without move at 120 ms, ICE restarts on the policy, move at 500 ms", async () => {
    const { parent, child, sent, healer } = setup();
    healer.start();
    // The child link keeps carrying media throughout.
    const feed = setInterval(() => (child.monitor.lastRxMs = performance.now()), 10);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(40);
    expect(sent).toEqual([{ type: "link-lost", peer: "P" }]);
    const restarts = () => (parent.link as unknown as FakeLink).restarts;
    expect(restarts()).toBe(0);
    await vi.advanceTimersByTimeAsync(260);
    expect(restarts()).toBe(1);
    await vi.advanceTimersByTimeAsync(120);
    expect(sent).toEqual([{ type: "link-lost", peer: "P" }, { type: "link-lost", peer: "P", move: true }]);
    await vi.advanceTimersByTimeAsync(500);
    expect(restarts()).toBe(2);
    // Media comes back: the episode ends, restarts stop.
    const back = setInterval(() => (parent.monitor.lastRxMs = performance.now()), 10);
    await vi.advanceTimersByTimeAsync(100);
    const n = restarts();
    await vi.advanceTimersByTimeAsync(5000);
    expect(restarts()).toBe(n);
    expect(sent).toHaveLength(2);
    expect(healer.toJSON()).toMatchObject({ stalls: 1, recoveries: 1, moves: 1 });
    clearInterval(feed);
    clearInterval(back);
    healer.stop();
  });

  it("a silent child is reported (the server removes it if its socket is gone) but never moved nor restarted", async () => {
    const { parent, child, sent, healer } = setup();
    healer.start();
    const feed = setInterval(() => (parent.monitor.lastRxMs = performance.now()), 10);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toEqual([{ type: "link-lost", peer: "C" }]);
    expect((child.link as unknown as FakeLink).restarts).toBe(0);
    clearInterval(feed);
    healer.stop();
  });

  it("a process that itself stalled asks for no move until the hold has passed", () => {
    const { parent, child, sent, healer } = setup({ selfStallHoldMs: 2000 });
    // Driven by hand: t is this process's clock; rounds every 20 ms.
    const t0 = performance.now();
    let t = t0;
    const round = (dt: number, feedChild = true) => {
      t += dt;
      if (feedChild) child.monitor.lastRxMs = t;
      healer.tick(t);
    };
    parent.monitor.lastRxMs = t0;
    round(20);
    // A 300 ms stall of this process: its timer comes late; no packet was read meanwhile.
    round(300, false);
    for (let i = 0; i < 40; i++) round(20); // 800 ms more: the parent stays silent
    expect(sent.filter((m) => m.type === "link-lost" && "move" in m)).toEqual([]);
    expect(sent).toContainEqual({ type: "link-lost", peer: "P" });
    for (let i = 0; i < 75; i++) round(20); // past the 2 s hold
    expect(sent.filter((m) => m.type === "link-lost" && "move" in m)).toEqual([{ type: "link-lost", peer: "P", move: true }]);
    expect(healer.toJSON()).toMatchObject({ selfStalls: 1 });
    healer.stop();
  });
});
