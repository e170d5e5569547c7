/**
 * Outbound fetch is fail-closed in tests: a test that needs the network mocks it explicitly.
 * Caches that outlive a test are cleared so each test sees its own KV state.
 */
import { afterEach, beforeEach, vi } from "vitest";
import { clearTenantCache } from "../src/tenants/store";

beforeEach(() => {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      throw new Error(`unexpected outbound fetch in a test: ${String(input)}`);
    }),
  );
  clearTenantCache();
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});
