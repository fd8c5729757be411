import { defineConfig } from "vitest/config";
import { resolveFromSource } from "./vitest.shared.js";

export default defineConfig({
  ...resolveFromSource,
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/browser/**", "node_modules/**"],
    pool: "forks",
    // Real-network suites share two cores: keep files from competing for CPU.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    retry: 0,
  },
});
