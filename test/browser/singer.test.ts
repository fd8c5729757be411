/**
 * Two browser singers (real Chromium, a WAV file as each one's microphone) and two Node
 * singers under one dedicated Node hub, all over real WebRTC on this machine:
 * the hub decodes each browser's voice, each browser hears the others and not itself, the
 * page's tree view shows every node, and a screenshot of the page is kept.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChoirNode } from "@choirmesh/mixer-node/runtime/choir-node";
import { estimateDelay, signatureFrequency, type DelayEstimate } from "@choirmesh/mixer-node/signature";
import type { SignalingServer } from "@choirmesh/signaling/server";
import {
  hearingLevels,
  joinFromPage,
  launchSinger,
  pageStatus,
  sleep,
  startHub,
  startNodeSinger,
  startServer,
  tempDir,
  waitFor,
  writeSignatureWav,
  type BrowserSinger,
} from "./helpers.js";

const ROOM = "browser-choir";
const NODE_VOICES = [0, 1];
const BROWSER_VOICES = [2, 3];
/** A voice nobody sings: the analyses must not find it. */
const ABSENT_VOICE = 4;
const ARTIFACTS = path.resolve("artifacts", "browser");

/**
 * The best-aligned one-second window (half-overlapping) of a recording. On two shared cores
 * the hub's jitter buffers re-size and Chromium's fake microphone slips now and then, and a
 * delay that changes inside a window blurs the key: the voice is judged where it is steady,
 * and an absent voice gets the same chance to be "found".
 */
function bestWindow(samples: Float32Array, startAbs: number, voice: number, maxDelayMs: number): DelayEstimate {
  let best: DelayEstimate | null = null;
  for (let off = 0; off + 48_000 <= samples.length; off += 24_000) {
    const e = estimateDelay(samples.subarray(off, off + 48_000), startAbs + off, voice, { maxDelayMs });
    if (best === null || e.correlation > best.correlation) best = e;
  }
  if (best === null) throw new Error(`recording too short: ${samples.length} samples`);
  return best;
}

describe("browser singers under a Node hub", () => {
  const tmp = tempDir("choirmesh-browser-");
  let server: SignalingServer;
  let hub: ChoirNode;
  const nodes: ChoirNode[] = [];
  const browsers: BrowserSinger[] = [];
  const browserIds: string[] = [];
  /** Per browser: wall-clock ms at which its microphone (the WAV) started. */
  const micOpenedAtMs: number[] = [];
  const hubTimestampSteps = new Map<string, number[]>();
  let hubHeard: { samples: Float32Array; startAbs: number } | null = null;
  let hubClock: { ticks: number; skipped: number; late: number } | null = null;
  let levels: { frames: number; levels: number[] }[] = [];

  beforeAll(async () => {
    const wavs = BROWSER_VOICES.map((i) => writeSignatureWav(tmp.dir, i));
    server = await startServer();
    hub = await startHub(server.url, ROOM, "hub");
    for (const i of NODE_VOICES) nodes.push(await startNodeSinger(server.url, ROOM, `node-${i}`, i));
    browsers.push(...(await Promise.all(wavs.map((w) => launchSinger(w)))));
    await Promise.all(
      browsers.map((b, k) => joinFromPage(b.page, server.url, { room: ROOM, name: `browser-${BROWSER_VOICES[k]}`, section: k === 0 ? "alto" : "soprano" })),
    );
    for (const b of browsers) {
      await waitFor("the page singing", async () => (await pageStatus(b.page)).state === "singing", 15_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}\n${JSON.stringify(await pageStatus(b.page))}\n${await b.page.textContent("#log")}\n${b.console.join("\n")}`);
      });
      const place = await b.page.evaluate(() => (window as any).choirmesh.place());
      browserIds.push(place.id);
      micOpenedAtMs.push(await b.page.evaluate(() => (window as any).choirmesh.micOpenedAtMs()));
    }
    await waitFor("the Node singers linked", () => nodes.every((n) => n.allLinksConnected() && n.parentId === hub.id), 10_000);
    for (const id of browserIds) {
      const steps: number[] = [];
      hubTimestampSteps.set(id, steps);
      let last: number | null = null;
      hub.linkTo(id)!.onOpus((_seq, ts) => {
        if (last !== null && steps.length < 200) steps.push((ts - last) >>> 0);
        last = ts;
      });
    }
    // Let jitter buffers settle, then listen everywhere at once: 4 s at the hub and in both pages.
    await sleep(1000);
    const clockBefore = hub.clock!.toJSON() as { ticks: number; skipped: number; lateTicks: number };
    const rec = hub.startRecording(4.2);
    levels = await Promise.all(browsers.map((b) => hearingLevels(b.page, [...NODE_VOICES, ...BROWSER_VOICES, ABSENT_VOICE].map(signatureFrequency), 4000)));
    await waitFor("the hub's recording", () => rec.length >= rec.hear.length - 960, 3000);
    hubHeard = { samples: rec.hear.subarray(0, rec.length), startAbs: rec.startAbs };
    const clockAfter = hub.clock!.toJSON() as typeof clockBefore;
    hubClock = { ticks: clockAfter.ticks - clockBefore.ticks, skipped: clockAfter.skipped - clockBefore.skipped, late: clockAfter.lateTicks - clockBefore.lateTicks };
  });

  afterAll(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await hub?.stop();
    await server?.close();
    tmp.remove();
  });

  it("places every singer under the hub", () => {
    const tree = server.tree(ROOM);
    expect(tree.root).toBe(hub.id);
    const under = tree.nodes.filter((n) => n.parent === hub.id).map((n) => n.id).sort();
    expect(under).toEqual([...nodes.map((n) => n.id!), ...browserIds].sort());
  });

  it("sends 10 ms Opus frames with FEC, as the room says", async () => {
    for (const [id, steps] of hubTimestampSteps) {
      expect(steps.length, `packets from ${id}`).toBeGreaterThan(50);
      // Each packet of a 10 ms frame advances the 48 kHz clock by 480 (a gap after a loss is a multiple).
      const tens = steps.filter((s) => s === 480).length;
      expect(tens / steps.length, `share of 10 ms steps from ${id}`).toBeGreaterThan(0.95);
    }
    for (const b of browsers) {
      const sdp = await b.page.evaluate(() => (window as any).choirmesh.sdp());
      expect(sdp.remote).toMatch(/a=ptime:10\r\n/);
      expect(sdp.remote).toMatch(/a=fmtp:\d+ .*useinbandfec=1/);
      expect(sdp.local).toMatch(/m=audio \d+ UDP\/TLS\/RTP\/SAVPF \d+\r\n/);
    }
  });

  // Before the analyses: they hold this process (and so the hub's event loop) for seconds.
  it("the tree view shows every node, and a screenshot is kept", async () => {
    const ids = server.tree(ROOM).nodes.map((n) => n.id).sort();
    expect(ids).toHaveLength(NODE_VOICES.length + BROWSER_VOICES.length + 1);
    for (const b of browsers) {
      const shown = await waitFor(
        "every node in the tree view",
        async () => {
          const got = (await b.page.$$eval("#tree svg g.node", (gs) => gs.map((g) => (g as SVGGElement).dataset.id!))).sort();
          return JSON.stringify(got) === JSON.stringify(ids) ? got : null;
        },
        5000,
      );
      expect(shown).toEqual(ids);
      const links = await b.page.$$eval("#tree svg line.link", (ls) => ls.map((l) => `${(l as SVGLineElement).dataset.from}>${(l as SVGLineElement).dataset.to}`));
      expect(links.sort()).toEqual(ids.filter((id) => id !== hub.id).map((id) => `${hub.id}>${id}`).sort());
      expect(await b.page.textContent("#delay")).toMatch(/ms one way/);
    }
    // The director's view: the same tree, from a page that watches without joining.
    const director = await browsers[1].context.newPage();
    try {
      await director.goto(`${server.url}/?room=${ROOM}`);
      await director.click("#watch");
      const watched = await waitFor(
        "the director's tree view",
        async () => {
          const got = (await director.$$eval("#tree svg g.node", (gs) => gs.map((g) => (g as SVGGElement).dataset.id!))).sort();
          return JSON.stringify(got) === JSON.stringify(ids) ? got : null;
        },
        5000,
      );
      expect(watched).toEqual(ids);
      expect(server.tree(ROOM).nodes).toHaveLength(ids.length);
    } finally {
      await director.close();
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, "singer.png");
    await browsers[0].page.screenshot({ path: file, fullPage: true });
  });

  it("each browser hears the other singers and not itself", () => {
    const freqs = [...NODE_VOICES, ...BROWSER_VOICES];
    for (let k = 0; k < browsers.length; k++) {
      const l = levels[k];
      expect(l.frames).toBeGreaterThan(20);
      const byVoice = new Map(freqs.map((v, j) => [v, l.levels[j]]));
      const others = freqs.filter((v) => v !== BROWSER_VOICES[k]).map((v) => byVoice.get(v)!);
      const own = byVoice.get(BROWSER_VOICES[k])!;
      const absent = l.levels[freqs.length];
      const detail = `browser ${BROWSER_VOICES[k]} levels (dBFS) ${JSON.stringify(l.levels.map((v) => Math.round(v)))}`;
      // A voice of amplitude 0.08 keyed half the time reads about -42 dBFS here.
      for (const o of others) expect(o, detail).toBeGreaterThan(-60);
      expect(own, detail).toBeLessThan(Math.min(...others) - 30);
      expect(absent, detail).toBeLessThan(Math.min(...others) - 30);
    }
  });

  it("the hub decodes each browser's voice", () => {
    const heard = hubHeard!;
    // The WAV's key is voice(t - micOpenedAt) plus however late Chromium starts the file: the
    // search spans -0.5 .. +1 s around micOpenedAt.
    const pad = 500;
    const figures: Record<string, unknown> = { hubClock };
    const check = (what: string, startAbs: number, voice: number, maxDelayMs: number) => {
      const own = bestWindow(heard.samples, startAbs, voice, maxDelayMs);
      const absent = bestWindow(heard.samples, startAbs, ABSENT_VOICE, maxDelayMs);
      figures[what] = { corr: +own.correlation.toFixed(2), gainDb: +own.gainDb.toFixed(1), absentCorr: +absent.correlation.toFixed(2), absentGainDb: +absent.coherentGainDb.toFixed(1) };
      const detail = `${what}: ${JSON.stringify(figures[what])}`;
      expect(own.heard, detail).toBe(true);
      expect(own.gainDb, detail).toBeGreaterThan(-20);
      expect(absent.heard, detail).toBe(false);
      expect(own.correlation - absent.correlation, detail).toBeGreaterThan(0.2);
      expect(absent.coherentGainDb, detail).toBeLessThan(own.gainDb - 30);
    };
    for (let k = 0; k < browsers.length; k++) {
      check(`browser voice ${BROWSER_VOICES[k]}`, heard.startAbs - Math.round(micOpenedAtMs[k] * 48) + pad * 48, BROWSER_VOICES[k], 1500);
    }
    for (const i of NODE_VOICES) check(`node voice ${i}`, heard.startAbs, i, 500);
    console.log(`hub figures ${JSON.stringify(figures)}`);
  });
});
