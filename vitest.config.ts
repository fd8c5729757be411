import { defineConfig } from "vitest/config";

export default defineConfig({
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
