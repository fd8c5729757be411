// Builds the native bindings with node-gyp: the Opus binding (mixer-node/native) against the
// system libopus, and the per-packet RTP binding (mixer-node/native-rtp) against the OpenSSL
// inside Node. Never fails the install: without a compiler or libopus, the engine falls back to
// the prebuilt @evan/opus package and the direct path to Node's crypto and dgram, and says so.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const force = process.argv.includes("--force");

if (process.env.CHOIRMESH_NO_NATIVE === "1" && !force) {
  console.log("[choirmesh] CHOIRMESH_NO_NATIVE=1: skipping the native bindings");
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp
  ? [process.execPath, [process.env.npm_config_node_gyp]]
  : ["node-gyp", []];

function build(dir, what, fallback) {
  const cwd = join(root, dir);
  if (!existsSync(join(cwd, "binding.gyp"))) {
    console.log(`[choirmesh] no ${what} sources: ${fallback}`);
    return;
  }
  const args = [...gyp[1], "rebuild", "--silent"];
  if (!process.env.npm_config_nodedir && existsSync("/usr/include/node/node_api.h")) args.push("--nodedir=/usr");
  const r = spawnSync(gyp[0], args, { cwd, stdio: "inherit" });
  console.log(r.status === 0 ? `[choirmesh] ${what} built` : `[choirmesh] ${what} did not build: ${fallback}`);
}

const header = ["/usr/include/opus/opus.h", "/usr/local/include/opus/opus.h"].find((p) => existsSync(p));
if (header) build("mixer-node/native", "native Opus binding", "using the fallback Opus backend");
else console.log("[choirmesh] libopus headers not found (apt-get install libopus-dev): using the fallback Opus backend");
build("mixer-node/native-rtp", "native RTP binding", "links seal and send packets with Node's crypto and dgram");
process.exit(0);
