import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  authenticate,
  clearVerifiedTokens,
  VERIFIED_TOKENS_MAX,
  verifiedTokenCount,
} from "../../src/auth/verify";
import { BoundedLru, tokenDigest } from "../../src/auth/token-cache";
import type { Env } from "../../src/env";
import { TEST_SECRETS } from "../secrets";
import {
  call,
  expectProblem,
  gatewayErrorOf,
  keyPair,
  mintToken,
  newTenantId,
  nowSeconds,
  presign,
  putTenant,
  seedTenant,
  tenantRecord,
} from "../helpers";

const GET = { method: "GET", key: "a.txt" };
const testEnv = env as unknown as Env;

let verify: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  clearVerifiedTokens();
  verify = vi.spyOn(crypto.subtle, "verify");
});
afterEach(() => {
  verify.mockRestore();
});

describe("BoundedLru", () => {
  it("never holds more than its bound and evicts the least recently used entry", () => {
    const lru = new BoundedLru<number>(3);
    lru.set("a", 1);
    lru.set("b", 2);
    lru.set("c", 3);
    expect(lru.get("a")).toBe(1); // a is now the most recently used
    lru.set("d", 4);
    expect(lru.size).toBe(3);
    expect(lru.get("b")).toBeUndefined();
    expect([lru.get("a"), lru.get("c"), lru.get("d")]).toEqual([1, 3, 4]);
  });

  it("keeps the entries and the order a plain list of recent keys would, whatever the calls", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant("clear" as const), key: fc.constant(0) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(op, { maxLength: 60, size: "large" }),
        (max, ops) => {
          const lru = new BoundedLru<number>(max);
          // The model: [key, value] pairs from the least to the most recently used.
          let model: [string, number][] = [];
          ops.forEach(({ kind, key: k }, step) => {
            const key = `k${k}`;
            const at = model.findIndex(([held]) => held === key);
            if (kind === "set") {
              if (at >= 0) model.splice(at, 1);
              else if (model.length >= max) model.shift();
              model.push([key, step]);
              lru.set(key, step);
            } else if (kind === "get") {
              const expected = at >= 0 ? model.splice(at, 1)[0] : undefined;
              if (expected !== undefined) model.push(expected);
              expect(lru.get(key)).toBe(expected?.[1]);
            } else if (kind === "delete") {
              if (at >= 0) model.splice(at, 1);
              lru.delete(key);
            } else {
              model = [];
              lru.clear();
            }
            expect(lru.size).toBe(model.length);
          });
          // New keys then evict the rest exactly in the model's order, least recently used first
          // (a `get` of an absent key changes nothing).
          for (let i = 0; i < max; i++) {
            const evicted = model.length >= max ? model.shift() : undefined;
            lru.set(`new${i}`, -1);
            model.push([`new${i}`, -1]);
            if (evicted !== undefined) expect(lru.get(evicted[0])).toBeUndefined();
          }
          expect(lru.size).toBe(max);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => new BoundedLru(0)).toThrow(RangeError);
  });

  it("keys tokens by a 64-hex-digit SHA-256, never by the token", async () => {
    const digest = await tokenDigest("header.claims.signature");
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).not.toContain("claims");
  });
});

describe("verified-token cache", () => {
  it("verifies a repeated token's signature once", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    for (let i = 0; i < 3; i++) expect((await presign(token, GET)).res.status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it("refuses a cached token once its tenant is revoked", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, iat: nowSeconds() - 5 });
    expect((await presign(token, GET)).res.status).toBe(200);
    const revoked = await call(`/admin/tenants/${id}/revoke`, { method: "POST", admin: true });
    expect(revoked.status).toBeLessThan(300);
    const res = await call("/v1/presign", { token, body: GET });
    const problem = await expectProblem(res, 401, "invalid_token");
    expect(problem.detail).toMatch(/revoked/);
  });

  it("re-checks revokedBefore and disabled on a cache hit, without re-verifying", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, iat: nowSeconds() - 5 });
    const principal = await authenticate(testEnv, `Bearer ${token}`);
    expect(verify).toHaveBeenCalledTimes(1);
    // The very record object the cache holds, changed in place (as no code path does).
    principal.tenant.auth.revokedBefore = nowSeconds();
    const error = await gatewayErrorOf(authenticate(testEnv, `Bearer ${token}`));
    expect(error.code).toBe("invalid_token");
    expect(error.message).toMatch(/revoked/);
    expect(verify).toHaveBeenCalledTimes(1);

    principal.tenant.auth.revokedBefore = 0;
    principal.tenant.disabled = true;
    const disabled = await gatewayErrorOf(authenticate(testEnv, `Bearer ${token}`));
    expect(disabled.message).toMatch(/unknown or disabled/);
  });

  it("refuses a cached token once it has expired", async () => {
    const { id, key } = await seedTenant();
    const iat = nowSeconds();
    const token = await mintToken(key, { iss: id, iat, lifetime: 60 });
    const at = (seconds: number) => new Date((iat + seconds) * 1000);
    await authenticate(testEnv, `Bearer ${token}`, at(1));
    await authenticate(testEnv, `Bearer ${token}`, at(59));
    expect(verify).toHaveBeenCalledTimes(1);
    // Past exp the cache no longer answers: within the clock tolerance, full verification does.
    await authenticate(testEnv, `Bearer ${token}`, at(70));
    expect(verify).toHaveBeenCalledTimes(2);
    const error = await gatewayErrorOf(authenticate(testEnv, `Bearer ${token}`, at(60 + 31)));
    expect(error.code).toBe("invalid_token");
    expect(error.message).toMatch(/exp/);
  });

  it("refuses a cached token after the tenant's keys change", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    expect((await presign(token, GET)).res.status).toBe(200);
    const other = await keyPair("EdDSA", "rotated");
    await putTenant(tenantRecord(id, [other.publicJwk]));
    await expectProblem(await call("/v1/presign", { token, body: GET }), 401, "invalid_token");
  });

  it("does not reuse an HS256 token's verification once the secret changes", async () => {
    const id = newTenantId();
    await putTenant(
      tenantRecord(id, [], { auth: { hmacSecret: "HMAC_TEST", algorithms: ["HS256"] } }),
    );
    const token = await mintToken({ alg: "HS256", secret: TEST_SECRETS.HMAC_TEST }, { iss: id });
    await authenticate(testEnv, `Bearer ${token}`);
    const rotated = { ...testEnv, HMAC_TEST: "a-new-shared-secret-after-rotation-0123456789" };
    const error = await gatewayErrorOf(authenticate(rotated as Env, `Bearer ${token}`));
    expect(error.message).toMatch(/signature/);
  });

  it("does not reuse a verification made for another audience", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, aud: "edgesign" });
    await authenticate(testEnv, `Bearer ${token}`);
    const elsewhere = { ...testEnv, AUDIENCE: "another-gateway" };
    const error = await gatewayErrorOf(authenticate(elsewhere as Env, `Bearer ${token}`));
    expect(error.message).toMatch(/aud/);
  });

  it(`holds at most VERIFIED_TOKENS_MAX (${VERIFIED_TOKENS_MAX}) tokens`, async () => {
    const id = newTenantId();
    await putTenant(
      tenantRecord(id, [], { auth: { hmacSecret: "HMAC_TEST", algorithms: ["HS256"] } }),
    );
    const secret = { alg: "HS256" as const, secret: TEST_SECRETS.HMAC_TEST };
    for (let i = 0; i < VERIFIED_TOKENS_MAX + 10; i++) {
      const token = await mintToken(secret, { iss: id, claims: { jti: `t${i}` } });
      await authenticate(testEnv, `Bearer ${token}`);
    }
    expect(verifiedTokenCount()).toBe(VERIFIED_TOKENS_MAX);
  });
});
