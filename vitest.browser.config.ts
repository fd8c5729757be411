import { defineConfig } from "vitest/config";
import { resolveFromSource } from "./vitest.shared.js";

/**
 * The browser suites: real Chromium (Debian's /usr/bin/chromium) driven by playwright-core
 * against the signaling server and Node hubs on loopback. `npm run test:browser`.
 */
export default defineConfig({
  ...resolveFromSource,
  test: {
    include: ["test/browser/**/*.test.ts"],
    globalSetup: ["test/browser/global-setup.ts"],
    pool: "forks",
    // Browsers, hubs and singers share two cores: one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    retry: 0,
  },
});
