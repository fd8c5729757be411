// Builds the native Opus binding (mixer-node/native) against the system libopus.
// Never fails the install: when there is no compiler or no libopus, the engine
// falls back to the prebuilt @evan/opus package and reports it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = join(root, "mixer-node", "native");
const force = process.argv.includes("--force");

if (process.env.CHOIRMESH_NO_NATIVE === "1" && !force) {
  console.log("[choirmesh] CHOIRMESH_NO_NATIVE=1: skipping the native Opus binding");
  process.exit(0);
}
if (!existsSync(join(nativeDir, "binding.gyp"))) {
  console.log("[choirmesh] no native binding sources: using the fallback Opus backend");
  process.exit(0);
}
const header = ["/usr/include/opus/opus.h", "/usr/local/include/opus/opus.h"].find((p) => existsSync(p));
if (!header) {
  console.log("[choirmesh] libopus headers not found (apt-get install libopus-dev): using the fallback Opus backend");
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp
  ? [process.execPath, [process.env.npm_config_node_gyp]]
  : ["node-gyp", []];
const args = [...gyp[1], "rebuild", "--silent"];
if (!process.env.npm_config_nodedir && existsSync("/usr/include/node/node_api.h")) args.push("--nodedir=/usr");
const r = spawnSync(gyp[0], args, { cwd: nativeDir, stdio: "inherit" });
if (r.status !== 0) {
  console.log("[choirmesh] native Opus binding did not build: using the fallback Opus backend");
} else {
  console.log("[choirmesh] native Opus binding built");
}
process.exit(0);
