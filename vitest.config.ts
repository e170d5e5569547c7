/**
 * Unit and integration tests run inside workerd through @cloudflare/vitest-plugin (the
 * maintained successor of @cloudflare/vitest-pool-workers), with the bindings of wrangler.toml
 * plus test secrets. The e2e suite (test/e2e) runs in Node against real servers: see
 * vitest.e2e.config.ts.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_SECRETS } from "./test/secrets.ts";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // Usage batches go at the end of each request, so tests see the counts when it settles.
      miniflare: { bindings: { ...TEST_SECRETS, USAGE_FLUSH_MS: "0" } },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    setupFiles: ["test/setup.ts"],
  },
});
