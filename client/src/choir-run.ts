/**
 * A local choir on loopback: a signaling server, singers with signature voices (and, in star
 * mode, one dedicated hub as the central server), all over real WebRTC. After the tree settles,
 * every node records what it hears; the recordings tell who heard whom, how loud, and with what
 * delay. The demo (`npm start`) and the integration tests both run this.
 */
import type { ChoirNodeStats } from "@choirmesh/mixer-node/runtime/choir-node";
import { mkdirSync } from "node:fs";
import { setPriority } from "node:os";
import { join } from "node:path";
import { loadCodecBackend } from "@choirmesh/mixer-node/codec";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { MAX_SIGNATURE_VOICES, estimateDelay } from "@choirmesh/mixer-node/signature";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import type { TreeMessage } from "@choirmesh/protocol";
import { startSignalingServer, type SignalingServer } from "@choirmesh/signaling/server";
import { quantileSorted as quantile } from "@choirmesh/common/quantiles";
import { RemoteNode, type RemoteRecording } from "./remote-node.js";
import { GeoPaths, type ChoirGeo } from "./choir-geo.js";
import { writeWav } from "./wav.js";
import { countMoves, countPops, fitHops, fitHopsBelowRoot, pathHubs, waitForSteadyPlayout, type SettleOptions } from "./choir-stats.js";

/**
 * tree: the planner's tree of singers; star: one dedicated hub, every singer its child (a central
 * server); hybrid: dedicated hubs in data centres (ChoirGeo.hubs) at the top of the planner's tree;
 * topMesh: the hybrid whose top hubs form a full mesh (planner meshTops).
 */
export type Topology = "tree" | "star" | "hybrid" | "topMesh";

/**
 * The longest delay the analysis looks for. A singer is "heard" when its voice is found at any
 * delay up to this; how long the delay was is reported separately.
 */
const ANALYSIS_MAX_DELAY_MS = 800;
/** Above this many singers the own-voice check listens over 16 s (its floor falls with the length). */
const OWN_VOICE_LONG_ABOVE = 12;
/** The star's central server's scheduling priority (os.setPriority; lower runs first). */
const STAR_HUB_PRIORITY = -10;

export interface ChoirRunOptions {
  singers: number;
  /** Children per hub in tree mode (the planner's maxFanout). */
  fanout: number;
  /** Seconds recorded once the tree has settled (and analysed for who hears whom). */
  seconds: number;
  /** Seconds analysed for each singer's own voice (at least `seconds`); default 16 above 12 singers, else `seconds`. */
  ownVoiceSeconds?: number;
  /** Also measure the own-voice figure for every spare signature (ChoirRunResult.ownFloorDb; else NaN). */
  ownFloor?: boolean;
  frameMs: FrameMs;
  /** Opus bitrate, bit/s (default DEFAULT_MEDIA's). */
  bitrate?: number;
  topology: Topology;
  /** The room's down path (MediaSettings.downPath); default DEFAULT_MEDIA's ("mix"). */
  downPath?: "forward" | "mix";
  backend?: "auto" | "native" | "fallback";
  /** Write one WAV per singer plus the root's mix.wav here. */
  recordDir?: string;
  /** Give up waiting for every link to connect after this long, ms (default 20000). */
  settleTimeoutMs?: number;
  /** How the run waits for steady play-out before recording (waitForSteadyPlayout). */
  settle?: SettleOptions;
  /** Progress lines (stderr in the demo). */
  log?: (line: string) => void;
  /** Use an existing server instead of starting one (its planner options then apply). */
  server?: SignalingServer;
  room?: string;
  /**
   * Node processes to reuse (one per node: the hub first in star mode); they leave the room at
   * the end instead of exiting, so that another run can use them without starting processes.
   */
  pool?: RemoteNode[];
  /** Each singer's recording by id, for a closer look at what was heard (tests). */
  onRecordings?: (recs: ReadonlyMap<string, RemoteRecording>) => void;
  /** Neighbours who hear each other directly (signaling/planner/direct.ts): how many each, and how close. */
  direct?: { perSinger: number; maxMs?: number; weightMs?: number };
  /** Geography on loopback (choir-geo.ts): places, home connections and the delayed links between them. */
  geo?: ChoirGeo;
}

export interface PairResult {
  from: string;
  to: string;
  heard: boolean;
  delayMs: number;
  /** Hubs the sound passes through between the two (0 between a parent and its child). */
  hubs: number;
  /** Of those, the mixing hubs on the way up (the meeting point included) and the levels down. */
  up: number;
  down: number;
  /** Their paths meet at the root (the longest way a voice goes in the tree). */
  meetsAtRoot: boolean;
  correlation: number;
}

export interface ChoirRunResult {
  topology: Topology;
  singers: number;
  frameMs: number;
  backend: string;
  depth: number;
  tree: TreeMessage;
  names: Map<string, string>;
  /** Each singer's signature voice (signature.ts), by id. */
  voices: Map<string, number>;
  pairs: PairResult[];
  heardAll: boolean;
  /** Loudest own voice in anyone's ears relative to the median level of the others, dB. */
  selfLeakDb: number;
  /** The same measure for the voices nobody sings (spare signatures), the loudest: what selfLeakDb reads with no leak at all. NaN without spares or unasked. */
  ownFloorDb: number;
  /** Every voice found in the root's full mix. */
  rootMixHasAll: boolean;
  latencyMs: { p50: number; p95: number; max: number };
  /**
   * Least squares of pair delay on the hubs up and the levels down (choir-stats.ts, fitHops):
   * what a mixing hub adds on the way up, what a level of the down path adds (NaN when the tree
   * cannot tell them apart), and the intercept. With a hear phase (forwarded path) a third
   * regressor: what meeting below the root adds (fitHopsBelowRoot; NaN otherwise).
   */
  perHopMs: number;
  downLevelMs: number;
  baseMs: number;
  belowRootMs: number;
  setupMs: number;
  concealedShare: number;
  /**
   * While recording, over every input of every node: frames by which play-out moved (a
   * jitter buffer dropping, inserting or skipping a frame, or restarting). Each moves a voice's
   * delay for everyone downstream mid-recording, which the delay analysis sees as two delays.
   */
  playoutShifts: number;
  /** While recording, ticks the nodes' frame clocks skipped (stalls of more than three frames). */
  skippedTicks: number;
  /** Each node's own stats at the end of the recording (the hub first in star mode), for a closer look. */
  nodeStats: { name: string; stats: unknown }[];
  tickLateP99Ms: number;
  /** CPU of the busiest node process while recording, share of one core. */
  nodeCpuMax: number;
  /** Every node process's CPU while recording, summed, in cores; and each node's (share of a core). */
  nodesCpuCores: number;
  nodeCpu: { id: string; share: number }[];
  /**
   * The jitter buffers' measured lateness (99th percentile of how late packets come), the median
   * over every input: what loopback and two shared cores add to a packet's way, ms.
   */
  latenessP99Ms: number;
  /** Jitter-buffer play-out delay over every input of every node at the end, ms. */
  jitterDelayMs: { p50: number; max: number };
  /**
   * Parent changes after each node's first parent, from the start of the run to the end of the
   * recording (the room filling included): in all, and the most of any one node.
   */
  moves: { total: number; maxPerNode: number };
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runChoir(opts: ChoirRunOptions): Promise<ChoirRunResult> {
  const log = opts.log ?? (() => {});
  if (opts.singers < 2 || opts.singers > MAX_SIGNATURE_VOICES) throw new RangeError(`singers must be 2..${MAX_SIGNATURE_VOICES} (one signature tone each)`);
  const backendName = loadCodecBackend(opts.backend ?? "auto").name;
  const room = opts.room ?? `demo-${opts.topology}`;
  const ownServer = !opts.server;
  const server =
    opts.server ??
    (await startSignalingServer({
      port: 0,
      host: "127.0.0.1",
      media: { ...DEFAULT_MEDIA, frameMs: opts.frameMs, ...(opts.bitrate ? { bitrate: opts.bitrate } : {}), ...(opts.downPath ? { downPath: opts.downPath } : {}) },
      planner: {
        maxFanout: opts.topology === "star" ? Math.max(opts.singers, 2) : opts.fanout,
        ...(opts.direct ? { directPerSinger: opts.direct.perSinger, directMaxMs: opts.direct.maxMs, directWeightMs: opts.direct.weightMs } : {}),
        ...(opts.topology === "topMesh" ? { meshTops: true } : {}),
      },
    }));
  // Every node is a process of its own; start them all at once (each takes ~0.5 s to load).
  const pool = opts.pool ?? [];
  const proc = (i: number, name: string) => pool[i] ?? new RemoteNode(name);
  const geo = opts.geo;
  if (geo && geo.singers.length !== opts.singers) throw new RangeError(`geo places ${geo.singers.length} singers, the run has ${opts.singers}`);
  const tiered = opts.topology === "hybrid" || opts.topology === "topMesh";
  if (tiered && !geo?.hubs.length) throw new RangeError(`a ${opts.topology} run needs dedicated hubs (geo.hubs)`);
  const hubNames = opts.topology === "star" ? [geo?.hubs[0]?.name ?? "server"] : tiered ? geo!.hubs.map((h) => h.name) : [];
  const hubs = hubNames.map((name, i) => proc(i, name));
  const off = hubs.length;
  const singers = Array.from({ length: opts.singers }, (_, i) => proc(i + off, `s${i}`));
  const nodes = [...hubs, ...singers];
  const paths = geo ? new GeoPaths() : null;
  const names = new Map<string, string>();
  const voices = new Map<string, number>();
  const common = { url: server.url, room, backend: opts.backend ?? "auto", link: { loopbackOnly: true }, rttReportMs: 1000 } as const;
  try {
    // Every process loads first: a process still compiling would starve the nodes already singing.
    await Promise.all(nodes.map((n) => n.whenReady()));
    const t0 = performance.now();
    for (const [i, hub] of hubs.entries()) {
      // A central server (or a dedicated hub) has a machine of its own; sharing two cores with
      // every singer, it gets the CPU first, as it would alone (singers that wake to hear its
      // streams as they arrive would otherwise delay its tick: 32 singers, p50 80-157 ms against
      // 21 ms with it).
      try {
        setPriority(hub.child.pid!, STAR_HUB_PRIORITY);
      } catch {
        if (i === 0) log(`dedicated hubs run at the singers' priority (raising it needs CAP_SYS_NICE)`);
      }
      const place = geo?.hubs[i]?.place;
      if (paths && place) await paths.before(hub, place);
      const where = place ? { location: { lat: place.lat, lon: place.lon }, accessMs: place.accessMs } : {};
      await hub.start({ ...common, ...where, name: hubNames[i], hasVoice: false, canHub: true, dedicated: true, uploadKbps: 1_000_000 });
      if (paths && place) await paths.after(hub, place);
      names.set(hub.id!, hubNames[i]);
    }
    // Joins in order, so that the planner builds the tree as singers arrive.
    for (let i = 0; i < singers.length; i++) {
      const g = geo?.singers[i];
      if (paths && g) await paths.before(singers[i], g.place);
      await singers[i].start({
        ...common,
        name: `s${i}`,
        section: g?.section ?? ["soprano", "alto", "tenor", "bass"][i % 4],
        canHub: opts.topology !== "star",
        uploadKbps: opts.topology === "star" ? 2_000 : (g?.uploadKbps ?? 20_000),
        ...(g ? { location: { lat: g.place.lat, lon: g.place.lon }, accessMs: g.place.accessMs } : {}),
        voiceIndex: i,
      });
      if (paths && g) await paths.after(singers[i], g.place);
      names.set(singers[i].id!, `s${i}`);
      voices.set(singers[i].id!, i);
    }
    log(`${nodes.length} nodes joined; connecting links`);
    let lastStates: Awaited<ReturnType<RemoteNode["state"]>>[] = [];
    try {
      await waitFor(
        async () => {
          lastStates = await Promise.all(nodes.map((n) => n.state()));
          return lastStates.every((st) => st.connected) && lastStates.filter((st) => st.parent === null).length === 1;
        },
        opts.settleTimeoutMs ?? 20_000,
        "every link to connect",
      );
    } catch (err) {
      const stats = await Promise.all(nodes.map((n) => n.stats().catch(() => null)));
      const detail = lastStates.map((st, i) => {
        const links = (stats[i]?.stats.links ?? []).map((l) => `${names.get(l.peer) ?? l.peer}:${l.role}:${l.state}`);
        return `${names.get(st.id ?? "") ?? st.id} parent=${names.get(st.parent ?? "") ?? st.parent} links=[${links.join(" ")}] problems=${(stats[i]?.problems ?? []).slice(-3).join(" | ")}`;
      });
      throw new Error(`${(err as Error).message}\n  ${detail.join("\n  ")}`);
    }
    const setupMs = performance.now() - t0;
    log(`all links connected after ${setupMs.toFixed(0)} ms; letting jitter buffers settle`);
    const settled = await waitForSteadyPlayout(nodes, opts.settle ?? {});
    log(settled.steady ? `play-out steady after ${(settled.ms / 1000).toFixed(1)} s` : `play-out still moving after ${(settled.ms / 1000).toFixed(1)} s; recording anyway`);
    const tree = server.tree(room);
    // The own-voice check is the most demanding measurement (a voice that should be absent, among
    // up to 31 others): it gets a longer recording in a large choir, and, where a play-out shift of
    // a whole frame keeps every signature tone's phase (frames of 10 or 20 ms: the tones are
    // multiples of 100 Hz), one coherent block over all of it (a floor ~4 dB lower than 2 s blocks).
    // 16 singers over 4 s: -34 to -36 dB on either down path, the floor and not a leak; over 16 s -41.
    const ownSeconds = Math.max(opts.seconds, opts.ownVoiceSeconds ?? (opts.singers > OWN_VOICE_LONG_ABOVE ? 16 : opts.seconds));
    const ownBlockMs = opts.frameMs % 10 === 0 ? ownSeconds * 1000 : undefined;
    await Promise.all(nodes.map((n) => n.startRecording(ownSeconds + 1)));
    const pre = await Promise.all(nodes.map((n) => n.stats()));
    log(`recording ${ownSeconds} s`);
    await new Promise((r) => setTimeout(r, ownSeconds * 1000 + 300));
    const post = await Promise.all(nodes.map((n) => n.stats()));
    const recs = await Promise.all(nodes.map((n) => n.recording()));
    const singerRecs = recs.slice(off);
    opts.onRecordings?.(new Map(singers.map((s, i) => [s.id!, singerRecs[i]] as const)));
    const window = (r: RemoteRecording, which: "hear" | "mix", seconds = opts.seconds) => r[which].subarray(0, Math.min(r.length, seconds * 48_000));

    // Analysis: every listener against every other singer. A voice whose delay moved by a frame
    // mid-recording (a jitter buffer on its way dropped or inserted one) is still heard.
    const pairOpts = { maxDelayMs: ANALYSIS_MAX_DELAY_MS, skipMs: 100, shiftToleranceMs: opts.frameMs };
    const pairs: PairResult[] = [];
    const hopsOf = (a: string, b: string) => {
      const h = pathHubs(tree, a, b);
      return { hubs: h.up + h.down, up: h.up, down: h.down, meetsAtRoot: h.meetsAtRoot };
    };
    let selfLeakDb = -Infinity;
    let ownFloorDb = opts.ownFloor === true && singers.length < MAX_SIGNATURE_VOICES ? -Infinity : NaN;
    for (let b = 0; b < singers.length; b++) {
      const rec = singerRecs[b];
      const heard = window(rec, "hear");
      const levels: number[] = [];
      for (let a = 0; a < singers.length; a++) {
        if (a === b) continue;
        const est = estimateDelay(heard, rec.startAbs, a, pairOpts);
        levels.push(est.gainDb);
        pairs.push({
          from: singers[a].id!,
          to: singers[b].id!,
          heard: est.heard,
          delayMs: est.delayMs,
          ...hopsOf(singers[a].id!, singers[b].id!),
          correlation: est.correlation,
        });
      }
      levels.sort((x, y) => x - y);
      const ownAt = (x: number) => estimateDelay(window(rec, "hear", ownSeconds), rec.startAbs, x, { maxDelayMs: ANALYSIS_MAX_DELAY_MS, skipMs: 100, blockMs: ownBlockMs }).coherentGainDb - quantile(levels, 0.5);
      selfLeakDb = Math.max(selfLeakDb, ownAt(b));
      for (let x = singers.length; opts.ownFloor === true && x < MAX_SIGNATURE_VOICES; x++) ownFloorDb = Math.max(ownFloorDb, ownAt(x));
    }
    const rootIdx = nodes.findIndex((n) => n.id === tree.root);
    const rootRec = recs[rootIdx];
    const rootMix = window(rootRec, "mix");
    const rootMixHasAll = singers.every((_, i) => estimateDelay(rootMix, rootRec.startAbs, i, pairOpts).heard);

    const heardPairs = pairs.filter((p) => p.heard);
    const delays = heardPairs.map((p) => p.delayMs).sort((x, y) => x - y);
    // What a hub adds on the way up and a level on the way down: least squares over the pairs.
    const hearPhase = post.some((p) => p.stats.hear != null);
    const { perHopMs, downLevelMs, baseMs, belowRootMs = Number.NaN } = hearPhase ? fitHopsBelowRoot(heardPairs) : fitHops(heardPairs);

    // Concealment, tick lateness, CPU and jitter-buffer delay over the recording window.
    let frames = 0;
    let concealed = 0;
    let shifts = 0;
    let skippedTicks = 0;
    let lateP99 = 0;
    let cpuMax = 0;
    let cpuSum = 0;
    const nodeCpu: { id: string; share: number }[] = [];
    const jitterDelays: number[] = [];
    const lateness: number[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const c = countPops(post[i].stats);
      const p = countPops(pre[i].stats);
      frames += c.total - p.total;
      concealed += c.conceal - p.conceal;
      shifts += c.shifts - p.shifts;
      const skippedOf = (st: ChoirNodeStats) => st.clock?.skipped ?? 0;
      skippedTicks += skippedOf(post[i].stats) - skippedOf(pre[i].stats);
      lateP99 = Math.max(lateP99, post[i].stats.clock?.latenessMs.p99 ?? 0);
      const cpuUs = post[i].cpu.user + post[i].cpu.system - pre[i].cpu.user - pre[i].cpu.system;
      const share = cpuUs / 1000 / (post[i].uptimeMs - pre[i].uptimeMs);
      cpuMax = Math.max(cpuMax, share);
      cpuSum += share;
      nodeCpu.push({ id: nodes[i].id!, share });
      for (const input of post[i].stats.inputs) {
        jitterDelays.push(input.jitter.delayMs);
        if (input.jitter.latenessP99Ms >= 0) lateness.push(input.jitter.latenessP99Ms);
      }
    }
    jitterDelays.sort((x, y) => x - y);
    lateness.sort((x, y) => x - y);
    const movesPerNode = post.map((st) => countMoves(st.healing ?? []));
    const depth = Math.max(...tree.nodes.map((n) => n.depth));

    if (opts.recordDir) {
      mkdirSync(opts.recordDir, { recursive: true });
      singers.forEach((_, i) => writeWav(join(opts.recordDir!, `${opts.topology}-s${i}.wav`), window(singerRecs[i], "hear")));
      writeWav(join(opts.recordDir, `${opts.topology}-mix.wav`), rootMix);
    }
    return {
      topology: opts.topology,
      singers: opts.singers,
      frameMs: opts.frameMs,
      backend: backendName,
      depth,
      tree,
      names,
      voices,
      pairs,
      heardAll: pairs.every((p) => p.heard),
      selfLeakDb,
      ownFloorDb,
      rootMixHasAll,
      latencyMs: { p50: quantile(delays, 0.5), p95: quantile(delays, 0.95), max: delays[delays.length - 1] ?? NaN },
      perHopMs,
      downLevelMs,
      baseMs,
      belowRootMs,
      setupMs,
      concealedShare: frames > 0 ? concealed / frames : 0,
      playoutShifts: shifts,
      skippedTicks,
      nodeStats: post.map((p, i) => ({ name: names.get(nodes[i].id!) ?? String(i), stats: p.stats })),
      tickLateP99Ms: lateP99,
      nodeCpuMax: cpuMax,
      nodesCpuCores: cpuSum,
      nodeCpu,
      jitterDelayMs: { p50: quantile(jitterDelays, 0.5), max: jitterDelays[jitterDelays.length - 1] ?? NaN },
      latenessP99Ms: quantile(lateness, 0.5),
      moves: { total: movesPerNode.reduce((a, b) => a + b, 0), maxPerNode: Math.max(0, ...movesPerNode) },
    };
  } finally {
    await Promise.allSettled(nodes.map((n) => (pool.includes(n) ? n.leave() : n.stop())));
    if (ownServer) await server.close();
  }
}

export * from "./choir-stats.js";
