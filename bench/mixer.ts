/**
 * The hub benchmark: the full per-tick work of a HubEngine with 4, 16 and 64 children (push
 * this tick's packets into every jitter buffer, decode every input including the parent's down
 * stream, mix, encode the up mix and every child's down mix), timed in-process over thousands
 * of ticks with real Opus packets: each child sings its own synthetic voice (a vowel with
 * harmonics, vibrato and phrasing), pre-encoded by that child's own encoder and replayed with
 * advancing sequence numbers and timestamps.
 *
 *   npm run bench:mixer -- [--json] [--backend native|fallback] [--frame-ms 10] [--complexity 5] [--ticks 3000]
 *
 * The last line printed is one JSON object; without --json a readable table comes first.
 * childrenPerCore = 64 x frame period / median tick time at 64 children. Besides the wall-clock
 * median and p99 per tick, each hub row carries the process CPU time per tick (median, p99): on
 * a shared machine the wall-clock tail measures the neighbours as much as the hub.
 */
import { exitOnUsageError, numberArg, parseCommandLine } from "@choirmesh/common/args";
import { UsageError } from "@choirmesh/common/errors";
import { median, quantile } from "@choirmesh/common/quantiles";
import { CODEC_DEFAULTS } from "@choirmesh/mixer-node/codec/defaults";
import { FRAME_MS_ALLOWED, loadCodecBackend, type BackendPreference, type CodecBackend, type FrameMs } from "@choirmesh/mixer-node/codec";
import { HubEngine } from "@choirmesh/mixer-node/hub-engine";

interface Args {
  json: boolean;
  backend: BackendPreference;
  frameMs: FrameMs;
  complexity: number;
  ticks: number;
}

function readArgs(argv: string[]): Args {
  const v = parseCommandLine(argv, {
    json: { type: "boolean", default: false },
    backend: { type: "string", default: "auto" },
    "frame-ms": { type: "string" },
    complexity: { type: "string" },
    ticks: { type: "string" },
  });
  if (!["auto", "native", "fallback"].includes(v.backend!)) throw new UsageError("--backend must be native or fallback");
  return {
    json: v.json!,
    backend: v.backend as BackendPreference,
    frameMs: numberArg("frame-ms", v["frame-ms"], CODEC_DEFAULTS.frameMs, { oneOf: FRAME_MS_ALLOWED }) as FrameMs,
    complexity: numberArg("complexity", v.complexity, CODEC_DEFAULTS.complexity, { integer: true, min: 0, max: 10 }),
    ticks: numberArg("ticks", v.ticks, 3000, { integer: true, min: 100 }),
  };
}

function fail(msg: string): never {
  process.stderr.write(`bench:mixer: ${msg}\n`);
  process.exit(2);
}

const SR = 48_000;
const CLIP_FRAMES_MS = 1500; // each stream's recorded clip, replayed in a loop

/** A sung vowel: harmonics of f0 with a formant-ish tilt, 5.5 Hz vibrato, phrases with breaths. */
function voice(seed: number, f0: number, samples: number, amp: number): Float32Array {
  const out = new Float32Array(samples);
  let phase = 0;
  let noise = seed * 7919 + 1;
  const vibHz = 5 + (seed % 7) * 0.2;
  for (let i = 0; i < samples; i++) {
    const t = i / SR;
    const f = f0 * (1 + 0.01 * Math.sin(2 * Math.PI * vibHz * t + seed));
    phase += (2 * Math.PI * f) / SR;
    // sin(h·φ) by the Chebyshev recurrence: one sin and one cos per sample instead of twelve sins.
    const s1 = Math.sin(phase);
    const c2 = 2 * Math.cos(phase);
    let prev = 0;
    let cur = s1;
    let v = 0;
    for (let h = 1; h <= 12; h++) {
      v += cur * (h <= 3 ? 1 / h : 1.5 / (h * h));
      const next = c2 * cur - prev;
      prev = cur;
      cur = next;
    }
    // Phrases of ~1.2 s with a short breath between them.
    const ph = ((t + seed * 0.13) % 1.2) / 1.2;
    const env = ph < 0.05 ? ph / 0.05 : ph > 0.9 ? Math.max(0, (1 - ph) / 0.1) : 1;
    noise = (noise * 1103515245 + 12345) >>> 0;
    out[i] = amp * (0.6 * v * env + 0.01 * (noise / 2 ** 32 - 0.5));
  }
  return out;
}

/** Encodes `pcm` frame by frame with a fresh encoder; returns one copied packet per frame. */
function encodeClip(backend: CodecBackend, a: Args, pcm: Float32Array, n: number): Uint8Array[] {
  const enc = backend.createEncoder({ frameMs: a.frameMs, complexity: a.complexity });
  const buf = new Uint8Array(1275);
  const pkts: Uint8Array[] = [];
  for (let off = 0; off + n <= pcm.length; off += n) pkts.push(buf.slice(0, enc.encode(pcm.subarray(off, off + n), buf)));
  enc.destroy();
  return pkts;
}

const pct = quantile;

function codecCost(backend: CodecBackend, a: Args, clip: Float32Array, n: number): { encodeUs: number; decodeUs: number } {
  const enc = backend.createEncoder({ frameMs: a.frameMs, complexity: a.complexity });
  const dec = backend.createDecoder(a.frameMs);
  const frames = Math.floor(clip.length / n);
  const reps = 2000;
  const encUs = new Float64Array(reps);
  const decUs = new Float64Array(reps);
  const pkt = new Uint8Array(1275);
  const out = new Float32Array(n);
  for (let r = 0; r < reps + 200; r++) {
    const off = (r % frames) * n;
    const t0 = performance.now();
    const len = enc.encode(clip.subarray(off, off + n), pkt);
    const t1 = performance.now();
    dec.decode(pkt.subarray(0, len), out);
    const t2 = performance.now();
    if (r >= 200) {
      encUs[r - 200] = (t1 - t0) * 1000;
      decUs[r - 200] = (t2 - t1) * 1000;
    }
  }
  enc.destroy();
  dec.destroy();
  return { encodeUs: round(median(encUs)), decodeUs: round(median(decUs)) };
}

interface HubResult {
  children: number;
  usPerTick: number;
  p99UsPerTick: number;
  /** Median process CPU time per tick: what the tick costs when other processes share the cores. */
  cpuUsPerTick: number;
  p99CpuUsPerTick: number;
  limiterEngaged: number;
  concealed: number;
}

function benchHub(backend: CodecBackend, a: Args, children: number, clips: Uint8Array[][], downClip: Uint8Array[], voicePcm: Float32Array): HubResult {
  const n = (SR / 1000) * a.frameMs;
  let sentBytes = 0;
  const engine = new HubEngine({
    backend,
    maxChildren: children,
    frameMs: a.frameMs,
    encoder: { complexity: a.complexity },
    onPacket: (_t, _b, len) => {
      sentBytes += len;
    },
  });
  engine.attachParent();
  for (let s = 0; s < children; s++) engine.attachChild(s);
  const warmup = 200;
  const total = warmup + a.ticks;
  const us = new Float64Array(a.ticks);
  const cpu = new Float64Array(a.ticks);
  const voiceFrames = Math.floor(voicePcm.length / n);
  for (let k = 0; k < total; k++) {
    const now = k * a.frameMs;
    const seq = k & 0xffff;
    const ts = (k * n) >>> 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    engine.receive("parent", seq, ts, downClip[k % downClip.length], now - 1);
    for (let s = 0; s < children; s++) {
      const clip = clips[s];
      engine.receive(s, seq, ts, clip[k % clip.length], now - 1);
    }
    const v = (k % voiceFrames) * n;
    engine.voiceIn.set(voicePcm.subarray(v, v + n));
    engine.tick(now);
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    if (k >= warmup) {
      us[k - warmup] = (t1 - t0) * 1000;
      cpu[k - warmup] = c1.user + c1.system;
    }
  }
  const stats = engine.toJSON();
  engine.destroy();
  if (sentBytes === 0) fail("the hub sent nothing");
  const lim = Object.values(stats.mixer.limiters);
  return {
    children,
    usPerTick: round(median(us)),
    p99UsPerTick: round(pct(us, 0.99)),
    cpuUsPerTick: round(median(cpu)),
    p99CpuUsPerTick: round(pct(cpu, 0.99)),
    limiterEngaged: round(lim.reduce((x, l) => x + l.engagedBlocks, 0) / (lim.length * total)),
    concealed: Object.values(stats.children).reduce((x, c) => x + c.pops.conceal, 0),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function main(): void {
  let a: Args;
  try {
    a = readArgs(process.argv.slice(2));
  } catch (e) {
    exitOnUsageError(e, "bench:mixer");
  }
  let backend: CodecBackend;
  try {
    backend = loadCodecBackend(a.backend);
  } catch (e) {
    fail(String(e instanceof Error ? e.message : e));
  }
  const n = (SR / 1000) * a.frameMs;
  const clipSamples = Math.floor((CLIP_FRAMES_MS * SR) / 1000 / n) * n;
  const maxChildren = 64;
  // Distinct voices: fundamentals spread over two octaves (bass to soprano), levels that make a
  // 64-voice sum loud enough to keep the limiter working, as a large hub's would.
  const clips: Uint8Array[][] = [];
  for (let s = 0; s < maxChildren; s++) {
    const f0 = 98 * Math.pow(2, (s * 2.3) / maxChildren);
    clips.push(encodeClip(backend, a, voice(s + 1, f0, clipSamples, 0.12), n));
  }
  const downPcm = new Float32Array(clipSamples);
  for (let j = 0; j < 6; j++) {
    const v = voice(100 + j, 130 + 40 * j, clipSamples, 0.1);
    for (let i = 0; i < clipSamples; i++) downPcm[i] += v[i];
  }
  const downClip = encodeClip(backend, a, downPcm, n);
  const voicePcm = voice(999, 220, clipSamples, 0.12);
  const codec = codecCost(backend, a, voicePcm, n);

  const hub: HubResult[] = [];
  for (const c of [4, 16, 64]) hub.push(benchHub(backend, a, c, clips, downClip, voicePcm));
  const at64 = hub[hub.length - 1];
  const childrenPerCore = round((64 * a.frameMs * 1000) / at64.usPerTick);
  const result = {
    backend: backend.name,
    frameMs: a.frameMs,
    complexity: a.complexity,
    codec,
    hub: hub.map((h) => ({ children: h.children, usPerTick: h.usPerTick, p99UsPerTick: h.p99UsPerTick, cpuUsPerTick: h.cpuUsPerTick, p99CpuUsPerTick: h.p99CpuUsPerTick })),
    childrenPerCore,
  };
  if (!a.json) {
    const frameUs = a.frameMs * 1000;
    console.log(`${backend.description}; ${a.frameMs} ms frames, complexity ${a.complexity}, ${a.ticks} timed ticks each`);
    console.log(`codec per frame: encode ${codec.encodeUs} µs, decode ${codec.decodeUs} µs`);
    console.log(`children  median µs/tick  p99 µs/tick  cpu µs/tick  cpu p99  % of frame  µs/child  limiter engaged  concealed`);
    for (const h of hub) {
      console.log(
        `${String(h.children).padStart(8)}  ${String(h.usPerTick).padStart(14)}  ${String(h.p99UsPerTick).padStart(11)}  ${String(h.cpuUsPerTick).padStart(11)}  ${String(h.p99CpuUsPerTick).padStart(7)}  ` +
          `${((100 * h.usPerTick) / frameUs).toFixed(1).padStart(10)}  ${(h.usPerTick / h.children).toFixed(1).padStart(8)}  ` +
          `${(100 * h.limiterEngaged).toFixed(0).padStart(14)}%  ${String(h.concealed).padStart(9)}`,
      );
    }
    console.log(`children per core (64 x frame / median tick at 64): ${childrenPerCore}`);
  }
  console.log(JSON.stringify(result));
}

main();
