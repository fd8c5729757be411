import { describe, expect, it } from "vitest";
import { ParentSwitch, type AnnounceFacts, type ParentSwitchOptions } from "@choirmesh/mixer-node/runtime/parent-switch";

const OPTS: ParentSwitchOptions = { makeBeforeBreak: true, settleMs: 100, timeoutMs: 4000, quietMs: 30 };

function machine(opts: Partial<ParentSwitchOptions> = {}) {
  const calls: string[] = [];
  const sw = new ParentSwitch(
    { ...OPTS, ...opts },
    {
      open: (p, s) => calls.push(`open ${p}${s ? " (standby)" : ""}`),
      drop: (p) => calls.push(`drop ${p}`),
      begin: (p, s) => calls.push(`begin ${p}${s ? " (standby)" : ""}`),
      complete: (o, p, heard) => calls.push(`complete ${o}->${p} ${heard ? "heard" : "unheard"}`),
      cancel: (p) => calls.push(`cancel ${p}`),
    },
  );
  const take = () => calls.splice(0);
  return { sw, take };
}
const healthy: AnnounceFacts = { parentHealthy: () => true, standby: null };
const dead: AnnounceFacts = { parentHealthy: () => false, standby: null };

describe("ParentSwitch: the states of a node's upward link", () => {
  it("none -> attached -> none", () => {
    const { sw, take } = machine();
    expect(sw.state).toEqual({ kind: "none" });
    sw.announce("a", healthy, 0);
    expect(take()).toEqual(["open a"]);
    expect(sw.state).toEqual({ kind: "attached", parent: "a" });
    sw.announce("a", healthy, 1);
    expect(take()).toEqual([]);
    sw.announce(null, healthy, 2);
    expect(take()).toEqual(["drop a"]);
    expect(sw.parent).toBeNull();
  });

  it("a planned move is made before it is broken, and completes once the new media flowed settleMs", () => {
    const { sw, take } = machine();
    sw.announce("a", healthy, 0);
    take();
    sw.announce("b", healthy, 1000);
    expect(take()).toEqual(["begin b"]);
    expect(sw.state).toEqual({ kind: "switching", parent: "a", incoming: "b", startedMs: 1000 });
    expect([sw.parent, sw.wanted, sw.incoming]).toEqual(["a", "b", "b"]);
    sw.tick(1100, 1095); // no packet of b yet
    sw.noteIncomingPacket(1150);
    sw.noteIncomingPacket(1160); // only the first arrival counts
    expect(sw.incomingHeard).toBe(true);
    sw.tick(1249, 1245);
    expect(take()).toEqual([]);
    sw.tick(1250, 1245);
    expect(take()).toEqual(["complete a->b heard"]);
    expect(sw.state).toEqual({ kind: "attached", parent: "b" });
  });

  it("completes at once when the old parent falls quiet after the new media started", () => {
    const { sw, take } = machine();
    sw.announce("a", healthy, 0);
    sw.announce("b", healthy, 0);
    take();
    sw.noteIncomingPacket(500);
    sw.tick(510, 480); // a spoke 30 ms ago: not yet quiet
    expect(take()).toEqual([]);
    sw.tick(520, 480);
    expect(take()).toEqual(["complete a->b heard"]);
  });

  it("completes unheard after timeoutMs, or when the old link ends", () => {
    const t = machine();
    t.sw.announce("a", healthy, 0);
    t.sw.announce("b", healthy, 0);
    t.take();
    t.sw.tick(3999, 3990);
    expect(t.take()).toEqual([]);
    t.sw.tick(4000, 3990);
    expect(t.take()).toEqual(["complete a->b unheard"]);

    const u = machine();
    u.sw.announce("a", healthy, 0);
    u.sw.announce("b", healthy, 0);
    u.take();
    u.sw.oldParentEnded();
    expect(u.take()).toEqual(["complete a->b unheard"]);
    u.sw.oldParentEnded(); // not switching any more: nothing
    expect(u.take()).toEqual([]);
  });

  it("moved back before the switch: the incoming link is cancelled and the old one plays on", () => {
    const { sw, take } = machine();
    sw.announce("a", healthy, 0);
    sw.announce("b", healthy, 0);
    take();
    sw.announce("a", healthy, 10);
    expect(take()).toEqual(["cancel b"]);
    expect(sw.state).toEqual({ kind: "attached", parent: "a" });
  });

  it("a second move: the first completes when its media flows, else it is called off; then the second begins", () => {
    const heard = machine();
    heard.sw.announce("a", healthy, 0);
    heard.sw.announce("b", healthy, 0);
    heard.sw.noteIncomingPacket(5);
    heard.take();
    heard.sw.announce("c", healthy, 10);
    expect(heard.take()).toEqual(["complete a->b heard", "begin c"]);
    expect(heard.sw.state).toMatchObject({ kind: "switching", parent: "b", incoming: "c" });

    const silent = machine();
    silent.sw.announce("a", healthy, 0);
    silent.sw.announce("b", healthy, 0);
    silent.take();
    silent.sw.announce("c", healthy, 10);
    expect(silent.take()).toEqual(["cancel b", "begin c"]);

    // The old parent died meanwhile: take the incoming link even unheard, then move on from it.
    const gone = machine();
    gone.sw.announce("a", healthy, 0);
    gone.sw.announce("b", healthy, 0);
    gone.take();
    gone.sw.announce("c", { parentHealthy: () => false, standby: null }, 10);
    expect(gone.take()).toEqual(["complete a->b unheard", "begin c"]);
  });

  it("a failover to the warm standby after the parent died goes at once; a planned move to it is made before break", () => {
    const failover = machine();
    failover.sw.announce("a", healthy, 0);
    failover.take();
    failover.sw.announce("s", { parentHealthy: () => false, standby: "s" }, 100);
    expect(failover.take()).toEqual(["drop a", "open s (standby)"]);

    const planned = machine();
    planned.sw.announce("a", healthy, 0);
    planned.take();
    planned.sw.announce("s", { parentHealthy: () => true, standby: "s" }, 100);
    expect(planned.take()).toEqual(["begin s (standby)"]);

    // A dead parent and a new parent that is not the standby: still made before break (the old
    // link may come back); it completes as soon as the new media flows and the old stays quiet.
    const other = machine();
    other.sw.announce("a", healthy, 0);
    other.take();
    other.sw.announce("b", dead, 100);
    expect(other.take()).toEqual(["begin b"]);
  });

  it("without make-before-break every move breaks first", () => {
    const { sw, take } = machine({ makeBeforeBreak: false });
    sw.announce("a", healthy, 0);
    sw.announce("b", healthy, 1);
    expect(take()).toEqual(["open a", "drop a", "open b"]);
    sw.announce(null, healthy, 2);
    expect(take()).toEqual(["drop b"]);
  });

  it("close() forgets the state; a later announce starts afresh", () => {
    const { sw, take } = machine();
    sw.announce("a", healthy, 0);
    sw.announce("b", healthy, 0);
    take();
    sw.close();
    expect(sw.state).toEqual({ kind: "none" });
    sw.tick(10_000, 0);
    expect(take()).toEqual([]);
    sw.announce("c", healthy, 10_001);
    expect(take()).toEqual(["open c"]);
  });
});
