/**
 * Behaviour under faults: a store that throws or hangs, corrupt records, missing or malformed
 * secrets. Always a clear 503 problem+json and an ERROR log line, never a 500 or a hang.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { STORE_TIMEOUT_MS } from "../../src/deadline";
import { clearTenantCache } from "../../src/tenants/store";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  putRawTenant,
  putTenant,
  seedTenant,
  tenantRecord,
} from "../helpers";

const bindings = env as unknown as Record<string, unknown>;
const GET = { method: "GET", key: "a" };

function kvWith(
  overrides: Partial<
    Record<
      "get" | "getWithMetadata" | "put" | "list" | "delete",
      (...args: unknown[]) => Promise<unknown>
    >
  >,
) {
  const kv = env.KV;
  return {
    ...bindings,
    KV: {
      get: kv.get.bind(kv),
      put: kv.put.bind(kv),
      list: kv.list.bind(kv),
      delete: kv.delete.bind(kv),
      getWithMetadata: kv.getWithMetadata.bind(kv),
      ...overrides,
    },
  };
}

async function errorLines<T>(work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const spy = vi.spyOn(console, "error");
  try {
    const result = await work();
    return { result, lines: spy.mock.calls.map((args) => String(args[0])) };
  } finally {
    spy.mockRestore();
  }
}

describe("KV faults", () => {
  it("KV that throws on the tenant read → 503 and an ERROR line", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    const failing = async () => Promise.reject(new Error("KV 500 (injected)"));
    const broken = kvWith({ get: failing, getWithMetadata: failing });
    clearTenantCache(); // the admin PUT above warmed it
    const { result, lines } = await errorLines(() =>
      call("/v1/presign", { token, body: GET }, broken),
    );
    await expectProblem(result, 503, "unavailable");
    expect(
      lines.some((line) => line.includes('"level":"error"') && line.includes("kv_read_failed")),
    ).toBe(true);
  });

  it(`KV that hangs → 503 after ${STORE_TIMEOUT_MS} ms, not a hung request`, async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    const hang = () => new Promise(() => undefined);
    const hanging = kvWith({ get: hang, getWithMetadata: hang });
    clearTenantCache();
    const started = Date.now();
    const { result } = await errorLines(() => call("/v1/presign", { token, body: GET }, hanging));
    await expectProblem(result, 503, "unavailable");
    expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT_MS + 1500);
  });

  it("a failing KV write on the admin API → 503, and the old record stays", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(tenantRecord(id, [key.publicJwk]));
    const broken = kvWith({
      put: async () => Promise.reject(new Error("KV write failed (injected)")),
    });
    const res = await call(
      `/admin/tenants/${id}`,
      { method: "PUT", admin: true, body: tenantRecord(id, [key.publicJwk], { disabled: true }) },
      broken,
    );
    await expectProblem(res, 503, "unavailable");
    const stored = JSON.parse((await env.KV.get(`tenant:${id}`)) ?? "{}") as { disabled?: boolean };
    expect(stored.disabled).toBe(false);
  });
});

describe("corrupt records and secrets", () => {
  for (const [name, raw] of [
    ["invalid JSON", "{ not json"],
    ["valid JSON, wrong shape", '{"id":"x"}'],
    ["a record of another tenant", null],
  ] as const) {
    it(`a tenant record that is ${name} → 503 and an ERROR line`, async () => {
      const id = newTenantId();
      const key = await keyPair("EdDSA");
      const body = raw ?? JSON.stringify({ ...tenantRecord("someone-else", [key.publicJwk]) });
      await putRawTenant(id, body);
      const token = await mintToken(key, { iss: id });
      const { result, lines } = await errorLines(() => call("/v1/presign", { token, body: GET }));
      await expectProblem(result, 503, "unavailable");
      expect(lines.some((line) => line.includes("tenant_record_corrupt"))).toBe(true);
    });
  }

  it("an HS256 tenant whose secret binding is missing → 503, logged by name only", async () => {
    const id = newTenantId();
    await putTenant(
      tenantRecord(id, [], { auth: { hmacSecret: "HMAC_NOT_BOUND", algorithms: ["HS256"] } }),
    );
    const token = await mintToken({ alg: "HS256", secret: "whatever" }, { iss: id });
    const { result, lines } = await errorLines(() => call("/v1/presign", { token, body: GET }));
    await expectProblem(result, 503, "unavailable");
    expect(
      lines.some((line) => line.includes("hmac_secret_missing") && line.includes("HMAC_NOT_BOUND")),
    ).toBe(true);
  });
});
