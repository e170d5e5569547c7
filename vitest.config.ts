/**
 * Unit and integration tests run inside workerd through @cloudflare/vitest-plugin (the
 * maintained successor of @cloudflare/vitest-pool-workers), with the bindings of wrangler.toml
 * plus test secrets. The e2e suite (test/e2e) runs in Node against real servers: see
 * vitest.e2e.config.ts.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { existsSync, readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";
import { TEST_SECRETS } from "./test/secrets.ts";

/**
 * The names in a local `.dev.vars` (written by `npm start`): wrangler loads that file into the
 * test env too, so the tests that list the Worker's own bindings must know these are secrets.
 */
const devVarNames = existsSync(".dev.vars")
  ? readFileSync(".dev.vars", "utf8")
      .split("\n")
      .map((line) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined)
  : [];

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // The TypeScript sources, not wrangler.toml's `main` (the built modules in dist/worker):
      // tests import src/ modules, and the Durable Object class must be the one they import.
      main: "./src/index.ts",
      // Usage batches go at the end of each request, so tests see the counts when it settles.
      miniflare: { bindings: { ...TEST_SECRETS, USAGE_FLUSH_MS: "0" } },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    setupFiles: ["test/setup.ts"],
    provide: { devVarNames },
  },
});
