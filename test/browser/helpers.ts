/**
 * Shared fixtures of the browser suites: WAV fake microphones, Chromium launched the way
 * the project found to work (Debian's /usr/bin/chromium, never a downloaded one), a room
 * with a signaling server and Node singers and hubs, and small waiting helpers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { writeWav } from "@choirmesh/client/wav";
import { ChoirNode } from "@choirmesh/mixer-node/runtime/choir-node";
import { SignatureVoice, SIG_SAMPLE_RATE } from "@choirmesh/mixer-node/signature";
import { startSignalingServer, type SignalingServer, type StartOptions } from "@choirmesh/signaling/server";

export const CHROMIUM = process.env.CHOIRMESH_CHROMIUM ?? "/usr/bin/chromium";

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fake microphone: signature voice `index` rendered from absolute sample 0 for `seconds`.
 * Chromium starts the file when the page opens the microphone and loops it, so the voice's
 * key is that of absolute time (micOpenedAt - 0) plus an offset the analysis searches for.
 */
export function writeSignatureWav(dir: string, index: number, seconds = 40): string {
  const samples = new Float32Array(Math.round(seconds * SIG_SAMPLE_RATE));
  new SignatureVoice(index).render(0, samples);
  const file = path.join(dir, `voice-${index}.wav`);
  writeWav(file, samples, SIG_SAMPLE_RATE);
  return file;
}

export interface BrowserSinger {
  context: BrowserContext;
  page: Page;
  /** Console lines and page errors, for failure messages. */
  console: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** The fake microphone; without it Chromium has no microphone at all on a machine without one. */
  wavFile?: string;
  /** Grant the microphone without asking (default true); false: permission prompts are denied. */
  grantMicrophone?: boolean;
}

export async function launchSinger(wavFileOrOptions: string | LaunchOptions): Promise<BrowserSinger> {
  const o: LaunchOptions = typeof wavFileOrOptions === "string" ? { wavFile: wavFileOrOptions } : wavFileOrOptions;
  const profile = tempDir("choirmesh-chromium-");
  const media = [
    ...(o.grantMicrophone === false ? ["--deny-permission-prompts"] : ["--use-fake-ui-for-media-stream"]),
    ...(o.wavFile ? ["--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${o.wavFile}`] : []),
  ];
  const context = await chromium.launchPersistentContext(profile.dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...media,
      "--autoplay-policy=no-user-gesture-required",
      "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
    ignoreDefaultArgs: ["--mute-audio"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const lines: string[] = [];
  page.on("console", (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => lines.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    console: lines,
    close: async () => {
      await context.close().catch(() => undefined);
      profile.remove();
    },
  };
}

export async function startServer(opts: StartOptions = {}): Promise<SignalingServer> {
  return startSignalingServer({ port: 0, host: "127.0.0.1", logLevel: "warn", ...opts });
}

/**
 * Node hubs and singers for rooms with browsers. Their links pair 127.0.0.1 only: Chromium
 * offers no loopback candidate, but its checks to the hub's 127.0.0.1 candidate arrive from
 * 127.0.0.1 (a peer-reflexive candidate), so browser links stay on loopback too.
 */
export async function startHub(url: string, room: string, name = "hub", extra: { token?: string; recordSeconds?: number } = {}): Promise<ChoirNode> {
  const node = new ChoirNode({ url, room, name, canHub: true, hasVoice: false, uploadKbps: 100_000, link: { loopbackOnly: true }, rttReportMs: 0, ...extra });
  await node.start();
  return node;
}

export async function startNodeSinger(url: string, room: string, name: string, index: number, extra: { token?: string } = {}): Promise<ChoirNode> {
  const node = new ChoirNode({
    url,
    room,
    name,
    section: "tenor",
    canHub: false,
    hasVoice: true,
    voice: new SignatureVoice(index),
    link: { loopbackOnly: true },
    rttReportMs: 0,
    ...extra,
  });
  await node.start();
  return node;
}

export interface PageJoin {
  room: string;
  name: string;
  section?: string;
  token?: string;
}

/** Opens the page and joins through its form, as a singer would. */
export async function joinFromPage(page: Page, url: string, j: PageJoin): Promise<void> {
  await page.goto(url);
  await page.fill("#room", j.room);
  await page.fill("#name", j.name);
  if (j.section) await page.selectOption("#section", j.section);
  if (j.token !== undefined) {
    await page.evaluate(() => {
      document.getElementById("token-row")!.hidden = false;
    });
    await page.fill("#token", j.token);
  }
  await page.click("#join");
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const until = performance.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The page's status line: its code and text. */
export async function pageStatus(page: Page): Promise<{ code: string; level: string; text: string; state: string }> {
  return page.evaluate(() => {
    const s = document.getElementById("status")!;
    return { code: s.dataset.code ?? "", level: s.dataset.level ?? "", text: s.textContent ?? "", state: document.body.dataset.state ?? "" };
  });
}

/** Average levels (dBFS) of what the page plays at these frequencies over `ms`. */
export async function hearingLevels(page: Page, freqs: number[], ms: number): Promise<{ frames: number; levels: number[] }> {
  await page.evaluate(() => (window as unknown as { choirmesh: { resetHearing(): void } }).choirmesh.resetHearing());
  await sleep(ms);
  const r = await page.evaluate(
    (f) => (window as unknown as { choirmesh: { hearingLevels(f: number[]): { frames: number; levels: number[] } | null } }).choirmesh.hearingLevels(f),
    freqs,
  );
  if (!r) throw new Error("the page hears nothing yet");
  // JSON turns -Infinity into null
  return { frames: r.frames, levels: r.levels.map((v) => (v === null ? -Infinity : v)) };
}
