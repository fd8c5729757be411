import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The chaos suite (13 node processes, four faults, ~75 s) runs on its own: `npm run test:chaos`.
    // One run in about seven still loses a pair after the hub kill (issue 5 is open on it), and a
    // test that flakes has no place in the suite every change must pass.
    exclude: ["test/browser/**", "test/integration/healing-chaos.test.ts", "node_modules/**"],
    pool: "forks",
    // Real-network suites share two cores: keep files from competing for CPU.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    retry: 0,
  },
});
