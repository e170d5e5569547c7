/**
 * Issue 18, parts 3 and 5: admin writes never restore what they did not just read, a deleted
 * tenant leaves nothing behind for its successor, and strangers cannot push known tenants out of
 * the caches.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signatureCheckCount } from "../../src/auth/verify";
import { clearTenantCache, revokedKey, TENANT_CACHE_MAX, tenantKey } from "../../src/tenants/store";
import { uploadRecordKey } from "../../src/uploads/records";
import { FakeS3 } from "../fake-s3";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  nowSeconds,
  presign,
  putTenant,
  storedTenant,
  tenantRecord,
} from "../helpers";

const GET = { method: "GET", key: "a" };

/** What another isolate's admin PUT leaves in KV: the record, under a version this one never saw. */
async function putElsewhere(record: { id: string }): Promise<void> {
  const { generation } = await storedTenant(record.id);
  await env.KV.put(tenantKey(record.id), JSON.stringify(record), {
    metadata: { generation, version: `elsewhere-${crypto.randomUUID()}` },
  });
}

/** A KV binding that counts the keys it is asked to read. */
function countingKv(): { kv: KVNamespace; reads: () => number } {
  let reads = 0;
  const kv = env.KV;
  const counted = {
    get: (key: string | string[], options?: unknown) => {
      reads += Array.isArray(key) ? key.length : 1;
      return (kv.get as (k: unknown, o?: unknown) => unknown)(key, options);
    },
    getWithMetadata: (key: string | string[], options?: unknown) => {
      reads += Array.isArray(key) ? key.length : 1;
      return (kv.getWithMetadata as (k: unknown, o?: unknown) => unknown)(key, options);
    },
    put: kv.put.bind(kv),
    delete: kv.delete.bind(kv),
    list: kv.list.bind(kv),
  };
  return { kv: counted as unknown as KVNamespace, reads: () => reads };
}

describe("revocation stays revoked", () => {
  it("a revoke right after a PUT made elsewhere keeps the new record (the stale cache is not written back)", async () => {
    const id = newTenantId();
    const [compromised, fresh] = [await keyPair("EdDSA", "old"), await keyPair("EdDSA", "new")];
    await putTenant(tenantRecord(id, [compromised.publicJwk])); // this isolate caches it
    const replaced = tenantRecord(id, [fresh.publicJwk]);
    await putElsewhere(replaced); // drops the compromised key

    const res = await call(`/admin/tenants/${id}/revoke`, { method: "POST", admin: true });
    expect(res.status).toBe(200);
    const answered = (await res.json()) as { auth: { jwks: unknown; revokedBefore: number } };
    expect(answered.auth.jwks).toEqual(replaced.auth.jwks);
    const stored = JSON.parse((await env.KV.get(tenantKey(id))) ?? "null") as typeof replaced;
    expect(stored.auth.jwks).toEqual(replaced.auth.jwks);

    clearTenantCache();
    const withOldKey = await mintToken(compromised, { iss: id, iat: answered.auth.revokedBefore });
    await expectProblem(
      await call("/v1/presign", { token: withOldKey, body: GET }),
      401,
      "invalid_token",
    );
  });

  it("a revoke right after a DELETE made elsewhere does not bring the tenant back", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(tenantRecord(id, [key.publicJwk])); // this isolate caches it
    await env.KV.delete(tenantKey(id)); // deleted through another isolate

    const res = await call(`/admin/tenants/${id}/revoke`, { method: "POST", admin: true });
    await expectProblem(res, 404, "not_found");
    expect(await env.KV.get(tenantKey(id))).toBeNull();
    expect(await env.KV.get(revokedKey(id))).toBeNull();
  });

  it("a later PUT cannot lower the revocation floor", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const body = tenantRecord(id, [key.publicJwk]);
    await putTenant(body);
    const before = await mintToken(key, { iss: id, iat: nowSeconds() - 5 });
    await call(`/admin/tenants/${id}/revoke`, { method: "POST", admin: true });
    await putTenant({ ...body, auth: { ...body.auth, revokedBefore: 0 } });

    await expectProblem(
      await call("/v1/presign", { token: before, body: GET }),
      401,
      "invalid_token",
    );
    clearTenantCache(); // and in every other isolate, which reads KV
    await expectProblem(
      await call("/v1/presign", { token: before, body: GET }),
      401,
      "invalid_token",
    );
    const shown = (await (await call(`/admin/tenants/${id}`, { admin: true })).json()) as {
      auth: { revokedBefore: number };
    };
    expect(shown.auth.revokedBefore).toBeGreaterThan(nowSeconds() - 5);
  });

  it("a PUT may lower the record's own revokedBefore, in this isolate too; a revoke's floor stays", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const body = tenantRecord(id, [key.publicJwk]);
    const withRevokedBefore = (revokedBefore: number) => ({
      ...body,
      auth: { ...body.auth, revokedBefore },
    });
    const now = nowSeconds();
    await putTenant(withRevokedBefore(now + 3600));
    const token = await mintToken(key, { iss: id, iat: now });
    await expectProblem(await call("/v1/presign", { token, body: GET }), 401, "invalid_token");

    await putTenant(withRevokedBefore(0));
    const shown = (await (await call(`/admin/tenants/${id}`, { admin: true })).json()) as {
      auth: { revokedBefore: number };
    };
    expect(shown.auth.revokedBefore).toBe(0);
    expect((await presign(token, GET)).res.status).toBe(200);

    // A revoke while the record's own value is higher still sets the floor, which outlives it.
    await putTenant(withRevokedBefore(now + 3600));
    await call(`/admin/tenants/${id}/revoke`, { method: "POST", admin: true });
    await putTenant(withRevokedBefore(0));
    const after = (await (await call(`/admin/tenants/${id}`, { admin: true })).json()) as {
      auth: { revokedBefore: number };
    };
    expect(after.auth.revokedBefore).toBeGreaterThan(now);
    await expectProblem(await call("/v1/presign", { token, body: GET }), 401, "invalid_token");
  });

  it("a PUT repairs a stored record that no longer reads, keeping its generation", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(tenantRecord(id, [key.publicJwk]));
    const { generation } = await storedTenant(id);
    await env.KV.put(tenantKey(id), "{ not a tenant", { metadata: { generation, version: "x" } });
    clearTenantCache();
    const token = await mintToken(key, { iss: id });
    await expectProblem(await call("/v1/presign", { token, body: GET }), 503, "unavailable");

    await putTenant(tenantRecord(id, [key.publicJwk]));
    expect((await storedTenant(id)).generation).toBe(generation);
    expect((await presign(token, GET)).res.status).toBe(200);
  });
});

describe("a deleted tenant leaves nothing to its successor under the same id", () => {
  async function recreate(id: string, record: Record<string, unknown> & { id: string }) {
    const before = await storedTenant(id);
    expect((await call(`/admin/tenants/${id}`, { method: "DELETE", admin: true })).status).toBe(
      204,
    );
    await putTenant(record);
    const after = await storedTenant(id);
    expect(after.generation).not.toBe(before.generation);
    return after;
  }

  it("a replace keeps the generation; a delete and create starts a new one", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(tenantRecord(id, [key.publicJwk]));
    const first = await storedTenant(id);
    await putTenant(tenantRecord(id, [key.publicJwk], { maxExpiresIn: 1800 }));
    const replaced = await storedTenant(id);
    expect(replaced.generation).toBe(first.generation);
    expect(replaced.version).not.toBe(first.version);
    await recreate(id, tenantRecord(id, [key.publicJwk]));
  });

  it("its links answer 404, to visitors and to the new tenant's callers", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const record = tenantRecord(id, [key.publicJwk]);
    await putTenant(record);
    const created = await call("/v1/links", {
      token: await mintToken(key, { iss: id }),
      body: { key: "report.pdf", ttl: 3600 },
    });
    const { code } = (await created.json()) as { code: string };
    expect((await call(`/l/${code}`)).status).toBe(302);

    await recreate(id, record);
    await expectProblem(await call(`/l/${code}`), 404, "not_found");
    const info = await call(`/v1/links/${code}`, { token: await mintToken(key, { iss: id }) });
    await expectProblem(info, 404, "not_found");
  });

  it("exact-mode counters start afresh", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const record = tenantRecord(id, [key.publicJwk], {
      rateLimit: { mode: "exact", tenant: { limit: 1, period: 3600 } },
    });
    await putTenant(record);
    const token = async () => mintToken(key, { iss: id });
    expect((await presign(await token(), GET)).res.status).toBe(200);
    expect((await presign(await token(), GET)).res.status).toBe(429);
    await recreate(id, record);
    expect((await presign(await token(), GET)).res.status).toBe(200);
  });

  it("its upload records are not trusted: S3 is asked again", async () => {
    const s3 = new FakeS3().install();
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const record = tenantRecord(id, [key.publicJwk]);
    await putTenant(record);
    const created = await call("/v1/uploads/multipart", {
      token: await mintToken(key, { iss: id }),
      body: { key: "big.bin" },
    });
    const { uploadId } = (await created.json()) as { uploadId: string };
    const old = await storedTenant(id);
    expect(await env.KV.get(uploadRecordKey(old, uploadId))).not.toBeNull();

    const successor = await recreate(id, record);
    expect(await env.KV.get(uploadRecordKey(successor, uploadId))).toBeNull();
    const signed = await call("/v1/uploads/multipart/sign-parts", {
      token: await mintToken(key, { iss: id }),
      body: { key: "big.bin", uploadId, partNumbers: [1] },
    });
    expect(signed.status).toBe(200);
    expect(s3.callsOf("ListParts")).toHaveLength(1);
  });
});

describe("strangers do not slow down known tenants", () => {
  it(`after ${TENANT_CACHE_MAX + 100} tokens with random issuers, a known tenant's repeated token needs no KV read and no signature check`, async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(tenantRecord(id, [key.publicJwk]));
    const token = await mintToken(key, { iss: id });
    expect((await presign(token, GET)).res.status).toBe(200);

    for (let i = 0; i < TENANT_CACHE_MAX + 100; i += 1) {
      const stranger = await mintToken(key, { iss: `stranger-${i}-${crypto.randomUUID()}` });
      const res = await call("/v1/presign", { token: stranger, body: GET });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }

    const counted = countingKv();
    const checks = signatureCheckCount();
    const res = await call("/v1/presign", { token, body: GET }, { ...env, KV: counted.kv });
    expect(res.status).toBe(200);
    expect(counted.reads()).toBe(0);
    expect(signatureCheckCount()).toBe(checks);
  });

  it("a repeated stranger costs one KV read, not one per request", async () => {
    const key = await keyPair("EdDSA");
    const stranger = await mintToken(key, { iss: newTenantId() });
    const counted = countingKv();
    for (let i = 0; i < 5; i += 1) {
      const res = await call(
        "/v1/presign",
        { token: stranger, body: GET },
        { ...env, KV: counted.kv },
      );
      expect(res.status).toBe(401);
    }
    expect(counted.reads()).toBe(2); // the record and its revocation floor, in one bulk read
  });

  it("a tenant re-read with an unchanged version keeps its verified tokens", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(tenantRecord(id, [key.publicJwk]));
    const token = await mintToken(key, { iss: id });
    expect((await presign(token, GET)).res.status).toBe(200);
    const checks = signatureCheckCount();

    clearTenantCache(); // what the cache's TTL does every 10 s
    expect((await presign(token, GET)).res.status).toBe(200);
    expect(signatureCheckCount()).toBe(checks);

    // A new version (another isolate's PUT) is verified again.
    await putElsewhere(tenantRecord(id, [key.publicJwk]));
    clearTenantCache();
    expect((await presign(token, GET)).res.status).toBe(200);
    expect(signatureCheckCount()).toBe(checks + 1);
  });
});
