/**
 * Credentials that expire (src/signing/expiry.ts): a credentials secret's `expiration` caps every
 * URL-issuing path, the response says so (`expiresInCapped: true`), and once it has passed every
 * use is 503 with one ERROR line naming the secret, never its value.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { S3Credentials } from "../../src/env";
import * as v from "valibot";
import { FakeS3 } from "../fake-s3";
import { call, expectProblem, keyPair, mintToken, newTenantId, tenantRecord } from "../helpers";

const SECRET = "S3_EXPIRING";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Bindings with a credentials secret expiring `inSeconds` from now (a new value each time). */
function bindingsExpiringIn(inSeconds: number, expiration?: string) {
  const value = JSON.stringify({
    accessKeyId: `ASIA${crypto.randomUUID().slice(0, 12).toUpperCase()}`,
    secretAccessKey: "expiring/secret+key/0123456789abcdefGHIJ",
    sessionToken: "FwoGZXIvYXdzEXPIRING//session+token=",
    expiration: expiration ?? new Date(Date.now() + inSeconds * 1000).toISOString(),
  });
  return { ...(env as unknown as Record<string, unknown>), [SECRET]: value };
}

/** A tenant whose buckets use the expiring secret; its token, and a caller bound to `bindings`. */
async function tenantWith(bindings: Record<string, unknown>, overrides = {}) {
  const id = newTenantId();
  const key = await keyPair("EdDSA");
  const record = tenantRecord(id, [key.publicJwk], overrides);
  record.buckets.main.credentials = SECRET;
  record.buckets.archive.credentials = SECRET;
  const put = await call(
    `/admin/tenants/${id}`,
    { method: "PUT", admin: true, body: record },
    bindings,
  );
  expect(put.status, await put.clone().text()).toBe(200);
  const token = await mintToken(key, { iss: id });
  const post = (path: string, body: unknown) => call(path, { token, body }, bindings);
  return { id, key, token, post };
}

describe("credentials with an expiration", () => {
  it("caps a presigned URL at what the credentials have left, and says so", async () => {
    const bindings = bindingsExpiringIn(100);
    const { post } = await tenantWith(bindings);
    const before = Date.now();
    const res = await post("/v1/presign", { method: "GET", key: "a", expiresIn: 900 });
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(json.expiresIn).toBeGreaterThanOrEqual(98);
    expect(json.expiresIn).toBeLessThanOrEqual(100);
    expect(json.expiresInCapped).toBe(true);
    expect(new URL(json.url as string).searchParams.get("X-Amz-Expires")).toBe(
      String(json.expiresIn),
    );
    expect(Date.parse(json.expiresAt as string)).toBeLessThanOrEqual(before + 100_000 + 1000);
  });

  it("leaves a URL that ends before the credentials alone (no expiresInCapped)", async () => {
    const { post } = await tenantWith(bindingsExpiringIn(7200));
    const json = (await (
      await post("/v1/presign", { method: "GET", key: "a", expiresIn: 900 })
    ).json()) as Record<string, unknown>;
    expect(json.expiresIn).toBe(900);
    expect(json).not.toHaveProperty("expiresInCapped");
  });

  it("still knows the expiration on the cached signer path (second use of the secret)", async () => {
    const bindings = bindingsExpiringIn(100);
    const { post } = await tenantWith(bindings);
    for (let i = 0; i < 2; i += 1) {
      const json = (await (
        await post("/v1/presign", { method: "PUT", key: `a${i}`, expiresIn: 900 })
      ).json()) as Record<string, unknown>;
      expect(json.expiresInCapped).toBe(true);
      expect(json.expiresIn).toBeLessThanOrEqual(100);
    }
  });

  it("answers 503 once they have expired, logging the secret's name and not its value", async () => {
    const bindings = bindingsExpiringIn(3600);
    const { id, key, post } = await tenantWith(bindings);
    // First use: the signer is cached with its expiration.
    expect((await post("/v1/presign", { method: "GET", key: "a" })).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3600_000);
    const errors = vi.spyOn(console, "error");
    const token = await mintToken(key, { iss: id });
    const res = await call("/v1/presign", { token, body: { method: "GET", key: "a" } }, bindings);
    const problem = await expectProblem(res, 503, "unavailable");
    expect(problem.detail).toBe("the bucket's credentials are not usable");
    const lines = errors.mock.calls.map((args) => JSON.parse(String(args[0])));
    expect(lines).toContainEqual(
      expect.objectContaining({ event: "credentials_expired", tenant: id, secret: SECRET }),
    );
    expect(JSON.stringify(lines)).not.toContain("expiring/secret");
    expect(JSON.stringify(problem)).not.toContain(SECRET);
  });

  it("caps POST policies, part URLs and Uppy URLs too", async () => {
    const s3 = new FakeS3().install();
    const { post } = await tenantWith(bindingsExpiringIn(100));
    const form = (await (
      await post("/v1/uploads/post", { key: "a.png", expiresIn: 900 })
    ).json()) as { expiresAt: string; expiresInCapped?: true; fields: Record<string, string> };
    expect(form.expiresInCapped).toBe(true);
    const policy = JSON.parse(atob(form.fields.policy ?? "")) as { expiration: string };
    expect(Date.parse(policy.expiration)).toBeLessThanOrEqual(Date.now() + 100_000);
    expect(policy.expiration).toBe(form.expiresAt);

    const created = (await (await post("/v1/uploads/multipart", { key: "big" })).json()) as {
      uploadId: string;
    };
    const parts = (await (
      await post("/v1/uploads/multipart/sign-parts", {
        key: "big",
        uploadId: created.uploadId,
        partNumbers: [1],
        expiresIn: 900,
      })
    ).json()) as { parts: { url: string }[]; expiresInCapped?: true };
    expect(parts.expiresInCapped).toBe(true);
    const partExpires = Number(
      new URL(parts.parts[0]?.url ?? "").searchParams.get("X-Amz-Expires"),
    );
    expect(partExpires).toBeLessThanOrEqual(100);
    expect(s3.callsOf("CreateMultipartUpload")).toHaveLength(1);

    const uppy = (await (
      await post("/v1/uploads/sign-request", { method: "PUT", key: "u", expiresIn: 900 })
    ).json()) as { url: string; expiresInCapped?: true };
    expect(uppy.expiresInCapped).toBe(true);
    expect(Number(new URL(uppy.url).searchParams.get("X-Amz-Expires"))).toBeLessThanOrEqual(100);
  });

  it("refuses the gateway's own S3 calls with expired credentials (503), calling nothing", async () => {
    const s3 = new FakeS3().install();
    const { post } = await tenantWith(bindingsExpiringIn(0, "2020-01-01T00:00:00Z"));
    await expectProblem(await post("/v1/uploads/multipart", { key: "big" }), 503, "unavailable");
    await expectProblem(await post("/v1/uploads/post", { key: "a" }), 503, "unavailable");
    await expectProblem(
      await post("/v1/uploads/sign-request", { method: "PUT", key: "a" }),
      503,
      "unavailable",
    );
    expect(s3.calls).toHaveLength(0);
  });

  it("caps the URL a short link redirects to", async () => {
    const bindings = bindingsExpiringIn(30);
    const { post } = await tenantWith(bindings);
    const link = (await (
      await post("/v1/links", { key: "r.pdf", ttl: 3600, urlExpiresIn: 600 })
    ).json()) as { code: string };
    const visit = await call(`/l/${link.code}`, {}, bindings);
    expect(visit.status).toBe(302);
    const location = new URL(visit.headers.get("Location") ?? "");
    expect(Number(location.searchParams.get("X-Amz-Expires"))).toBeLessThanOrEqual(30);
  });
});

describe("the expiration field of a credentials secret", () => {
  it("takes RFC 3339 date-times: Z or an offset, T, t or a space, fractions", () => {
    const base = { accessKeyId: "a", secretAccessKey: "s" };
    for (const expiration of [
      "2026-05-01T12:00:00Z",
      "2026-05-01T12:00:00+02:00",
      "2026-05-01t12:00:00z",
      "2026-05-01 12:00:00Z",
      "2026-05-01T12:00:00.123456Z",
    ]) {
      expect(v.safeParse(S3Credentials, { ...base, expiration }).success, expiration).toBe(true);
    }
    for (const expiration of [
      "tomorrow",
      "2026-05-01",
      "2026-05-01T12:00:00",
      "2026-13-01T12:00:00Z",
      "2026-05-01T25:00:00Z",
      "1746100800",
    ]) {
      expect(v.safeParse(S3Credentials, { ...base, expiration }).success, expiration).toBe(false);
    }
  });

  it("makes the admin API refuse a secret whose expiration is not RFC 3339", async () => {
    const bindings = bindingsExpiringIn(0, "next week");
    const id = newTenantId();
    const record = tenantRecord(id, [(await keyPair("EdDSA")).publicJwk]);
    record.buckets.main.credentials = SECRET;
    const res = await call(
      `/admin/tenants/${id}`,
      { method: "PUT", admin: true, body: record },
      bindings,
    );
    const problem = await expectProblem(res, 400, "invalid_request");
    expect(problem.detail).toContain("RFC 3339 expiration");
    expect(problem.detail).not.toContain("next week");
  });
});
