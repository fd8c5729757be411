/** Builds the page once before the browser suites (the same build as `npm run build:web`). */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM } from "./helpers.js";

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHOIRMESH_CHROMIUM)`);
  execFileSync(process.execPath, [path.join(root, "client", "web", "build.mjs")], { stdio: "inherit" });
}
