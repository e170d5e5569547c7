/**
 * Outbound fetch is fail-closed in tests: a test that needs the network mocks it explicitly.
 * Caches that outlive a test are cleared so each test sees its own KV state. Every log line is
 * recorded, and each test file ends by checking that no test secret leaked (test/leak-scan.ts).
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from "vitest";
import { clearTenantCache } from "../src/tenants/store";
import { leaks, recordOutput } from "./leak-scan";

beforeAll(() => {
  for (const level of ["log", "info", "warn", "error"] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      recordOutput(args.map(String).join(" "));
      original(...args);
    };
  }
});

afterAll(() => {
  expect(leaks()).toEqual([]);
});

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
