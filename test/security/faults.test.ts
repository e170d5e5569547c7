/**
 * Behaviour under faults: a store that throws or hangs, corrupt records, missing or malformed
 * secrets. Always a clear 503 problem+json and an ERROR log line, never a 500 or a hang.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { STORE_TIMEOUT_MS } from "../../src/deadline";
import { clearTenantCache } from "../../src/tenants/store";
import { TEST_SECRETS } from "../secrets";
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
    await storeDirectly(hmacTenant(id, "HMAC_NOT_BOUND"));
    const token = await mintToken({ alg: "HS256", secret: "whatever" }, { iss: id });
    const { result, lines } = await errorLines(() => call("/v1/presign", { token, body: GET }));
    await expectProblem(result, 503, "unavailable");
    expect(unusableSecretLine(lines, "HMAC_NOT_BOUND")).toMatch(/not set/);
  });
});

/**
 * Records written to KV without the admin API (an older version, a script, a restore) are held
 * to the admin API's rules for secrets when the secret is used: never an accepted token, never
 * a URL signed with something that is not a tenant's credentials.
 */
describe("a stored record naming an unusable secret", () => {
  for (const [name, value, problem] of [
    ["AUDIENCE", "edgesign", /reserved/],
    ["ADMIN_TOKEN", TEST_SECRETS.ADMIN_TOKEN, /reserved/],
    ["HMAC_SHORT", TEST_SECRETS.HMAC_SHORT, /shorter than 32 bytes/],
  ] as const) {
    it(`hmacSecret ${name}: a token signed with its value → 503 and a log line, not 200`, async () => {
      const id = newTenantId();
      await storeDirectly(hmacTenant(id, name));
      const token = await mintToken({ alg: "HS256", secret: value }, { iss: id, sub: "anyone" });
      const { result, lines } = await errorLines(() => call("/v1/presign", { token, body: GET }));
      await expectProblem(result, 503, "unavailable");
      expect(unusableSecretLine(lines, name)).toMatch(problem);
    });
  }

  it("hmacSecret naming a var that holds a long string → 503, not 200", async () => {
    const id = newTenantId();
    const demo = "a-demo-var-long-enough-for-hs256-0123456789";
    await storeDirectly(hmacTenant(id, "DEMO"));
    const token = await mintToken({ alg: "HS256", secret: demo }, { iss: id });
    const { result, lines } = await errorLines(() =>
      call("/v1/presign", { token, body: GET }, { ...bindings, DEMO: demo }),
    );
    await expectProblem(result, 503, "unavailable");
    expect(unusableSecretLine(lines, "DEMO")).toMatch(/reserved/);
  });

  for (const credentials of ["S3_NOT_BOUND", "S3_BROKEN", "S3_EMPTY_KEYS", "ADMIN_TOKEN"]) {
    it(`credentials ${credentials} → 503 on presign and a log line`, async () => {
      const key = await keyPair("EdDSA");
      const record = tenantRecord(newTenantId(), [key.publicJwk]);
      record.buckets.main.credentials = credentials;
      await storeDirectly(record);
      const token = await mintToken(key, { iss: record.id });
      const { result, lines } = await errorLines(() => call("/v1/presign", { token, body: GET }));
      const problem = await expectProblem(result, 503, "unavailable");
      expect(JSON.stringify(problem)).not.toContain(credentials);
      expect(unusableSecretLine(lines, credentials)).toBeDefined();
    });
  }

  it("credentials naming a var that holds valid credentials JSON → 503, even once that value signed", async () => {
    const { id: validId, key } = await seedTenant();
    const valid = await call("/v1/presign", {
      token: await mintToken(key, { iss: validId }),
      body: GET,
    });
    expect(valid.status).toBe(200); // the signer of this credentials JSON is now cached
    const record = tenantRecord(newTenantId(), [key.publicJwk]);
    record.buckets.main.credentials = "DEMO";
    await storeDirectly(record);
    const token = await mintToken(key, { iss: record.id });
    const { result, lines } = await errorLines(() =>
      call("/v1/presign", { token, body: GET }, { ...bindings, DEMO: TEST_SECRETS.S3_TEST }),
    );
    await expectProblem(result, 503, "unavailable");
    expect(unusableSecretLine(lines, "DEMO")).toMatch(/reserved/);
  });
});

function hmacTenant(id: string, hmacSecret: string) {
  return tenantRecord(id, [], { auth: { hmacSecret, algorithms: ["HS256"] } });
}

/** Writes a record to KV as it is, without the admin API's checks. */
async function storeDirectly(record: { id: string }): Promise<void> {
  await putRawTenant(record.id, JSON.stringify(record));
}

/** The `tenant_secret_unusable` line naming `secret`; it carries the name, never a value. */
function unusableSecretLine(lines: string[], secret: string): string | undefined {
  const line = lines.find(
    (text) => text.includes('"tenant_secret_unusable"') && text.includes(`"secret":"${secret}"`),
  );
  expect(line).toBeDefined();
  return line;
}
