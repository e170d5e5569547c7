import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/index";
import { tenantKey } from "../../src/tenants/store";
import { TEST_SECRETS } from "../secrets";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  nowSeconds,
  presign,
  putRawTenant,
  putTenant,
  tenantRecord,
} from "../helpers";

async function record() {
  const id = newTenantId();
  const key = await keyPair("EdDSA");
  return { id, key, body: tenantRecord(id, [key.publicJwk]) };
}

describe("admin API guard", () => {
  it("answers 401 without a token and with a wrong one", async () => {
    const { id } = await record();
    const missing = await call(`/admin/tenants/${id}`);
    await expectProblem(missing, 401, "unauthorized");
    expect(missing.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    await expectProblem(
      await call(`/admin/tenants/${id}`, { admin: "wrong" }),
      401,
      "unauthorized",
    );
    const almost = TEST_SECRETS.ADMIN_TOKEN.slice(0, -1);
    await expectProblem(await call(`/admin/tenants/${id}`, { admin: almost }), 401, "unauthorized");
  });

  it("answers 404 for every admin route when ADMIN_TOKEN is not bound", async () => {
    const { ADMIN_TOKEN: _unbound, ...withoutAdmin } = env as unknown as Record<string, unknown>;
    const res = await app.fetch(
      new Request("https://gateway.test/admin/tenants/acme", {
        headers: { Authorization: `Bearer ${TEST_SECRETS.ADMIN_TOKEN}` },
      }),
      withoutAdmin,
    );
    await expectProblem(res, 404, "not_found");
  });
});

describe("tenant round trip", () => {
  it("PUT stores a validated record with defaults, GET returns it, DELETE removes it", async () => {
    const { id, body } = await record();
    const put = await call(`/admin/tenants/${id}`, { method: "PUT", admin: true, body });
    expect(put.status).toBe(200);
    const stored = (await put.json()) as Record<string, any>;
    expect(stored.subjectPrefix).toBe("users/{sub}/");
    expect(stored.auth.algorithms).toEqual(["EdDSA", "ES256", "RS256"]);
    expect(stored.auth.maxTokenLifetime).toBe(900);
    expect(stored.defaultExpiresIn).toBe(900);
    expect(stored.buckets.main.provider).toBe("generic");
    expect(stored.buckets.main).not.toHaveProperty("supportsPost");
    expect(JSON.parse((await env.KV.get(tenantKey(id))) ?? "null")).toEqual(stored);

    const get = await call(`/admin/tenants/${id}`, { admin: true });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual(stored);

    const del = await call(`/admin/tenants/${id}`, { method: "DELETE", admin: true });
    expect(del.status).toBe(204);
    expect(await env.KV.get(tenantKey(id))).toBeNull();
    await expectProblem(await call(`/admin/tenants/${id}`, { admin: true }), 404, "not_found");
  });

  it("a deleted tenant's tokens stop working at once in this isolate", async () => {
    const { id, key, body } = await record();
    await putTenant(body);
    const token = await mintToken(key, { iss: id });
    expect((await presign(token, { method: "GET", key: "a" })).res.status).toBe(200);
    await call(`/admin/tenants/${id}`, { method: "DELETE", admin: true });
    expect((await presign(token, { method: "GET", key: "a" })).res.status).toBe(401);
  });

  it("revoke refuses every token issued up to now and accepts later ones", async () => {
    const { id, key, body } = await record();
    await putTenant(body);
    const old = await mintToken(key, { iss: id });
    const res = await call(`/admin/tenants/${id}/revoke`, { method: "POST", admin: true });
    expect(res.status).toBe(200);
    const current = (await res.json()) as { id: string; auth: { revokedBefore: number } };
    const { revokedBefore } = current.auth;
    expect(revokedBefore).toBeGreaterThan(nowSeconds() - 1);
    // The answer is the record as stored, with the new floor.
    const stored = await call(`/admin/tenants/${id}`, { admin: true });
    expect(await stored.json()).toEqual(current);
    const refused = await call("/v1/presign", { token: old, body: { method: "GET", key: "a" } });
    await expectProblem(refused, 401, "invalid_token");
    const fresh = await mintToken(key, { iss: id, iat: revokedBefore });
    expect((await presign(fresh, { method: "GET", key: "a" })).res.status).toBe(200);
  });

  it("revoking an unknown tenant is 404", async () => {
    await expectProblem(
      await call(`/admin/tenants/${newTenantId()}/revoke`, { method: "POST", admin: true }),
      404,
      "not_found",
    );
  });
});

describe("tenant validation → 400 naming the field", () => {
  const cases: [string, (body: Record<string, any>) => void, string][] = [
    ["a prefix without '/'", (b) => (b.prefix = "acme"), "prefix"],
    ["a '..' prefix", (b) => (b.prefix = "../"), "prefix"],
    ["an unknown field", (b) => (b.prefixx = "x"), "prefixx"],
    ["a private key in the JWKS", (b) => (b.auth.jwks.keys[0].d = "secret"), "auth.jwks.keys.0.d"],
    ["an HMAC key in the JWKS", (b) => (b.auth.jwks.keys[0].kty = "oct"), "auth.jwks.keys.0.kty"],
    ["a default bucket that does not exist", (b) => (b.defaultBucket = "nope"), "defaultBucket"],
    [
      "a secret value instead of a name",
      (b) => (b.buckets.main.credentials = '{"accessKeyId":"x"}'),
      "buckets.main.credentials",
    ],
    ["an http jwksUrl", (b) => (b.auth.jwksUrl = "http://insecure.example/jwks"), "auth.jwksUrl"],
    ["HS256 without a secret", (b) => (b.auth.algorithms = ["HS256"]), "auth.algorithms"],
    ["'none' as an algorithm", (b) => (b.auth.algorithms = ["none"]), "auth.algorithms.0"],
    ["maxExpiresIn over 7 days", (b) => (b.maxExpiresIn = 604_801), "maxExpiresIn"],
    ["default expiry above the max", (b) => (b.defaultExpiresIn = 7200), "defaultExpiresIn"],
    [
      "an endpoint with a path",
      (b) => (b.buckets.main.endpoint = "https://s3.example.com/x"),
      "buckets.main.endpoint",
    ],
    [
      "virtual style on an IP endpoint",
      (b) => (b.buckets.main.endpoint = "https://10.0.0.1:9000"),
      "buckets.main.style",
    ],
    [
      "a plain http endpoint on a remote host",
      (b) => (b.buckets.archive.endpoint = "http://s3.example.com"),
      "buckets.archive.endpoint",
    ],
    [
      "an invalid bucket name",
      (b) => (b.buckets.main.bucket = "Bad_Bucket"),
      "buckets.main.bucket",
    ],
    ["an unknown operation", (b) => (b.operations = ["get", "copy"]), "operations.1"],
    ["an id differing from the path", (b) => (b.id = "someone-else"), "id"],
  ];
  for (const [name, mutate, field] of cases) {
    it(name, async () => {
      const { id, body } = await record();
      mutate(body);
      const res = await call(`/admin/tenants/${id}`, { method: "PUT", admin: true, body });
      const problem = await expectProblem(res, 400, "invalid_request");
      expect(problem.field).toBe(field);
    });
  }

  it("an invalid tenant id in the path", async () => {
    const res = await call("/admin/tenants/Not%20Valid", { admin: true });
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("id");
  });
});

describe("a tenant record can only name real secrets", () => {
  const hmacTenant = (id: string, hmacSecret: string) =>
    tenantRecord(id, [], { auth: { hmacSecret, algorithms: ["HS256"] } });
  const refusals: [string, (id: string) => Record<string, any>, string, RegExp][] = [
    [
      "an HMAC secret that is a var",
      (id) => hmacTenant(id, "AUDIENCE"),
      "auth.hmacSecret",
      /reserved/,
    ],
    ["another var", (id) => hmacTenant(id, "LOG_LEVEL"), "auth.hmacSecret", /reserved/],
    ["the admin token", (id) => hmacTenant(id, "ADMIN_TOKEN"), "auth.hmacSecret", /reserved/],
    ["a binding", (id) => hmacTenant(id, "KV"), "auth.hmacSecret", /reserved/],
    [
      "an unset HMAC secret",
      (id) => hmacTenant(id, "HMAC_NOT_BOUND"),
      "auth.hmacSecret",
      /not set/,
    ],
    ["a 31-byte HMAC secret", (id) => hmacTenant(id, "HMAC_SHORT"), "auth.hmacSecret", /32 bytes/],
    [
      "unset credentials",
      (id) => withCredentials(id, "main", "S3_NOT_BOUND"),
      "buckets.main.credentials",
      /not set/,
    ],
    [
      "credentials that are not JSON",
      (id) => withCredentials(id, "archive", "S3_BROKEN"),
      "buckets.archive.credentials",
      /not S3 credentials JSON/,
    ],
    [
      "credentials with empty keys",
      (id) => withCredentials(id, "main", "S3_EMPTY_KEYS"),
      "buckets.main.credentials",
      /not S3 credentials JSON/,
    ],
    [
      "the admin token as credentials",
      (id) => withCredentials(id, "main", "ADMIN_TOKEN"),
      "buckets.main.credentials",
      /reserved/,
    ],
  ];

  function withCredentials(id: string, alias: "main" | "archive", credentials: string) {
    const body = tenantRecord(id, []);
    body.buckets[alias].credentials = credentials;
    return body;
  }

  for (const [what, bodyOf, field, detail] of refusals) {
    it(`refuses ${what} with a 400 naming ${field}, and stores nothing`, async () => {
      const id = newTenantId();
      const res = await call(`/admin/tenants/${id}`, {
        method: "PUT",
        admin: true,
        body: bodyOf(id),
      });
      const problem = await expectProblem(res, 400, "invalid_request");
      expect(problem.field).toBe(field);
      expect(problem.detail).toMatch(detail);
      expect(problem.detail).toMatch(new RegExp(`^${field}: `));
      expect(await env.KV.get(tenantKey(id))).toBeNull();
      await expectProblem(await call(`/admin/tenants/${id}`, { admin: true }), 404, "not_found");
    });
  }

  it("a refused replace keeps the stored record and its tokens working", async () => {
    const id = newTenantId();
    await putTenant(hmacTenant(id, "HMAC_TEST"));
    const before = await env.KV.get(tenantKey(id));
    const res = await call(`/admin/tenants/${id}`, {
      method: "PUT",
      admin: true,
      body: hmacTenant(id, "AUDIENCE"),
    });
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("auth.hmacSecret");
    expect(await env.KV.get(tenantKey(id))).toBe(before);
    const got = await call(`/admin/tenants/${id}`, { admin: true });
    expect(((await got.json()) as { auth: { hmacSecret: string } }).auth.hmacSecret).toBe(
      "HMAC_TEST",
    );
    const token = await mintToken({ alg: "HS256", secret: TEST_SECRETS.HMAC_TEST }, { iss: id });
    expect((await presign(token, { method: "GET", key: "a" })).res.status).toBe(200);
  });

  it("accepts an HMAC secret of 32 UTF-8 bytes in 16 characters", async () => {
    const id = newTenantId();
    await putTenant(hmacTenant(id, "HMAC_MULTIBYTE"));
    const secret = TEST_SECRETS.HMAC_MULTIBYTE;
    const token = await mintToken({ alg: "HS256", secret }, { iss: id });
    expect((await presign(token, { method: "GET", key: "a" })).res.status).toBe(200);
  });
});

describe("a corrupted tenant record", () => {
  it("makes its tokens fail with 503, not 500, and is logged", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putRawTenant(id, "{ this is not json");
    const res = await call("/v1/presign", {
      token: await mintToken(key, { iss: id }),
      body: { method: "GET", key: "a" },
    });
    await expectProblem(res, 503, "unavailable");
  });
});
