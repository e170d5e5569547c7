/**
 * End-to-end suite: runs in Node against the gateway under `wrangler dev` and a real Ceph RADOS
 * Gateway, both started by scripts/e2e.mjs (`npm run test:e2e`), which passes their addresses in
 * the environment.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One file at a time: the suites share one radosgw and one gateway.
    fileParallelism: false,
  },
});
