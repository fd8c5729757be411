import { defineConfig } from "vitest/config";
import { resolveFromSource } from "./vitest.shared.js";

/**
 * The self-healing chaos suite: a choir of 13 node processes over real WebRTC on loopback, with a
 * hub killed, a link cut, the signaling server restarted and 10 % loss, each measured from the
 * audio. Part of `npm test`; `npm run test:chaos` runs it alone (`npm run chaos -- --json` prints
 * the same figures).
 */
export default defineConfig({
  ...resolveFromSource,
  test: {
    include: ["test/integration/healing-chaos.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 60_000,
    retry: 0,
  },
});
