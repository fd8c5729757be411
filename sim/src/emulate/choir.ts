/**
 * A choir of real engines in one process over the virtual network. Every node is a HubEngine
 * (mixer-node: jitter buffers, Opus decode, mix-minus, Opus encode) ticking at its own phase; its
 * packets cross the virtual links as delivery events; singers sing their signature voice (or
 * silence) and listeners record what they hear, stamped on the absolute sample clock exactly as
 * the node runtime stamps them (tick k's frame at the tick's time; on the forwarded path, what a
 * node hears at its hear phase's time, runtime/node-loop.ts).
 */
import { median, quantileSorted } from "@choirmesh/common/quantiles";
import { HubEngine, type LinkTarget } from "@choirmesh/mixer-node/hub-engine";
import type { CodecBackend, EncoderOptions, FrameMs } from "@choirmesh/mixer-node/codec/types";
import { SignatureVoice } from "@choirmesh/mixer-node/signature";
import { Recorder } from "@choirmesh/mixer-node/runtime/recorder";
import { NodeAlignment } from "@choirmesh/mixer-node/runtime/tick-aligner";
import { HearPhase } from "@choirmesh/mixer-node/runtime/hear-phase";
import type { Rng } from "../ports.js";
import { EventQueue, type SimEvent } from "./scheduler.js";
import { transitMs, type LinkParams } from "./network.js";
import { ABS_ORIGIN, EMULATE_DEFAULTS } from "./defaults.js";

export interface EmuNodeSpec {
  id: string;
  /** Index of the parent in the plan, -1 at the root. */
  parent: number;
  hasVoice: boolean;
  /** Signature voice index (0..37), or null: the singer sings silence. */
  voice: number | null;
  /** Record what this node hears. */
  listen: boolean;
  /** Tick phase in samples, 0 <= phase < frame. */
  phaseSamples: number;
  /** The link to the parent (both directions alike); null at the root. */
  up: LinkParams | null;
}

export interface EmuPlan {
  nodes: EmuNodeSpec[];
}

export interface ChoirOptions {
  backend: CodecBackend;
  frameMs: FrameMs;
  /** Network draws (jitter, loss). */
  rng: Rng;
  warmupS?: number;
  recordS?: number;
  processingMs?: number;
  voiceAmplitude?: number;
  encoder?: Omit<EncoderOptions, "frameMs">;
  /** Called now and then with virtual seconds done and in all. */
  progress?: (doneS: number, totalS: number) => void;
  /**
   * "forward" (the cheap hop, as rooms run it): hubs forward what comes from above as it arrives
   * and each node moves its ticks to its parent's (the runtime's NodeAlignment, in virtual time);
   * "mix" (default): every hub re-encodes a whole down mix on a free-running tick.
   */
  downPath?: "forward" | "mix";
}

export interface Recording {
  node: number;
  startAbs: number;
  hear: Float32Array;
  /**
   * Median play-out delay D of each input during the recording (the jitter buffer's delayMs: from
   * a frame's earliest possible arrival to its play-out, tick wait included), keyed "parent" or
   * the child's plan index.
   */
  playoutMs: Map<"parent" | number, number>;
}

export interface ChoirResult {
  recordings: Map<number, Recording>;
  /** Virtual seconds run. */
  seconds: number;
  ticks: number;
  packetsSent: number;
  packetsLost: number;
  events: number;
  /**
   * Real time spent in HubEngine.tick (µs): over all ticks of all nodes, and the median tick of
   * the node with the most children (with their count). Wall-clock: not part of the exact result.
   */
  tickUs: { p50: number; p99: number; max: number; busiestHubP50: number; busiestHubChildren: number };
  /**
   * Jitter buffers at the end of the run: the median play-out delay D (ms, the jitter buffer's
   * delayMs: from a frame's earliest possible arrival to its play-out, tick wait included) over
   * the inputs of hubs (nodes that pass streams on) and over the inputs of leaves; the median
   * target delay and lateness; and the counts summed over all inputs.
   */
  jitterBuffer: {
    hubInputDelayMsP50: number;
    leafInputDelayMsP50: number;
    targetDelayMsP50: number;
    latenessP99MsP50: number;
    underruns: number;
    dropped: number;
    inserted: number;
  };
  /** Decoder and encoder calls per virtual second (one of each per stream and tick). */
  codecCallsPerS: number;
  wallMs: number;
}

const TICK = 0;
const DELIVER = 1;
const HEAR = 2;

interface Ev extends SimEvent {
  kind: typeof TICK | typeof DELIVER | typeof HEAR;
  node: number;
  /** DELIVER: which input of `node`: -1 parent, else the child's slot. */
  from: number;
  seq: number;
  ts: number;
  payload: Uint8Array | null;
  /** TICK, HEAR: tick number. */
  k: number;
}


export function runChoir(plan: EmuPlan, opts: ChoirOptions): ChoirResult {
  const t0 = performance.now();
  const n = plan.nodes.length;
  const F = opts.frameMs;
  const FS = F * 48;
  const warmupMs = (opts.warmupS ?? EMULATE_DEFAULTS.warmupS) * 1000;
  const recordS = opts.recordS ?? EMULATE_DEFAULTS.recordS;
  const endMs = warmupMs + recordS * 1000 + F;
  const proc = opts.processingMs ?? EMULATE_DEFAULTS.processingMs;
  const children: number[][] = plan.nodes.map(() => []);
  const slotInParent = new Int32Array(n).fill(-1);
  plan.nodes.forEach((s, i) => {
    if (s.parent >= 0) {
      slotInParent[i] = children[s.parent].length;
      children[s.parent].push(i);
    }
  });

  const q = new EventQueue<Ev>();
  const rng = opts.rng;
  let sent = 0;
  let lost = 0;
  let streams = 0;
  const forward = opts.downPath === "forward";
  // Per node on the forwarded path: its tick alignment, and how far it moved its ticks (ms, and samples).
  const alignments = plan.nodes.map(() => (forward ? new NodeAlignment(F) : null));
  // ...its hear phase, and the tick whose hear is due (-1: none), with that frame's place.
  const hears = plan.nodes.map(() => (forward ? new HearPhase(F) : null));
  const hearDue = new Int32Array(n).fill(-1);
  const hearAbs = new Float64Array(n);
  const shiftMs = new Float64Array(n);
  const absShift = new Float64Array(n);
  const engines: HubEngine[] = plan.nodes.map((spec, i) => {
    const kids = children[i];
    const send = (target: LinkTarget, bytes: Uint8Array, length: number, seq: number, ts: number, afterMs = proc) => {
        let dest: number;
        let from: number;
        let link: LinkParams;
        if (target === "parent") {
          dest = spec.parent;
          from = slotInParent[i];
          link = spec.up!;
        } else {
          dest = kids[target];
          from = -1;
          link = plan.nodes[dest].up!;
        }
        sent++;
        const tr = transitMs(link, rng);
        if (tr < 0) {
          lost++;
          return;
        }
        q.push({ t: q.now + afterMs + tr, order: 0, kind: DELIVER, node: dest, from, seq, ts, payload: bytes.slice(0, length), k: 0 });
    };
    const engine = new HubEngine({
      backend: opts.backend,
      maxChildren: kids.length,
      frameMs: F,
      hasVoice: spec.hasVoice,
      encoder: opts.encoder,
      downPath: forward ? "forward" : "mix",
      hearPhase: forward && process.env.CHOIRMESH_HEAR_PHASE !== "0",
      onPacket: send,
      // A forwarded packet leaves on arrival, not after a tick's processing.
      onForward: (target, bytes, length) => send(target, bytes, length, 0, 0, 0),
    });
    if (spec.parent >= 0) engine.attachParent();
    for (let s = 0; s < kids.length; s++) {
      engine.attachChild(s);
      if (forward) engine.setChildForwarded(s, true);
    }
    streams += kids.length + (spec.parent >= 0 ? 1 : 0);
    return engine;
  });

  const amplitude = opts.voiceAmplitude ?? EMULATE_DEFAULTS.voiceAmplitude;
  const voices = plan.nodes.map((s) => (s.voice === null ? null : new SignatureVoice(s.voice, { amplitude })));
  const recorders = new Map<number, Recorder>();
  const playout = new Map<number, Map<"parent" | number, number[]>>();
  for (let i = 0; i < n; i++) {
    const p = plan.nodes[i].phaseSamples;
    if (!(Number.isInteger(p) && p >= 0 && p < FS)) throw new RangeError(`node ${plan.nodes[i].id}: phase ${p} not in 0..${FS - 1}`);
    q.push({ t: p / 48, order: 0, kind: TICK, node: i, from: 0, seq: 0, ts: 0, payload: null, k: 0 });
  }

  let busiest = 0;
  for (let i = 1; i < n; i++) if (children[i].length > children[busiest].length) busiest = i;
  const busiestUs: number[] = [];
  const totalTicks = Math.ceil((endMs / F) * n) + n;
  const tickUs = new Float64Array(totalTicks);
  let ticks = 0;
  let nextProgress = 0;
  const progressEvery = EMULATE_DEFAULTS.progressEveryS * 1000;
  const hear = (i: number, t: number): void => {
    hearDue[i] = -1;
    const engine = engines[i];
    const phase = hears[i]!;
    engine.hear(t, phase.takeFrames());
    engine.hearSlacks(phase.slacks, phase.hops);
    phase.observe(t);
    if (plan.nodes[i].listen && t >= warmupMs) record(i, hearAbs[i]);
  };
  const record = (i: number, abs: number): void => {
    let rec = recorders.get(i);
    if (!rec) {
      rec = new Recorder(recordS, abs);
      recorders.set(i, rec);
      playout.set(i, new Map());
    }
    rec.write(abs, engines[i].hearOut, null);
    samplePlayout(engines[i], children[i], plan.nodes[i].parent >= 0, playout.get(i)!);
  };
  for (let e = q.pop(); e !== null; e = q.pop()) {
    const engine = engines[e.node];
    if (e.kind === DELIVER) {
      engine.receive(e.from < 0 ? "parent" : e.from, e.seq, e.ts, e.payload!, e.t);
      continue;
    }
    const i = e.node;
    if (e.kind === HEAR) {
      if (hearDue[i] === e.k) hear(i, e.t);
      continue;
    }
    // One hear per tick: the tick before's, when it is not done yet.
    if (hearDue[i] >= 0) hear(i, e.t);
    const abs = ABS_ORIGIN + plan.nodes[i].phaseSamples + e.k * FS + absShift[i];
    voices[i]?.render(abs, engine.voiceIn, FS);
    const a = performance.now();
    engine.tick(e.t, e.t + proc);
    const us = (performance.now() - a) * 1000;
    if (ticks < totalTicks) tickUs[ticks] = us;
    if (i === busiest) busiestUs.push(us);
    ticks++;
    const al = alignments[i];
    if (al !== null) {
      const moved = al.afterTick(engine, { shift: (ms: number) => (shiftMs[i] += ms) }, e.t, e.t + proc);
      absShift[i] += moved;
      if (moved !== 0) hears[i]!.ticksMoved(moved / 48);
    }
    const phase = hears[i];
    if (phase === null || !engine.hearPending) {
      if (plan.nodes[i].listen && e.t >= warmupMs) record(i, abs);
    } else {
      // The hear after this tick, at the phase's offset after the tick's deadline (as moved now).
      const deadline = (plan.nodes[i].phaseSamples + e.k * FS) / 48 + shiftMs[i];
      hearDue[i] = e.k;
      hearAbs[i] = ABS_ORIGIN + plan.nodes[i].phaseSamples + e.k * FS + absShift[i] + phase.offsetSamples;
      q.push({ t: Math.max(e.t, deadline + phase.offsetMs), order: 0, kind: HEAR, node: i, from: 0, seq: 0, ts: 0, payload: null, k: e.k });
    }
    const next = Math.max(e.t, (plan.nodes[i].phaseSamples + (e.k + 1) * FS) / 48 + shiftMs[i]);
    if (next < endMs) q.push({ t: next, order: 0, kind: TICK, node: i, from: 0, seq: 0, ts: 0, payload: null, k: e.k + 1 });
    if (opts.progress && e.t >= nextProgress) {
      opts.progress(e.t / 1000, endMs / 1000);
      nextProgress += progressEvery;
    }
  }

  const recordings = new Map<number, Recording>();
  for (const [i, rec] of recorders) {
    const pm = new Map<"parent" | number, number>();
    for (const [k, v] of playout.get(i)!) pm.set(k, median(v));
    recordings.set(i, { node: i, startAbs: rec.startAbs, hear: rec.hear.subarray(0, rec.length), playoutMs: pm });
  }
  const jb = { hub: [] as number[], leaf: [] as number[], target: [] as number[], late: [] as number[], underruns: 0, dropped: 0, inserted: 0 };
  engines.forEach((engine, i) => {
    const j = engine.toJSON();
    for (const link of [j.parent, ...j.children]) {
      if (!link) continue;
      (children[i].length > 0 ? jb.hub : jb.leaf).push(link.jitter.delayMs);
      jb.target.push(link.jitter.targetDelayMs);
      jb.late.push(link.jitter.latenessP99Ms);
      jb.underruns += link.jitter.underruns;
      jb.dropped += link.jitter.dropped;
      jb.inserted += link.jitter.inserted;
    }
    engine.destroy();
  });
  const tu = tickUs.subarray(0, Math.min(ticks, totalTicks)).sort();
  const pct = (p: number) => (tu.length ? round(quantileSorted(tu, p)) : 0);
  const seconds = endMs / 1000;
  return {
    recordings,
    seconds,
    ticks,
    packetsSent: sent,
    packetsLost: lost,
    events: q.total,
    tickUs: {
      p50: pct(0.5),
      p99: pct(0.99),
      max: tu.length ? round(tu[tu.length - 1]) : 0,
      busiestHubP50: round(median(busiestUs)),
      busiestHubChildren: children[busiest].length,
    },
    jitterBuffer: {
      hubInputDelayMsP50: round(median(jb.hub)),
      leafInputDelayMsP50: round(median(jb.leaf)),
      targetDelayMsP50: round(median(jb.target)),
      latenessP99MsP50: round(median(jb.late)),
      underruns: jb.underruns,
      dropped: jb.dropped,
      inserted: jb.inserted,
    },
    codecCallsPerS: Math.round((2 * streams * 1000) / F),
    wallMs: Math.round(performance.now() - t0),
  };
}

function samplePlayout(engine: HubEngine, kids: number[], hasParent: boolean, into: Map<"parent" | number, number[]>): void {
  const j = engine.toJSON();
  const add = (key: "parent" | number, v: number) => {
    let a = into.get(key);
    if (!a) into.set(key, (a = []));
    a.push(v);
  };
  if (hasParent && j.parent) add("parent", j.parent.jitter.delayMs);
  for (let s = 0; s < kids.length; s++) {
    const c = j.children.find((x) => x.slot === s);
    if (c) add(kids[s], c.jitter.delayMs);
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
