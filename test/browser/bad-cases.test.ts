/**
 * What a browser singer sees when things go wrong: a wrong or missing token, a full room, the
 * hub killed mid-song (the page says it is reconnecting and the audio comes back under a new
 * hub), and the signaling server going away and coming back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { ChoirNode } from "@choirmesh/mixer-node/runtime/choir-node";
import { signatureFrequency } from "@choirmesh/mixer-node/signature";
import type { SignalingServer } from "@choirmesh/signaling/server";
import { createRoomToken } from "@choirmesh/signaling/tokens";
import {
  hearingLevels,
  joinFromPage,
  launchSinger,
  pageStatus,
  startHub,
  startNodeSinger,
  startServer,
  tempDir,
  waitFor,
  writeSignatureWav,
  type BrowserSinger,
} from "./helpers.js";

const OWN_VOICE = 2;
const NODE_VOICE = 0;
const FREQS = [signatureFrequency(NODE_VOICE), signatureFrequency(OWN_VOICE)];

describe("a browser singer when things go wrong", () => {
  const tmp = tempDir("choirmesh-browser-bad-");
  let browser: BrowserSinger;
  let page: Page;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    browser = await launchSinger(writeSignatureWav(tmp.dir, OWN_VOICE));
  });

  afterEach(async () => {
    await page?.close().catch(() => undefined);
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    tmp.remove();
  });

  async function serverWith(opts: Parameters<typeof startServer>[0] = {}): Promise<SignalingServer> {
    const s = await startServer(opts);
    cleanup.push(() => s.close());
    return s;
  }
  async function hub(url: string, room: string, name: string, token?: string): Promise<ChoirNode> {
    const h = await startHub(url, room, name, token ? { token } : {});
    cleanup.push(() => h.stop());
    return h;
  }
  async function nodeSinger(url: string, room: string, token?: string): Promise<ChoirNode> {
    const n = await startNodeSinger(url, room, "node-0", NODE_VOICE, token ? { token } : {});
    cleanup.push(() => n.stop());
    return n;
  }
  async function statusBecomes(code: string, timeoutMs = 8000) {
    return waitFor(`status ${code}`, async () => {
      const s = await pageStatus(page);
      return s.code === code ? s : null;
    }, timeoutMs).catch(async (e) => {
      throw new Error(`${(e as Error).message}; now ${JSON.stringify(await pageStatus(page))}\n${await page.textContent("#log")}`);
    });
  }
  async function hearsNodeVoice(): Promise<{ node: number; own: number }> {
    const l = await hearingLevels(page, FREQS, 1500);
    return { node: l.levels[0], own: l.levels[1] };
  }

  it("says so when there is no microphone, or its permission is denied", async () => {
    const server = await serverWith();
    // This machine has no sound card: without the fake device Chromium finds no microphone.
    const none = await launchSinger({});
    cleanup.push(() => none.close());
    page = none.page;
    await joinFromPage(page, server.url, { room: "quiet", name: "anna" });
    const missing = await statusBecomes("mic-missing");
    expect(missing).toMatchObject({ level: "error", state: "failed" });
    expect(missing.text).toMatch(/No microphone was found/);

    const denied = await launchSinger({ wavFile: writeSignatureWav(tmp.dir, OWN_VOICE, 2), grantMicrophone: false });
    cleanup.push(() => denied.close());
    page = denied.page;
    await joinFromPage(page, server.url, { room: "quiet", name: "anna" });
    const refused = await statusBecomes("mic-denied");
    expect(refused).toMatchObject({ level: "error", state: "failed" });
    expect(refused.text).toMatch(/permission was denied/);
    // Nobody joined: the page does not enter the room without a voice.
    expect(server.tree("quiet").nodes).toHaveLength(0);
  });

  it("says so when the token is missing, wrong, or for another room, and joins with the right one", async () => {
    const secret = "browser-test-secret";
    const server = await serverWith({ secret });
    page = await browser.context.newPage();
    await joinFromPage(page, server.url, { room: "locked", name: "anna" });
    const missing = await statusBecomes("server:token-required");
    expect(missing.level).toBe("error");
    expect(missing.text).toMatch(/needs a room token/);
    expect(await page.isVisible("#token")).toBe(true);
    expect(missing.state).toBe("failed");

    await page.fill("#token", "cm1.bm90LWEtdG9rZW4.c2lnbmF0dXJl");
    await page.click("#join");
    const wrong = await statusBecomes("server:token-invalid");
    expect(wrong.text).toMatch(/token was not accepted/);

    await page.fill("#token", createRoomToken({ room: "another-room", secret, ttlSec: 600 }));
    await page.click("#join");
    expect((await statusBecomes("server:token-wrong-room")).text).toMatch(/another room/);
    expect(server.tree("locked").nodes).toHaveLength(0);

    await page.fill("#token", createRoomToken({ room: "locked", secret, ttlSec: 600 }));
    await page.click("#join");
    // No hub in the room yet: a leaf waits for one, in the room.
    expect((await statusBecomes("joined-waiting")).state).toBe("waiting");
    expect(server.tree("locked").nodes.map((n) => n.name)).toEqual(["anna"]);
  });

  it("says so when the room is full", async () => {
    const server = await serverWith({ maxRoomSize: 2 });
    await hub(server.url, "small", "hub");
    await nodeSinger(server.url, "small");
    page = await browser.context.newPage();
    await joinFromPage(page, server.url, { room: "small", name: "late" });
    const full = await statusBecomes("server:room-full");
    expect(full.text).toMatch(/room is full/);
    expect(full.state).toBe("failed");
    expect(server.tree("small").nodes).toHaveLength(2);
  });

  it("says it is reconnecting when the hub dies mid-song, and sings again under a new hub", async () => {
    const server = await serverWith();
    const hubA = await hub(server.url, "song", "hub-a");
    await nodeSinger(server.url, "song");
    page = await browser.context.newPage();
    await joinFromPage(page, server.url, { room: "song", name: "anna" });
    await statusBecomes("singing", 15_000);
    const before = await hearsNodeVoice();
    expect(before.node).toBeGreaterThan(-60);
    expect(before.own).toBeLessThan(before.node - 30);

    await hubA.stop();
    const lost = await statusBecomes("parent-lost");
    expect(lost.text).toMatch(/Reconnecting/);
    expect(lost.state).toBe("reconnecting");
    expect(lost.level).toBe("warn");

    const hubB = await hub(server.url, "song", "hub-b");
    await statusBecomes("singing", 15_000);
    const place = await page.evaluate(() => (window as any).choirmesh.place());
    expect(place.parent).toBe(hubB.id);
    // The page names its parent from the room's tree, which it polls about once a second.
    await waitFor("the page to name its new hub", async () => /under hub-b/.test((await page.textContent("#place")) ?? ""), 5000);
    const after = await hearsNodeVoice();
    expect(after.node).toBeGreaterThan(-60);
    expect(after.own).toBeLessThan(after.node - 30);
    // And the new hub gets the browser's voice.
    await waitFor("packets from the browser at the new hub", () => (hubB.linkTo(place.id)?.getStats().packetsReceived ?? 0) > 50, 5000);
  });

  it("says the connection is lost when the server goes away, and rejoins when it is back", async () => {
    const first = await startServer();
    const port = first.port;
    let firstOpen = true;
    cleanup.push(() => (firstOpen ? first.close() : Promise.resolve()));
    await hub(first.url, "night", "hub-a");
    page = await browser.context.newPage();
    await joinFromPage(page, first.url, { room: "night", name: "anna" });
    await statusBecomes("singing", 15_000);

    await first.close();
    firstOpen = false;
    const lost = await statusBecomes("socket-lost");
    expect(lost.text).toMatch(/Connection to the server lost\. Reconnecting/);
    expect(lost.state).toBe("reconnecting");

    const second = await serverWith({ port });
    // The page's socket comes back by itself and joins again (its resume token means nothing
    // to a new server process: it joins afresh).
    await waitFor("the page back in the room", () => second.tree("night").nodes.some((n) => n.name === "anna"), 10_000);
    // The hub reconnects too and keeps its place (nodes resume after a signaling restart), so
    // the page sings again under it without anyone starting a new hub.
    await statusBecomes("singing", 15_000);
    const parent = (await page.evaluate(() => (window as any).choirmesh.place())).parent;
    expect(second.tree("night").nodes.find((n) => n.id === parent)?.name).toBe("hub-a");
  });
});
