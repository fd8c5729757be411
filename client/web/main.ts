/**
 * The browser singer's page: wires the form, the meters, playback and the tree view to a
 * SingerSession. `window.choirmesh` exposes the session and the analysis of what the singer
 * hears, for the end-to-end tests and for curious singers.
 */
import { HearingMix, LevelMeter, Playback, SpectrumAverage } from "./audio.js";
import { WEB_DEFAULTS } from "./defaults.js";
import type { Notice } from "./messages.js";
import { SingerSession, type Place, type SessionState } from "./session.js";
import { TreeView } from "./tree-view.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const ui = {
  form: $<HTMLFormElement>("join-form"),
  room: $<HTMLInputElement>("room"),
  name: $<HTMLInputElement>("name"),
  section: $<HTMLSelectElement>("section"),
  token: $<HTMLInputElement>("token"),
  tokenRow: $<HTMLElement>("token-row"),
  processing: $<HTMLInputElement>("processing"),
  join: $<HTMLButtonElement>("join"),
  leave: $<HTMLButtonElement>("leave"),
  watch: $<HTMLButtonElement>("watch"),
  status: $<HTMLElement>("status"),
  state: $<HTMLElement>("state"),
  place: $<HTMLElement>("place"),
  delay: $<HTMLElement>("delay"),
  opus: $<HTMLElement>("opus"),
  micMeter: $<HTMLElement>("mic-meter"),
  micDb: $<HTMLElement>("mic-db"),
  outMeter: $<HTMLElement>("out-meter"),
  outDb: $<HTMLElement>("out-db"),
  volume: $<HTMLInputElement>("volume"),
  playback: $<HTMLAudioElement>("playback"),
  log: $<HTMLElement>("log"),
};
const treeView = new TreeView($("tree"), $("tree-caption"));
const playback = new Playback(ui.playback);

let session: SingerSession | null = null;
let audioCtx: AudioContext | null = null;
let micMeter: LevelMeter | null = null;
let mix: HearingMix | null = null;
let hearing: SpectrumAverage | null = null;
let hearingMeter: LevelMeter | null = null;
let micOpenedAtMs: number | null = null;

// Links may prefill the form: ?room=st-thomas&name=Anna&section=alto&token=cm1...
const params = new URLSearchParams(location.search);
for (const [key, input] of [["room", ui.room], ["name", ui.name], ["token", ui.token]] as const) {
  const v = params.get(key);
  if (v) input.value = v;
}
if (params.get("section")) ui.section.value = params.get("section")!;
if (ui.token.value) ui.tokenRow.hidden = false;

const STATE_TEXT: Record<SessionState, string> = {
  idle: "not joined",
  microphone: "opening the microphone",
  connecting: "connecting",
  waiting: "waiting for a hub",
  linking: "connecting audio",
  singing: "singing",
  reconnecting: "reconnecting",
  failed: "stopped",
  left: "left",
};

function showNotice(n: Notice): void {
  ui.status.textContent = n.text;
  ui.status.dataset.code = n.code;
  ui.status.dataset.level = n.level;
  if (n.code.startsWith("server:token")) {
    ui.tokenRow.hidden = false;
    ui.token.focus();
  }
}

function log(line: string): void {
  const t = new Date().toISOString().slice(11, 23);
  ui.log.textContent = `${t} ${line}\n${ui.log.textContent ?? ""}`.slice(0, 20_000);
}

function showPlace(p: Place): void {
  if (p.id === null) {
    ui.place.textContent = "—";
  } else if (p.parent === null) {
    ui.place.textContent = "waiting for a hub";
  } else {
    const depth = p.depth === null ? "" : `, depth ${p.depth}`;
    ui.place.textContent = `under ${p.parentName ?? p.parent}${depth}`;
  }
  ui.delay.textContent = p.rttMs === null ? "—" : `${(p.rttMs / 2).toFixed(1)} ms one way (round trip ${p.rttMs.toFixed(1)} ms)`;
  if (p.roomFrameMs !== null) {
    const note = p.sendFrameMs !== p.roomFrameMs ? ` (room ${p.roomFrameMs} ms; browsers go no lower)` : "";
    ui.opus.textContent = `${p.sendFrameMs} ms frames${note}, FEC on`;
  }
}

function bar(el: HTMLElement, text: HTMLElement, db: number): void {
  const pct = Number.isFinite(db) ? Math.max(0, Math.min(100, ((db + 60) / 60) * 100)) : 0;
  el.style.width = `${pct}%`;
  el.classList.toggle("hot", db > -12);
  el.classList.toggle("clip", db > -1);
  text.textContent = Number.isFinite(db) ? `${db.toFixed(0)} dB` : "—";
}

function ensureAudio(): AudioContext {
  if (!audioCtx) audioCtx = new AudioContext({ latencyHint: "interactive" });
  void audioCtx.resume();
  return audioCtx;
}

function resetUi(): void {
  ui.join.disabled = false;
  ui.watch.disabled = false;
  ui.leave.disabled = true;
}

function start(watchOnly: boolean): void {
  session?.leave();
  micMeter?.dispose();
  micMeter = null;
  const s = new SingerSession();
  session = s;
  ui.join.disabled = true;
  ui.watch.disabled = true;
  ui.leave.disabled = false;
  s.on("notice", showNotice);
  s.on("log", log);
  s.on("state", (st) => {
    ui.state.textContent = STATE_TEXT[st];
    document.body.dataset.state = st;
    if (st === "failed" || st === "left") resetUi();
  });
  s.on("place", showPlace);
  s.on("tree", (tree) => {
    const p = s.place;
    treeView.render({
      tree,
      self: p.id,
      frameMs: p.sendFrameMs ?? 10,
      ownLink: p.parent !== null && p.rttMs !== null ? { parent: p.parent, rttMs: p.rttMs } : null,
    });
  });
  s.on("microphone", (stream) => {
    micOpenedAtMs = performance.timeOrigin + performance.now();
    micMeter?.dispose();
    micMeter = new LevelMeter(ensureAudio(), stream);
  });
  s.on("hearing", (tracks) => {
    const ctx = ensureAudio();
    mix?.dispose();
    mix = new HearingMix(ctx, tracks);
    const stream = mix.stream;
    playback.play(stream);
    hearing?.dispose();
    hearingMeter?.dispose();
    hearing = new SpectrumAverage(ctx, stream, WEB_DEFAULTS.analysis.fftSize, WEB_DEFAULTS.analysis.pollMs);
    hearingMeter = new LevelMeter(ctx, stream);
  });
  if (watchOnly) {
    s.watch(ui.room.value.trim(), ui.token.value.trim() || undefined);
    showNotice({ code: "connecting", level: "info", text: `Watching room ${ui.room.value.trim()}.` });
    return;
  }
  ensureAudio();
  void s.join({
    room: ui.room.value.trim(),
    name: ui.name.value.trim(),
    section: ui.section.value,
    token: ui.token.value.trim() || undefined,
    voiceProcessing: ui.processing.checked,
  });
}

ui.form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!ui.form.reportValidity()) return;
  start(false);
});
ui.watch.addEventListener("click", () => {
  if (!ui.room.reportValidity()) return;
  start(true);
});
ui.leave.addEventListener("click", () => {
  session?.leave();
  playback.stop();
  mix?.dispose();
  mix = null;
  resetUi();
});
ui.processing.addEventListener("change", () => void session?.setVoiceProcessing(ui.processing.checked));
ui.volume.addEventListener("input", () => {
  playback.volume = Number(ui.volume.value);
});

setInterval(() => {
  if (micMeter) bar(ui.micMeter, ui.micDb, micMeter.read().peakDb);
  if (hearingMeter) bar(ui.outMeter, ui.outDb, hearingMeter.read().peakDb);
}, WEB_DEFAULTS.meterMs);

declare global {
  interface Window {
    choirmesh: unknown;
  }
}

/** For tests and the curious: the session, and levels of what the singer hears. */
window.choirmesh = {
  get session() {
    return session;
  },
  state: () => session?.state ?? "idle",
  place: () => (session ? { ...session.place } : null),
  /** Wall-clock ms when the microphone opened (a WAV fake microphone starts playing then). */
  micOpenedAtMs: () => micOpenedAtMs,
  resetHearing: () => hearing?.reset(),
  /** Average level (dBFS) of what the singer hears at each frequency since the last reset. */
  hearingLevels: (freqs: number[]) => (hearing ? { frames: hearing.framesAveraged, levels: hearing.levels(freqs) } : null),
  /** The strongest components of what the singer hears since the last reset: [Hz, dBFS]. */
  hearingPeaks: (n = 8) => hearing?.peaks(n) ?? [],
  /** Tracks summed into what the singer hears (the parent's own, and one per level it forwards). */
  hearingTracks: () => mix?.tracks ?? 0,
  /** The session descriptions of the link to the parent as applied (Opus settings show there). */
  sdp: () => session?.linkSdp() ?? null,
  /** The last WebRTC stats of the link to the parent (RTT, packets, concealment). */
  stats: () => session?.linkStats ?? null,
};
