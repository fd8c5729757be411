/**
 * A headless singer: its voice from a WAV file or a generated signature tone; it can record what
 * it hears. A singer with upload to spare may be chosen as a hub.
 * `npm run singer -- --room choir --name anna --section alto --wav anna.wav --record-dir out/`
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ChoirNode, type VoiceSource } from "@choirmesh/mixer-node/runtime/choir-node";
import { backendArg, numberArg, parseCli, runNode } from "@choirmesh/mixer-node/runtime/cli-common";
import { MAX_SIGNATURE_VOICES, SignatureVoice } from "@choirmesh/mixer-node/signature";
import { configureLogging } from "@choirmesh/common/log";
import { WavVoice } from "./voices.js";
import { writeWav } from "./wav.js";

const USAGE = `usage: npm run singer -- [--url URL] [--room ROOM] --name NAME [--section S] [--token T]
                         [--wav FILE | --tone INDEX] [--record-dir DIR] [--seconds N]
                         [--no-hub] [--upload-kbps N] [--metrics-port PORT] [--backend ...] [--loopback]`;

configureLogging(process.env.CHOIRMESH_LOG ?? "info");
const v = parseCli(
  {
    section: { type: "string", default: "" },
    wav: { type: "string" },
    tone: { type: "string" },
    "record-dir": { type: "string" },
    seconds: { type: "string" },
    "no-hub": { type: "boolean", default: false },
  },
  USAGE,
);
if (!v.name) {
  console.error(`error: --name is required\n${USAGE}`);
  process.exit(2);
}
if (v.wav && v.tone) {
  console.error(`error: give --wav or --tone, not both\n${USAGE}`);
  process.exit(2);
}
let voice: VoiceSource | null = null;
try {
  if (v.wav) voice = new WavVoice(v.wav);
  else voice = new SignatureVoice(numberArg(v.tone ?? "0", "tone", USAGE, (n) => Number.isInteger(n) && n >= 0 && n < MAX_SIGNATURE_VOICES)!);
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  process.exit(2);
}
const seconds = numberArg(v.seconds, "seconds", USAGE, (n) => n > 0 && n <= 3600);
const recordDir = v["record-dir"];
const node = new ChoirNode({
  url: v.url!,
  room: v.room!,
  name: v.name,
  section: v.section,
  token: v.token,
  canHub: !v["no-hub"],
  uploadKbps: numberArg(v["upload-kbps"], "upload-kbps", USAGE, (n) => n > 0) ?? 10_000,
  voice,
  recordSeconds: recordDir ? (seconds ?? 600) : 0,
  backend: backendArg(v.backend, USAGE),
  link: v.loopback ? { loopbackOnly: true } : undefined,
});

// Whether the node is the root (its recording then holds the full mix), as last announced.
let isRoot = false;
node.on("neighbours", (parent) => {
  isRoot = parent === null;
});

/** Writes what the singer heard (and, at the root, the full mix) before the process ends. */
function saveRecording(): void {
  const rec = node.recorder;
  if (!recordDir || !rec) return;
  mkdirSync(recordDir, { recursive: true });
  writeWav(join(recordDir, `${v.name}.wav`), rec.hear.subarray(0, rec.length));
  if (isRoot) writeWav(join(recordDir, "mix.wav"), rec.mix.subarray(0, rec.length));
  console.error(`recording saved in ${recordDir}`);
}

await runNode(node, "singer", numberArg(v["metrics-port"], "metrics-port", USAGE, (n) => Number.isInteger(n) && n >= 0 && n < 65536), saveRecording);
if (seconds !== undefined) {
  setTimeout(() => process.kill(process.pid, "SIGTERM"), seconds * 1000);
}
