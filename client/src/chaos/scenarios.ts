/**
 * The four fault scenarios of issue 5, run one after another on one choir (the hub kill last,
 * since it changes the tree), each measured from the audio singers hear:
 *   loss10            10 % random loss both ways on one leaf's parent link
 *   linkCut           one leaf's parent link cut both ways for 2 s
 *   signalingRestart  the signaling server stopped and started again on the same port
 *   hubKill           kill -9 of a hub with >= 3 children
 */
import { median } from "@choirmesh/common/quantiles";
import type { ChoirNodeStats } from "@choirmesh/mixer-node/runtime/choir-node";
import { writeFileSync } from "node:fs";
import type { RemoteRecording } from "../remote-node.js";
import { findGaps, type Gap } from "@choirmesh/mixer-node/gap-analysis";
import type { TreeMessage } from "@choirmesh/protocol";
import { ChaosChoir, delayIn, nowAbs, sleep, subtreeOf, treePath, waitFor, type ChaosChoirOptions } from "./choir.js";

export interface ChaosResult {
  hubKill: {
    orphanRecoveryMs: { p50: number; max: number };
    /** Longest gap over pairs whose path avoids the hub, in the 2.7 s after the kill ... */
    unaffectedGapMaxMs: number;
    /** ... and in the 2.7 s before it (what the machine does without any fault). */
    baselineGapMaxMs: number;
    unheardPairs: number;
    orphans: number;
  };
  /** Median and worst over the pairs through the cut link: when they heard each other again. */
  linkCut: { recoveryMs: number; recoveryMaxMs: number; moved: boolean };
  signalingRestart: { audioGapMaxMs: number; baselineGapMaxMs: number; treeUnchanged: boolean; resumedAll: boolean };
  /** concealedShare: frames concealed (or FEC) of those through the lossy link; redundantShare: rebuilt from redundant copies. */
  loss10: { gapMaxMs: number; baselineGapMaxMs: number; concealedShare: number; redundantShare: number };
  singers: number;
  depth: number;
  frameMs: number;
  warmStandby: boolean;
}

/**
 * Gaps of voice `v` in `rec`: its delay is measured before `faultMs` and after `settledMs` (ms
 * into the recording; a listener that moved hears the voice by a new path). Null when the voice
 * is heard in neither window.
 */
export function gapsOf(rec: RemoteRecording, v: number, faultMs: number, settledMs: number): Gap[] | null {
  const lenMs = rec.length / 48;
  const before = delayIn(rec, v, 100, faultMs);
  const after = delayIn(rec, v, settledMs, lenMs);
  const delays = [before, after].filter((d) => Number.isFinite(d));
  if (delays.length === 0) return null;
  return findGaps(rec.hear.subarray(0, rec.length), rec.startAbs, v, delays).gaps;
}

/** Longest gap within [fromAbs, toAbs) (gaps clipped to it), ms. */
export function maxGapIn(gaps: Gap[], fromAbs: number, toAbs: number): number {
  let m = 0;
  for (const g of gaps) {
    const a = Math.max(g.startAbs, fromAbs);
    const b = Math.min(g.endAbs, toAbs);
    if (b > a) m = Math.max(m, (b - a) / 48);
  }
  return m;
}

/**
 * When the listener hears the voice again after a fault at `faultAbs`: the end of the outage
 * that begins within `startWithinMs` of the fault (gaps split by less than `mergeMs` of sound
 * count as one), as ms after the fault; 0 when no outage began.
 */
export function recoveryAfter(gaps: Gap[], faultAbs: number, startWithinMs = 400, mergeMs = 30): number {
  const sorted = [...gaps].sort((a, b) => a.startAbs - b.startAbs);
  let end = -1;
  for (const g of sorted) {
    if (end < 0) {
      if (g.endAbs > faultAbs && g.startAbs < faultAbs + startWithinMs * 48) end = g.endAbs;
    } else if (g.startAbs - end <= mergeMs * 48) end = Math.max(end, g.endAbs);
    else break;
  }
  return end < 0 ? 0 : (end - faultAbs) / 48;
}

function leafWithBackupHub(tree: TreeMessage): { leaf: string; parent: string } {
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const leaf = tree.nodes
    .filter((n) => n.children.length === 0 && n.parent !== null && n.backup !== null && n.depth >= 2)
    .sort((a, b) => b.depth - a.depth)[0];
  if (!leaf) throw new Error("no leaf with a backup below depth 1");
  return { leaf: leaf.id, parent: byId.get(leaf.id)!.parent! };
}

type Pops = { total: number; conceal: number; redundant: number };

function popsOf(stats: ChoirNodeStats, peer: string | "parent"): Pops {
  const link = stats.inputs.find((i) => (peer === "parent" ? i.input === "parent" : i.peer === peer));
  if (!link) return { total: 0, conceal: 0, redundant: 0 };
  const pops = link.pops;
  // Frames not decoded from their own packet: rebuilt from the next one's FEC data, or concealed;
  // a frame rebuilt from a later packet's redundant copy plays as a packet.
  return { total: pops.packet + pops.fec + pops.conceal, conceal: pops.fec + pops.conceal, redundant: link.jitter.redundant };
}

/** Pairs (speaker voice, listener recording) of the run, both alive. */
function* pairs(c: ChaosChoir, recs: Map<string, RemoteRecording>, keep: (speaker: string, listener: string) => boolean) {
  for (const [listener, rec] of recs) {
    for (const [speaker, v] of c.voiceOf) {
      if (speaker !== listener && recs.has(speaker) && keep(speaker, listener)) yield { speaker, listener, v, rec };
    }
  }
}

const msAt = (rec: RemoteRecording, abs: number) => (abs - rec.startAbs) / 48;

/** CHAOS_DEBUG=1 prints where the worst figures come from (stderr). */
const debug = process.env.CHAOS_DEBUG ? (s: string) => process.stderr.write(`  ${s}\n`) : () => {};
export const fmtGaps = (gaps: Gap[], faultAbs: number) => gaps.map((g) => `${((g.startAbs - faultAbs) / 48).toFixed(0)}+${g.ms}`).join(",");

/**
 * CHAOS_DEBUG=1: every node's timeline incidents from 0.5 s before the fault on, as ms after
 * the fault, so that the gaps found can be traced to a late tick, a concealment run or a link
 * change. Fetched while the nodes live; printed with the scenario's analysis.
 */
async function incidents(c: ChaosChoir, faultAbs: number): Promise<() => void> {
  if (!process.env.CHAOS_DEBUG) return () => {};
  const faultMs = faultAbs / 48;
  const out: string[] = [];
  for (const n of c.live()) {
    const st = (await n.stats().catch(() => null))?.stats;
    const peerOf = new Map(Object.entries(st?.slots ?? {}).map(([peer, slot]) => [slot, peer]));
    const name = (id: string | undefined) => (id === undefined ? "" : (c.nodes.find((x) => x.id === id)?.name ?? id));
    const lines = (st?.timeline?.entries ?? [])
      .filter((e) => e.atMs >= faultMs - 500)
      .map((e) => {
        const who = typeof e.target === "number" ? name(peerOf.get(e.target)) || `slot${e.target}` : e.target;
        return `${(e.atMs - faultMs).toFixed(0)} ${e.kind} ${who}${e.peer ? ` ${name(e.peer)}` : ""}=${e.value}`;
      });
    if (lines.length > 0) out.push(`${n.name} incidents: ${lines.join(" | ")}`);
  }
  return () => out.forEach((line) => debug(line));
}

/**
 * A scenario runs its fault on the live choir and returns its analysis, which runs once the
 * choir has stopped: analysing thirteen recordings takes a core for seconds, and the nodes,
 * starved meanwhile, carried the damage into the next scenario.
 */
export type Analysis<T> = () => T;

/** A scenario starts once no jitter buffer plays more than this behind (see ChaosChoir.settleJitter). */
export const SETTLED_JITTER_MS = 60;

async function loss10(c: ChaosChoir, log: (s: string) => void): Promise<Analysis<ChaosResult["loss10"]>> {
  const { leaf, parent } = leafWithBackupHub(await c.tree());
  const L = c.byId(leaf);
  const P = c.byId(parent);
  await c.record(6);
  await sleep(2000);
  const pre = await Promise.all([L.stats(), P.stats()]);
  const faultAbs = nowAbs();
  await L.link(parent, "impair", { lossRate: 0.1 });
  await P.link(leaf, "impair", { lossRate: 0.1 });
  log(`loss10: 10 % loss both ways on ${L.name} <-> ${P.name}`);
  await sleep(3800);
  const post = await Promise.all([L.stats(), P.stats()]);
  const recs = await c.recordings();
  await L.link(parent, "impair", { lossRate: 0 });
  await P.link(leaf, "impair", { lossRate: 0 });
  const printIncidents = await incidents(c, faultAbs);
  return () => {
    // The leaf hears everyone through the lossy link; everyone hears the leaf through it.
    let gapMaxMs = 0;
    let baselineGapMaxMs = 0;
    for (const p of pairs(c, recs, (sp, li) => sp === leaf || li === leaf)) {
      const fault = msAt(p.rec, faultAbs);
      const g = gapsOf(p.rec, p.v, fault, fault + 300);
      if (!g) continue;
      const m = maxGapIn(g, faultAbs + 300 * 48, p.rec.startAbs + p.rec.length);
      if (m > 20) debug(`loss ${c.byId(p.speaker).name}->${c.byId(p.listener).name}: ${fmtGaps(g, faultAbs)}`);
      if (m > 20 && process.env.CHAOS_DUMP) {
        const f = `${process.env.CHAOS_DUMP}/loss-${c.byId(p.speaker).name}-${c.byId(p.listener).name}`;
        writeFileSync(`${f}.f32`, Buffer.from(p.rec.hear.buffer, p.rec.hear.byteOffset, p.rec.length * 4));
        writeFileSync(`${f}.json`, JSON.stringify({ startAbs: p.rec.startAbs, voice: p.v, faultAbs, gaps: g }));
      }
      gapMaxMs = Math.max(gapMaxMs, m);
      baselineGapMaxMs = Math.max(baselineGapMaxMs, maxGapIn(g, p.rec.startAbs + 100 * 48, faultAbs));
    }
    const d = (x: Pops, y: Pops): Pops => ({ total: x.total - y.total, conceal: x.conceal - y.conceal, redundant: x.redundant - y.redundant });
    const a = d(popsOf(post[0].stats, "parent"), popsOf(pre[0].stats, "parent"));
    const b = d(popsOf(post[1].stats, leaf), popsOf(pre[1].stats, leaf));
    const total = a.total + b.total;
    debug(`loss pops leaf ${JSON.stringify(a)} parent ${JSON.stringify(b)}`);
    printIncidents();
    return {
      gapMaxMs,
      baselineGapMaxMs,
      concealedShare: total > 0 ? (a.conceal + b.conceal) / total : NaN,
      redundantShare: total > 0 ? (a.redundant + b.redundant) / total : NaN,
    };
  };
}

async function linkCut(c: ChaosChoir, log: (s: string) => void): Promise<Analysis<ChaosResult["linkCut"]>> {
  const { leaf, parent } = leafWithBackupHub(await c.tree());
  const L = c.byId(leaf);
  await c.record(5);
  await sleep(1500);
  const faultAbs = nowAbs();
  await L.link(parent, "cut", { durationMs: 2000 });
  log(`linkCut: ${L.name}'s link to its parent cut for 2 s`);
  await sleep(3300);
  const recs = await c.recordings();
  const moved = (await c.tree()).nodes.find((n) => n.id === leaf)?.parent !== parent;
  const printIncidents = await incidents(c, faultAbs);
  return () => {
    const per: number[] = [];
    for (const p of pairs(c, recs, (sp, li) => sp === leaf || li === leaf)) {
      const fault = msAt(p.rec, faultAbs);
      const g = gapsOf(p.rec, p.v, fault, fault + 2500);
      per.push(g === null ? Infinity : recoveryAfter(g, faultAbs));
    }
    debug(`linkCut per pair: ${per.map((x) => x.toFixed(0)).join(",")}`);
    printIncidents();
    return { recoveryMs: median(per), recoveryMaxMs: Math.max(...per), moved };
  };
}

/**
 * The signaling server lost mid-song (`fault`: restarted, or in a cluster one process killed):
 * nobody moves, every node is back in the room, and the audio does not notice.
 */
export async function signalingOutage(
  c: ChaosChoir,
  log: (s: string) => void,
  fault: () => Promise<void> = () => c.restartServer(300),
  what = "signalingRestart: stopping the signaling server",
): Promise<Analysis<ChaosResult["signalingRestart"]>> {
  const before = await c.tree();
  await c.record(6);
  await sleep(2000);
  const faultAbs = nowAbs();
  log(what);
  await fault();
  await sleep(3800);
  const recs = await c.recordings();
  const printIncidents = await incidents(c, faultAbs);
  await waitFor(async () => (await c.tree()).nodes.length === before.nodes.length, 8000, "every node to be back in the room");
  const after = await c.tree();
  const parentOf = (t: TreeMessage) => new Map(t.nodes.map((n) => [n.id, n.parent]));
  const pb = parentOf(before);
  const pa = parentOf(after);
  const treeUnchanged = [...pb].every(([id, p]) => pa.get(id) === p);
  return () => {
    let audioGapMaxMs = 0;
    let baselineGapMaxMs = 0;
    for (const p of pairs(c, recs, () => true)) {
      const fault = msAt(p.rec, faultAbs);
      const g = gapsOf(p.rec, p.v, fault, fault);
      if (!g) continue;
      const m = maxGapIn(g, faultAbs, p.rec.startAbs + p.rec.length);
      if (m > 20) debug(`restart ${c.byId(p.speaker).name}->${c.byId(p.listener).name}: ${fmtGaps(g, faultAbs)}`);
      audioGapMaxMs = Math.max(audioGapMaxMs, m);
      baselineGapMaxMs = Math.max(baselineGapMaxMs, maxGapIn(g, p.rec.startAbs + 100 * 48, faultAbs));
    }
    printIncidents();
    return { audioGapMaxMs, baselineGapMaxMs, treeUnchanged, resumedAll: pa.size === pb.size };
  };
}

async function hubKill(c: ChaosChoir, log: (s: string) => void): Promise<Analysis<ChaosResult["hubKill"]>> {
  const tree = await c.tree();
  const hub = tree.nodes.filter((n) => n.parent !== null && n.children.length >= 3).sort((a, b) => b.children.length - a.children.length)[0];
  if (!hub) throw new Error("no non-root hub with 3 children");
  const H = c.byId(hub.id);
  await c.record(7);
  await sleep(3000);
  const faultAbs = nowAbs();
  H.kill();
  log(`hubKill: kill -9 ${H.name} (${hub.children.length} children)`);
  await sleep(3800);
  const recs = await c.recordings();
  const printIncidents = await incidents(c, faultAbs);
  return () => {
    // Orphans: when each hears again every voice from outside its own subtree (all came through the hub).
    const recoveries: number[] = [];
    for (const o of hub.children) {
      const rec = recs.get(o);
      if (!rec) continue;
      const mine = subtreeOf(tree, o);
      let worst = 0;
      for (const [speaker, v] of c.voiceOf) {
        if (mine.has(speaker) || speaker === hub.id) continue;
        const fault = msAt(rec, faultAbs);
        const g = gapsOf(rec, v, fault, fault + 2000);
        worst = Math.max(worst, g === null ? Infinity : recoveryAfter(g, faultAbs));
      }
      recoveries.push(worst);
      debug(`hubKill orphan ${c.byId(o).name}: ${worst.toFixed(0)} ms`);
    }
    // Pairs whose path does not pass through the hub: the same window before and after the kill.
    let unaffectedGapMaxMs = 0;
    let baselineGapMaxMs = 0;
    let unheard = 0;
    for (const p of pairs(c, recs, (sp, li) => sp !== hub.id && !treePath(tree, sp, li).includes(hub.id))) {
      const fault = msAt(p.rec, faultAbs);
      const g = gapsOf(p.rec, p.v, fault, fault);
      if (!g) {
        unheard++;
        continue;
      }
      const m = maxGapIn(g, faultAbs, faultAbs + 2700 * 48);
      if (m > 20) debug(`hubKill unaffected ${c.byId(p.speaker).name}->${c.byId(p.listener).name}: ${fmtGaps(g, faultAbs)}`);
      unaffectedGapMaxMs = Math.max(unaffectedGapMaxMs, m);
      baselineGapMaxMs = Math.max(baselineGapMaxMs, maxGapIn(g, faultAbs - 2800 * 48, faultAbs - 100 * 48));
    }
    printIncidents();
    return {
      orphanRecoveryMs: { p50: median(recoveries), max: Math.max(...recoveries) },
      unaffectedGapMaxMs,
      baselineGapMaxMs,
      unheardPairs: unheard,
      orphans: recoveries.length,
    };
  };
}

export async function runChaos(opts: Partial<ChaosChoirOptions> = {}): Promise<ChaosResult> {
  const log = opts.log ?? (() => {});
  const c = new ChaosChoir({ singers: 13, fanout: 3, frameMs: 10, disconnectGraceMs: 5000, warmStandby: true, log, ...opts });
  let analyses: [Analysis<ChaosResult["loss10"]>, Analysis<ChaosResult["linkCut"]>, Analysis<ChaosResult["signalingRestart"]>, Analysis<ChaosResult["hubKill"]>];
  let depth = 0;
  try {
    await c.start();
    // Standby links are set up 1-3 s after the last tree change: let them all be up first.
    await sleep(4000);
    depth = Math.max(...(await c.tree()).nodes.map((n) => n.depth));
    log(`tree settled: depth ${depth}`);
    const steady = async () => {
      const waited = await c.settleJitter(SETTLED_JITTER_MS, 15_000);
      log(waited < 0 ? `jitter buffers still deeper than ${SETTLED_JITTER_MS} ms after 15 s; going on` : `jitter buffers settled in ${(waited / 1000).toFixed(1)} s`);
    };
    await steady();
    const loss = await loss10(c, log);
    await steady();
    const cut = await linkCut(c, log);
    await c.settle(10_000);
    await steady();
    const restart = await signalingOutage(c, log);
    await c.settle(10_000);
    await steady();
    const kill = await hubKill(c, log);
    analyses = [loss, cut, restart, kill];
  } finally {
    await c.stop();
  }
  log("analysing the recordings");
  const [loss, cut, restart, kill] = analyses;
  debug("loss10:");
  const loss10r = loss();
  debug("linkCut:");
  const cutR = cut();
  debug("signalingRestart:");
  const restartR = restart();
  debug("hubKill:");
  const killR = kill();
  return {
    hubKill: killR,
    linkCut: cutR,
    signalingRestart: restartR,
    loss10: loss10r,
    singers: c.opts.singers,
    depth,
    frameMs: c.opts.frameMs,
    warmStandby: c.opts.warmStandby,
  };
}
