/**
 * The room logic on its own: fake peers instead of sockets, and timers the test fires by hand
 * (the grace period of a node that went away, the window of a rebuild).
 */
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, type JoinMessage, type JoinedMessage, type ServerMessage, type TreeUpdateMessage } from "@choirmesh/protocol";
import { DEFAULT_SIGNALING_OPTIONS, type SignalingOptions } from "@choirmesh/signaling/defaults";
import { createSignalingMetrics } from "@choirmesh/signaling/metrics";
import type { Peer, RoomTimers } from "@choirmesh/signaling/room-runtime";
import { InMemoryRoomStore } from "@choirmesh/signaling/room-store";
import { Rooms } from "@choirmesh/signaling/rooms";

class FakeTimers implements RoomTimers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  set(fn: () => void, ms: number): unknown {
    const h = this.next++;
    this.pending.set(h, { fn, ms });
    return h;
  }
  clear(h: unknown): void {
    this.pending.delete(h as number);
  }
  /** Runs every pending timer of `ms` (the grace period, the rebuild window). */
  fire(ms: number): number {
    let n = 0;
    for (const [h, t] of [...this.pending]) {
      if (t.ms !== ms) continue;
      this.pending.delete(h);
      t.fn();
      n++;
    }
    return n;
  }
}

class FakePeer implements Peer {
  readonly got: ServerMessage[] = [];
  room?: string;
  node?: string;
  disconnected = false;
  constructor(readonly ip = "10.0.0.1") {}
  send(msg: ServerMessage): void {
    this.got.push(msg);
  }
  disconnect(): void {
    this.disconnected = true;
  }
  last<T extends ServerMessage["type"]>(type: T): Extract<ServerMessage, { type: T }> | undefined {
    return this.got.filter((m) => m.type === type).at(-1) as Extract<ServerMessage, { type: T }> | undefined;
  }
}

const GRACE = 5000;
const WINDOW = 3000;

function setup(opts: Partial<SignalingOptions> = {}) {
  const timers = new FakeTimers();
  const store = new InMemoryRoomStore();
  const metrics = createSignalingMetrics({ rooms: () => store.size, nodes: () => 0, connections: () => 0 });
  const rooms = new Rooms(store, { ...DEFAULT_SIGNALING_OPTIONS, publicDir: "", disconnectGraceMs: GRACE, restoreWindowMs: WINDOW, ...opts }, metrics, timers);
  let t = 1_000_000;
  const join = (peer: FakePeer, fields: Partial<JoinMessage> = {}): JoinedMessage | undefined => {
    rooms.join(peer, { type: "join", v: PROTOCOL_VERSION, room: "r", name: "n", section: "", canHub: true, uploadKbps: 100_000, hasVoice: true, ...fields }, (t += 10));
    return peer.last("joined");
  };
  return { rooms, timers, store, join };
}

describe("Rooms with fake peers and timers", () => {
  it("keeps a node that went away in place for the grace period, then removes it and tells its parent", () => {
    const { rooms, timers, join } = setup();
    const a = new FakePeer();
    const b = new FakePeer();
    const ja = join(a)!;
    const jb = join(b)!;
    expect(jb.parent).toBe(ja.id);
    const told = a.got.length;
    rooms.disconnected(b);
    expect(timers.pending.size).toBe(1);
    expect(a.got.length).toBe(told); // nothing changes while b may come back
    expect(rooms.snapshot("r").nodes.map((n) => n.id)).toContain(jb.id);
    expect(timers.fire(GRACE)).toBe(1);
    expect(rooms.snapshot("r").nodes.map((n) => n.id)).toEqual([ja.id]);
    const update = a.last("tree-update") as TreeUpdateMessage;
    expect(update.children).toEqual([]);
    expect(update.reason).toBe("leave");
  });

  it("a resume within the grace period gets the same id and place back, and the timer is cancelled", () => {
    const { rooms, timers, join } = setup();
    const a = new FakePeer();
    const b = new FakePeer();
    const ja = join(a)!;
    const jb = join(b)!;
    rooms.disconnected(b);
    const b2 = new FakePeer();
    const again = join(b2, { resume: jb.resumeToken })!;
    expect([again.id, again.parent, again.resumed]).toEqual([jb.id, ja.id, true]);
    expect(timers.pending.size).toBe(0);
    expect(timers.fire(GRACE)).toBe(0);
    expect(rooms.snapshot("r").nodes).toHaveLength(2);
  });

  it("a replayed resume token while the node is connected gets resume-in-use and changes nothing", () => {
    const { join } = setup();
    const a = new FakePeer();
    const ja = join(a)!;
    const thief = new FakePeer("10.0.0.9");
    expect(join(thief, { resume: ja.resumeToken })).toBeUndefined();
    expect(thief.last("error")?.code).toBe("resume-in-use");
    expect(a.node).toBe(ja.id);
  });

  it("a rebuild tells nobody anything while reports come in, and ends as soon as every node is back", () => {
    // Resume tokens of the first server are honoured by the second (the same resume secret).
    const s1 = setup({ resumeSecret: "k" });
    const x = new FakePeer();
    const y = new FakePeer();
    const jx = s1.join(x)!;
    const jy = s1.join(y)!;
    expect(jy.parent).toBe(jx.id);
    const s2 = setup({ resumeSecret: "k" });
    const x2 = new FakePeer();
    const y2 = new FakePeer();
    const ry = s2.join(y2, { resume: jy.resumeToken, restore: { parent: jx.id, backup: null, children: [] } })!;
    expect([ry.id, ry.parent, ry.resumed]).toEqual([jy.id, jx.id, true]);
    expect(s2.timers.pending.size).toBe(1); // the rebuild window
    const rx = s2.join(x2, { resume: jx.resumeToken, restore: { parent: null, backup: null, children: [jy.id] } })!;
    expect([rx.id, rx.parent]).toEqual([jx.id, null]);
    // Every report is in: the rebuild ended without waiting for its window, and nobody moved.
    expect(s2.timers.pending.size).toBe(0);
    expect(x2.last("tree-update")).toBeUndefined();
    expect(y2.last("tree-update")).toBeUndefined();
  });

  it("a rebuild whose window ends places the nodes that restored under a parent that never came back", () => {
    const s1 = setup({ resumeSecret: "k" });
    const x = new FakePeer();
    const y = new FakePeer();
    const jx = s1.join(x)!;
    const jy = s1.join(y)!;
    const s2 = setup({ resumeSecret: "k" });
    const y2 = new FakePeer();
    s2.join(y2, { resume: jy.resumeToken, restore: { parent: jx.id, backup: null, children: [] } });
    expect(y2.last("joined")?.parent).toBe(jx.id); // told its own report back while the room is rebuilt
    expect(y2.got.map((m) => m.type)).toEqual(["joined"]);
    expect(s2.timers.fire(WINDOW)).toBe(1);
    // x never came back: y is the room now, and is told so.
    expect(s2.rooms.snapshot("r").nodes.map((n) => [n.id, n.parent])).toEqual([[jy.id, null]]);
    expect(y2.got.filter((m) => m.type === "tree-update")).toEqual([expect.objectContaining({ parent: null, children: [], waiting: false })]);
  });
});
