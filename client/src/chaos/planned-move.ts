/**
 * Planned changes on a live choir: a move (runPlannedMove) and a hub that leaves (runHubLeave).
 *
 * A planned move: the planner's growth-time moves (a leaf review and a
 * displacement, growth.ts and tree-planner.ts) re-parent singers who are doing fine, and with
 * make-before-break (node-links.ts) they should not hear it. Seven singers over real WebRTC on
 * loopback, placed by location hints:
 *
 *   r, h1 (Frankfurt hubs, 2 children each), h2 (a Lisbon hub, 1 child), l1, l2 (Frankfurt, no
 *   hub) fill h1; x (Frankfurt, no hub) can only go under Lisbon. Then y, a Frankfurt hub, joins:
 *   it takes l1's place below h1 (l1 moves under y), and the review of earlier joiners moves x
 *   from Lisbon to y. Two singers move while everyone sings.
 *
 * Gaps are measured from the audio, for every pair with a moved singer at either end, from the
 * join of y to the end of the recording.
 */
import type { RemoteRecording } from "../remote-node.js";
import { RemoteNode } from "../remote-node.js";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import type { PlannerOptions } from "@choirmesh/signaling/planner";
import { startSignalingServer } from "@choirmesh/signaling/server";
import { nowAbs, sleep, waitFor } from "./choir.js";
import { fmtGaps, gapsOf, maxGapIn } from "./scenarios.js";

/** CHAOS_DEBUG=1: the nodes' timeline incidents from `fromAbs` on, as ms after it. */
async function logIncidents(log: (s: string) => void, fromAbs: number, nodes: RemoteNode[]): Promise<void> {
  const fromMs = fromAbs / 48;
  for (const n of nodes) {
    const st = (await n.stats()).stats;
    const lines = st.timeline.entries.filter((e) => e.atMs >= fromMs).map((e) => `${(e.atMs - fromMs).toFixed(0)} ${e.kind} ${e.target}${e.peer ? ` ${e.peer}` : ""}=${e.value}`);
    log(`  ${n.name} incidents: ${lines.join(" | ")}`);
  }
}

export interface PairGaps {
  /** Longest gap of the pairs kept, from the change to the end of the recording. */
  gapMaxMs: number;
  /** The same pairs before the change (what the machine does without it). */
  baselineGapMaxMs: number;
  /** Pairs not heard at all (before or after). */
  unheardPairs: number;
}

/**
 * Gaps around a change at `changeAbs` for every pair (speaker voice, listener recording) of
 * singers recorded throughout that `keep` keeps; `voices[v]` names the singer of voice v. The
 * delay is measured before the change and from 2.5 s after it (a moved listener hears by a new
 * path).
 */
function pairGaps(
  recs: Map<string, RemoteRecording>,
  voices: string[],
  changeAbs: number,
  keep: (speaker: string, listener: string) => boolean,
  log: (s: string) => void,
): PairGaps {
  const out: PairGaps = { gapMaxMs: 0, baselineGapMaxMs: 0, unheardPairs: 0 };
  for (const [listener, rec] of recs) {
    for (let v = 0; v < voices.length; v++) {
      const speaker = voices[v];
      // Speakers without a recording were not there throughout (a joiner, a leaver).
      if (speaker === listener || !recs.has(speaker) || !keep(speaker, listener)) continue;
      const at = (changeAbs - rec.startAbs) / 48;
      const g = gapsOf(rec, v, at, at + 2500);
      if (g === null) {
        out.unheardPairs++;
        continue;
      }
      const m = maxGapIn(g, changeAbs, rec.startAbs + rec.length);
      if (m > 10 && process.env.CHAOS_DEBUG) log(`  ${speaker} -> ${listener}: ${fmtGaps(g, changeAbs)}`);
      out.gapMaxMs = Math.max(out.gapMaxMs, m);
      out.baselineGapMaxMs = Math.max(out.baselineGapMaxMs, maxGapIn(g, rec.startAbs + 100 * 48, changeAbs));
    }
  }
  return out;
}

/** Gaps of the pairs with a moved singer at either end, around y's join. */
export interface PlannedMoveResult extends PairGaps {
  /** The moves the server announced for others on y's join. */
  moved: string[];
}

/** A signaling server on loopback with 10 ms frames and the given planner options. */
const startServer = (planner: Partial<PlannerOptions>) =>
  startSignalingServer({ host: "127.0.0.1", port: 0, media: { ...DEFAULT_MEDIA, frameMs: 10 }, planner, logLevel: "warn" });

const FRANKFURT = { lat: 50.1, lon: 8.7 };
const LISBON = { lat: 38.7, lon: -9.1 };
/** Upload for `children` at `depth` (the forwarded down path sends each child depth + 1 streams of 104 kbit/s) plus one up. */
const uploadFor = (children: number, depth: number) => 104 * (1 + children * (depth + 1)) + 1;

export async function runPlannedMove(opts: { makeBeforeBreak: boolean; log?: (s: string) => void }): Promise<PlannedMoveResult> {
  const log = opts.log ?? (() => {});
  // Every join reviews all earlier nodes: the move comes on y's join, not some joins later; and
  // x, placed seconds before, may move at once (this measures a move, not the server's cooldown).
  // Fan-out 2: the uploads sized for a hub's depth (forwarded streams) would let h1 feed four
  // from the top, and take the root's place.
  const server = await startServer({ reviewPerJoin: 8, moveCooldownMs: 0, maxFanout: 2 });
  const specs = [
    { name: "r", cap: 2, depth: 0, at: FRANKFURT },
    { name: "h1", cap: 2, depth: 1, at: FRANKFURT },
    { name: "h2", cap: 1, depth: 1, at: LISBON },
    { name: "l1", cap: 0, depth: 2, at: FRANKFURT },
    { name: "l2", cap: 0, depth: 2, at: FRANKFURT },
    { name: "x", cap: 0, depth: 2, at: { lat: 50.2, lon: 8.6 } },
    { name: "y", cap: 2, depth: 2, at: FRANKFURT },
  ];
  const nodes = specs.map((s) => new RemoteNode(s.name));
  const byName = new Map(specs.map((s, i) => [s.name, nodes[i]]));
  const room = "moves";
  const start = (i: number) =>
    nodes[i].start({
      url: server.url,
      room,
      name: specs[i].name,
      section: "alto",
      canHub: specs[i].cap > 0,
      uploadKbps: specs[i].cap > 0 ? uploadFor(specs[i].cap, specs[i].depth) : 100,
      voiceIndex: i,
      location: specs[i].at,
      link: { loopbackOnly: true },
      healing: { makeBeforeBreak: opts.makeBeforeBreak },
      // The scenario's distances are its cities. RTTs measured on loopback (all ~0) would, once
      // the planner trusts them, make x's move gain nothing, and whether they did by y's join was
      // a race (a CI run under load left x in place).
      rttReportMs: 0,
    });
  try {
    await Promise.all(nodes.map((n) => n.whenReady()));
    for (let i = 0; i < 6; i++) await start(i);
    const settled = async (count: number) =>
      waitFor(
        async () => {
          const states = await Promise.all(nodes.slice(0, count).map((n) => n.state()));
          return states.every((s) => s.connected);
        },
        20_000,
        "every link to connect",
      );
    await settled(6);
    const before = server.tree(room);
    const parentOf = (t: typeof before, name: string) => t.nodes.find((n) => n.id === byName.get(name)!.id)?.parent ?? null;
    if (parentOf(before, "x") !== byName.get("h2")!.id) {
      const nameOf = (id: string | null) => specs.find((_, i) => nodes[i].id === id)?.name ?? String(id);
      const shown = specs.map((sp) => `${sp.name}<${nameOf(parentOf(before, sp.name))}`).join(" ");
      throw new Error(`x is not below the Lisbon hub: the scenario did not set up (${shown})`);
    }
    await sleep(2000);
    await Promise.all(nodes.slice(0, 6).map((n) => n.startRecording(7)));
    await sleep(2500);
    const joinAbs = nowAbs();
    log("planned move: y joins");
    await start(6);
    await sleep(4000);
    const after = server.tree(room);
    const moved = ["l1", "x"].filter((n) => parentOf(after, n) === byName.get("y")!.id);
    await settled(7);
    await sleep(1000);
    if (process.env.CHAOS_DEBUG) await logIncidents(log, joinAbs, moved.map((m) => byName.get(m)!));
    const recs = new Map<string, RemoteRecording>();
    for (let i = 0; i < 6; i++) recs.set(specs[i].name, await nodes[i].recording({ mix: false }));
    // The pairs with a moved singer at either end.
    const gaps = pairGaps(recs, specs.map((x) => x.name), joinAbs, (sp, li) => moved.includes(sp) || moved.includes(li), log);
    return { moved, ...gaps };
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await server.close();
  }
}

/** Gaps of the pairs with an orphan at either end, around the hub's leave. */
export interface HubLeaveResult extends PairGaps {
  /** The leaving hub's children, by name. */
  orphans: string[];
}

/**
 * A hub that leaves on purpose (a singer closing the page): seven singers in Frankfurt, two
 * children a hub (r; a, b; c, d below a; e, f below b); `a` stops. The server hands c and d to
 * their backups; with a hand-over (`leaveHandoverMs`) `a` goes on mixing for them until they
 * have switched.
 */
export async function runHubLeave(opts: { handoverMs: number; log?: (s: string) => void }): Promise<HubLeaveResult> {
  const log = opts.log ?? (() => {});
  const server = await startServer({ maxFanout: 2 });
  const names = ["r", "a", "b", "c", "d", "e", "f"];
  const nodes = names.map((n) => new RemoteNode(n));
  const room = "leave";
  try {
    await Promise.all(nodes.map((n) => n.whenReady()));
    for (let i = 0; i < names.length; i++) {
      await nodes[i].start({
        url: server.url,
        room,
        name: names[i],
        section: "alto",
        canHub: true,
        // Two children at any depth of this seven-node tree (fan-out 2 caps it).
        uploadKbps: uploadFor(2, 2),
        voiceIndex: i,
        location: FRANKFURT,
        link: { loopbackOnly: true },
        healing: { leaveHandoverMs: opts.handoverMs },
      });
    }
    await waitFor(async () => (await Promise.all(nodes.map((n) => n.state()))).every((s) => s.connected), 20_000, "every link to connect");
    // Standby links to the backups come up 1-3 s after the last change.
    await sleep(4000);
    const tree = server.tree(room);
    const a = nodes[1];
    const orphans = tree.nodes.filter((n) => n.parent === a.id).map((n) => nodes.find((x) => x.id === n.id)!.name);
    if (orphans.length !== 2) throw new Error(`a has ${orphans.length} children: the scenario did not set up`);
    const rest = nodes.filter((n) => n !== a);
    await Promise.all(rest.map((n) => n.startRecording(7)));
    await sleep(2500);
    const leaveAbs = nowAbs();
    log("hub leave: a stops");
    await a.stop();
    await sleep(4000);
    if (process.env.CHAOS_DEBUG) await logIncidents(log, leaveAbs, orphans.map((o) => nodes[names.indexOf(o)]));
    const recs = new Map<string, RemoteRecording>();
    for (const n of rest) recs.set(n.name, await n.recording({ mix: false }));
    // The pairs with an orphan at either end.
    const gaps = pairGaps(recs, names, leaveAbs, (sp, li) => orphans.includes(sp) || orphans.includes(li), log);
    return { orphans, ...gaps };
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await server.close();
  }
}
