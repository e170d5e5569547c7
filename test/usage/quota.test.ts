/**
 * Quotas (docs/usage.md): exact daily and monthly limits checked and counted in the tenant's
 * Durable Object in one step; over the quota → 429 quota_exceeded, Retry-After at the next UTC
 * day or month, nothing signed.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { decideQuota, quotaWindows } from "../../src/usage/metrics";
import { FakeS3 } from "../fake-s3";
import { call, concurrentPresigns, expectProblem, mintToken, seedTenant } from "../helpers";
import { countingObjects, usageOf } from "./support";

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

async function caller(overrides: Record<string, unknown> = {}) {
  const { id, key } = await seedTenant(overrides);
  return { id, key, token: await mintToken(key, { iss: id }) };
}

/** Seconds from now to the next UTC midnight. */
function secondsToNextDay(nowMs = Date.now()): number {
  return Math.ceil((Math.floor(nowMs / 86_400_000 + 1) * 86_400_000 - nowMs) / 1000);
}

describe("urlsPerDay", () => {
  it("admits exactly the quota of 500 concurrent requests: zero over-admission", async () => {
    const { id, key } = await seedTenant({ quota: { urlsPerDay: 100 } });
    const responses = await concurrentPresigns(id, key);
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(400);
    const refused = responses.find((res) => res.status === 429) as Response;
    const problem = await expectProblem(refused, 429, "quota_exceeded");
    expect(problem.detail).toMatch(/urlsPerDay/);
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(Math.abs(retryAfter - secondsToNextDay())).toBeLessThanOrEqual(5);
    const usage = await usageOf(id);
    expect(usage.totals).toEqual({ "urls.get": 100, "refusals.quota_exceeded": 400 });
  });

  it("signs nothing when over: no URL in the answer, no url_issued line", async () => {
    const { token } = await caller({ quota: { urlsPerDay: 1 } });
    expect((await call("/v1/presign", { token, body: { method: "GET", key: "a" } })).status).toBe(
      200,
    );
    const lines = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const res = await call("/v1/presign", { token, body: { method: "GET", key: "b" } });
    const text = await res.clone().text();
    await expectProblem(res, 429, "quota_exceeded");
    expect(text).not.toMatch(/X-Amz-Signature/);
    expect(lines.mock.calls.map(([line]) => String(line)).join("\n")).not.toMatch(/url_issued/);
  });

  it("reserves a whole batch in one object call, admitted or refused whole", async () => {
    const { id, token } = await caller({ quota: { urlsPerDay: 10 } });
    const { calls, bindings } = countingObjects();
    const batch = (n: number) => ({
      requests: Array.from({ length: n }, (_, i) => ({ method: "GET", key: `k${i}` })),
    });
    const first = await call("/v1/presign/batch", { token, body: batch(8) }, bindings);
    expect(first.status).toBe(200);
    expect(calls.reserveQuota).toBe(1);
    await expectProblem(
      await call("/v1/presign/batch", { token, body: batch(3) }, bindings),
      429,
      "quota_exceeded",
    );
    expect(calls.reserveQuota).toBe(2);
    expect((await call("/v1/presign/batch", { token, body: batch(2) }, bindings)).status).toBe(200);
    expect((await usageOf(id)).totals).toMatchObject({ "urls.get": 10 });
  });

  it("stops link visits too: a visit issues a URL", async () => {
    const { token } = await caller({ quota: { urlsPerDay: 1 } });
    const link = await call("/v1/links", { token, body: { key: "doc.pdf", ttl: 3600 } });
    const { code } = (await link.json()) as { code: string };
    expect((await call(`/l/${code}`)).status).toBe(302);
    await expectProblem(await call(`/l/${code}`), 429, "quota_exceeded");
  });
});

describe("upload bytes", () => {
  it("counts a PUT's signed content-length against uploadBytesPerDay", async () => {
    const { token } = await caller({ quota: { uploadBytesPerDay: 1000 } });
    const put = (contentLength: number) =>
      call("/v1/presign", { token, body: { method: "PUT", key: "a", contentLength } });
    expect((await put(600)).status).toBe(200);
    await expectProblem(await put(401), 429, "quota_exceeded");
    expect((await put(400)).status).toBe(200);
    // Reads authorize no bytes: the byte quota does not stop them.
    expect((await call("/v1/presign", { token, body: { method: "GET", key: "a" } })).status).toBe(
      200,
    );
  });

  it("counts a POST form's maximum against uploadBytesPerMonth, retrying at the next month", async () => {
    const { token } = await caller({ quota: { uploadBytesPerMonth: 1000 } });
    const form = (maxBytes: number) =>
      call("/v1/uploads/post", { token, body: { key: "a", maxBytes } });
    expect((await form(1000)).status).toBe(200);
    const refused = await form(1);
    await expectProblem(refused, 429, "quota_exceeded");
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    const expected = Math.ceil((nextMonth - now.getTime()) / 1000);
    expect(Math.abs(Number(refused.headers.get("Retry-After")) - expected)).toBeLessThanOrEqual(5);
  });

  it("refuses to complete a multipart upload over the quota, and leaves it to retry", async () => {
    const s3 = new FakeS3().install();
    const { token } = await caller({ quota: { uploadBytesPerDay: 1000 } });
    const created = await call("/v1/uploads/multipart", { token, body: { key: "big.bin" } });
    const { uploadId } = (await created.json()) as { uploadId: string };
    const etag = s3.addPart(uploadId, 1, 1001);
    const res = await call("/v1/uploads/multipart/complete", {
      token,
      body: { key: "big.bin", uploadId, parts: [{ partNumber: 1, etag }] },
    });
    await expectProblem(res, 429, "quota_exceeded");
    expect(s3.callsOf("CompleteMultipartUpload")).toHaveLength(0);
    expect(s3.callsOf("AbortMultipartUpload")).toHaveLength(0);
  });

  it("sign-request needs upload.maxBytes under a byte quota, to know what it authorizes", async () => {
    const { token } = await caller({ quota: { uploadBytesPerDay: 10_000 } });
    const res = await call("/v1/uploads/sign-request", {
      token,
      body: { method: "PUT", key: "a.jpg" },
    });
    expect((await expectProblem(res, 409, "conflict")).detail).toMatch(/upload\.maxBytes/);
    const limited = await caller({
      quota: { uploadBytesPerDay: 10_000 },
      upload: { maxBytes: 6000 },
    });
    const sign = () =>
      call("/v1/uploads/sign-request", {
        token: limited.token,
        body: { method: "PUT", key: "a.jpg" },
      });
    expect((await sign()).status).toBe(200);
    await expectProblem(await sign(), 429, "quota_exceeded");
  });
});

describe("when the quota store fails", () => {
  it("admits with failOpen (the default), logging it, and keeps the counts", async () => {
    const { id, token } = await caller({ quota: { urlsPerDay: 5 } });
    const { bindings } = countingObjects({ reserveQuota: () => true });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call("/v1/presign", { token, body: { method: "GET", key: "a" } }, bindings);
    expect(res.status).toBe(200);
    const events = errors.mock.calls.map(([line]) => JSON.parse(String(line)).event as string);
    expect(events).toContain("quota_store_failed");
    expect((await usageOf(id)).totals).toEqual({ "urls.get": 1 });
  });

  it("refuses with 503 and Retry-After when failOpen is false, logging it", async () => {
    const { token } = await caller({ quota: { urlsPerDay: 5, failOpen: false } });
    const { bindings } = countingObjects({ reserveQuota: () => true });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call("/v1/presign", { token, body: { method: "GET", key: "a" } }, bindings);
    await expectProblem(res, 503, "unavailable");
    expect(res.headers.get("Retry-After")).toBe("1");
    const events = errors.mock.calls.map(([line]) => JSON.parse(String(line)).event as string);
    expect(events).toContain("quota_store_failed");
  });
});

describe("the tenant record's quota", () => {
  it("refuses limits that are not positive integers, naming the field", async () => {
    const { id, key } = await seedTenant();
    for (const quota of [{ urlsPerDay: 0 }, { uploadBytesPerDay: 1.5 }, { perDay: 3 }]) {
      const res = await call(`/admin/tenants/${id}`, {
        method: "PUT",
        admin: true,
        body: {
          id,
          auth: { jwks: { keys: [key.publicJwk] } },
          prefix: `${id}/`,
          buckets: {
            main: {
              endpoint: "https://s3.us-east-1.amazonaws.com",
              bucket: "b-data",
              credentials: "S3_TEST",
            },
          },
          defaultBucket: "main",
          quota,
        },
      });
      const problem = await expectProblem(res, 400, "invalid_request");
      expect(String(problem.field)).toMatch(/^quota/);
    }
  });
});

describe("quota windows (pure)", () => {
  it("end at the next UTC midnight and the first of the next UTC month", () => {
    const now = Date.UTC(2026, 11, 31, 23, 59, 30);
    const windows = quotaWindows(now);
    expect(windows.map((w) => [w.name, new Date(w.endsAt).toISOString()])).toEqual([
      ["urlsPerDay", "2027-01-01T00:00:00.000Z"],
      ["uploadBytesPerDay", "2027-01-01T00:00:00.000Z"],
      ["uploadBytesPerMonth", "2027-01-01T00:00:00.000Z"],
    ]);
    expect(quotaWindows(Date.UTC(2027, 0, 1))[2]?.key).toBe("bytes:month:2027-01");
  });

  it("refuses only what goes over, with Retry-After the latest refusing window's end", () => {
    const now = Date.UTC(2026, 10, 28, 12, 0, 0);
    const used = (window: { amount: "urls" | "bytes" }) => (window.amount === "urls" ? 9 : 100);
    const limits = { urlsPerDay: 10, uploadBytesPerDay: 1000, uploadBytesPerMonth: 150 };
    expect(decideQuota(limits, used, { urls: 1, bytes: 0 }, now).admitted).toBe(true);
    expect(decideQuota(limits, used, { urls: 1, bytes: 50 }, now).admitted).toBe(true);
    expect(decideQuota(limits, used, { urls: 2, bytes: 51 }, now)).toEqual({
      admitted: false,
      refused: ["urlsPerDay", "uploadBytesPerMonth"],
      retryAfter: (Date.UTC(2026, 11, 1) - now) / 1000,
    });
    expect(decideQuota({ urlsPerDay: 10 }, used, { urls: 2, bytes: 0 }, now).retryAfter).toBe(
      12 * 3600,
    );
  });
});
