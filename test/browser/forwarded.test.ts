/**
 * A browser two levels down on the forwarded down path (docs/design.md, "The cheap hop"): a chain
 * of two Node singers (the root R and its child A, fan-out 1) and a browser B under A, all over
 * real WebRTC with real Opus. A hub cannot send a browser the forwarded path's header, so B asks
 * for extra receive-only audio tracks and A sends it, plain, its own mix for B on the first track
 * and R's stream, forwarded packet by packet without a decode, on the next. B's page sums the
 * tracks: it hears R (only on the forwarded track) and A, never itself, and R hears B. At 10 ms
 * frames and at 5, where the browser still sends 10 ms packets (its encoder's floor) and its hub
 * plays each as two of its frames (long-frames.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChoirNode } from "@choirmesh/mixer-node/runtime/choir-node";
import { SignatureVoice, estimateDelay, signatureFrequency } from "@choirmesh/mixer-node/signature";
import type { SignalingServer } from "@choirmesh/signaling/server";
import { DEFAULT_MEDIA } from "@choirmesh/protocol";
import type { FrameMs } from "@choirmesh/mixer-node/codec/types";
import { hearingLevels, joinFromPage, launchSinger, pageStatus, sleep, startServer, tempDir, waitFor, writeSignatureWav, type BrowserSinger } from "./helpers.js";

const ROOT_VOICE = 0;
const HUB_VOICE = 1;
const BROWSER_VOICE = 2;
const ABSENT_VOICE = 4;

function nodeSinger(url: string, room: string, name: string, voice: number): ChoirNode {
  return new ChoirNode({ url, room, name, section: "tenor", canHub: true, hasVoice: true, voice: new SignatureVoice(voice), uploadKbps: 20_000, link: { loopbackOnly: true }, rttReportMs: 0 });
}

describe.each([10, 5] as FrameMs[])("a browser under a hub on the forwarded down path, %s ms frames", (frameMs) => {
  const ROOM = `browser-forwarded-${frameMs}`;
  const tmp = tempDir("choirmesh-browser-fwd-");
  let server: SignalingServer;
  let root: ChoirNode;
  let hub: ChoirNode;
  let browser: BrowserSinger;
  let browserId = "";
  let levels: { frames: number; levels: number[] } = { frames: 0, levels: [] };
  let rootHeard: { samples: Float32Array; startAbs: number } | null = null;
  let micOpenedAtMs = 0;
  let tracksReceiving = 0;

  beforeAll(async () => {
    const wav = writeSignatureWav(tmp.dir, BROWSER_VOICE);
    server = await startServer({ planner: { maxFanout: 1 }, media: { ...DEFAULT_MEDIA, frameMs } });
    root = nodeSinger(server.url, ROOM, "root", ROOT_VOICE);
    await root.start();
    hub = nodeSinger(server.url, ROOM, "hub", HUB_VOICE);
    await hub.start();
    await waitFor("the hub under the root", () => hub.parentId === root.id && hub.allLinksConnected(), 10_000);
    browser = await launchSinger(wav);
    await joinFromPage(browser.page, server.url, { room: ROOM, name: "browser", section: "alto" });
    await waitFor("the page singing", async () => (await pageStatus(browser.page)).state === "singing", 15_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${JSON.stringify(await pageStatus(browser.page))}\n${await browser.page.textContent("#log")}\n${browser.console.join("\n")}`);
    });
    browserId = (await browser.page.evaluate(() => (window as any).choirmesh.place())).id;
    micOpenedAtMs = await browser.page.evaluate(() => (window as any).choirmesh.micOpenedAtMs());
    tracksReceiving = await waitFor(
      "packets on the forwarded track",
      async () => {
        const s = await browser.page.evaluate(() => (window as any).choirmesh.stats());
        return s && s.tracksReceiving >= 2 ? (s.tracksReceiving as number) : 0;
      },
      8000,
    ).catch(() => 0);
    // Let the jitter buffers settle, then listen at the page and at the root at once.
    await sleep(1000);
    const rec = root.startRecording(4.2);
    levels = await hearingLevels(browser.page, [ROOT_VOICE, HUB_VOICE, BROWSER_VOICE, ABSENT_VOICE].map(signatureFrequency), 4000);
    await waitFor("the root's recording", () => rec.length >= rec.hear.length - 960, 3000);
    rootHeard = { samples: rec.hear.subarray(0, rec.length), startAbs: rec.startAbs };
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await root?.stop();
    await server?.close();
    tmp.remove();
  });

  it("places the browser two levels down, under the hub", () => {
    const tree = server.tree(ROOM);
    expect(tree.root).toBe(root.id);
    expect(tree.nodes.find((n) => n.id === hub.id)?.parent).toBe(root.id);
    expect(tree.nodes.find((n) => n.id === browserId)?.parent).toBe(hub.id);
  });

  it("the hub sends the browser the root's stream on a track of its own", () => {
    const link = hub.linkTo(browserId)!;
    expect(link.extraTracks).toBeGreaterThanOrEqual(1);
    // The hub's own mix for the browser, and the root's stream one level up: two tracks carry packets.
    expect(tracksReceiving).toBe(2);
  });

  it("the browser hears the root and the hub, not itself", () => {
    const detail = `levels (dBFS) root, hub, own, absent: ${JSON.stringify(levels.levels.map((v) => Math.round(v)))}`;
    const [rootLevel, hubLevel, own, absent] = levels.levels;
    expect(levels.frames).toBeGreaterThan(20);
    // A voice of amplitude 0.08 keyed half the time reads about -42 dBFS here.
    expect(rootLevel, detail).toBeGreaterThan(-60);
    expect(hubLevel, detail).toBeGreaterThan(-60);
    // Each voice comes once: the root's only on the forwarded track, at the hub's level.
    expect(Math.abs(rootLevel - hubLevel), detail).toBeLessThan(6);
    expect(own, detail).toBeLessThan(Math.min(rootLevel, hubLevel) - 30);
    expect(absent, detail).toBeLessThan(Math.min(rootLevel, hubLevel) - 30);
  });

  it("the root hears the browser", () => {
    const heard = rootHeard!;
    // The WAV's key is voice(t - micOpenedAt) plus however late Chromium starts the file.
    const startAbs = heard.startAbs - Math.round(micOpenedAtMs * 48) + 500 * 48;
    const e = estimateDelay(heard.samples, startAbs, BROWSER_VOICE, { maxDelayMs: 1500 });
    const hubVoice = estimateDelay(heard.samples, heard.startAbs, HUB_VOICE, { maxDelayMs: 500 });
    expect(hubVoice.heard, JSON.stringify(hubVoice)).toBe(true);
    expect(e.heard, JSON.stringify(e)).toBe(true);
  });
});
