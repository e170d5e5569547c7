/**
 * Usage metering (docs/usage.md): what each URL-issuing path counts, per tenant and per subject,
 * how counts reach the tenant's Durable Object (batched, after the response), and the admin route.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import app from "../../src/index";
import { FLUSH_EVENTS } from "../../src/usage/meter";
import { FakeS3 } from "../fake-s3";
import { call, expectProblem, mintToken, seedTenant, storedTenant } from "../helpers";
import { countingObjects, usageOf } from "./support";

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

async function caller(overrides: Record<string, unknown> = {}, sub = "alice") {
  const { id, key } = await seedTenant(overrides);
  return { id, key, token: await mintToken(key, { iss: id, sub }) };
}

async function ok(res: Response | Promise<Response>): Promise<Record<string, unknown>> {
  const answered = await res;
  const text = await answered.text();
  expect(answered.status, text).toBeLessThan(300);
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

describe("what is counted", () => {
  it("counts presigned URLs by operation and the bytes a PUT signs", async () => {
    const { id, token } = await caller();
    await ok(call("/v1/presign", { token, body: { method: "GET", key: "a" } }));
    await ok(call("/v1/presign", { token, body: { method: "GET", key: "b" } }));
    await ok(
      call("/v1/presign", { token, body: { method: "PUT", key: "c", contentLength: 1234 } }),
    );
    await ok(call("/v1/presign", { token, body: { method: "DELETE", key: "c" } }));
    const usage = await usageOf(id);
    expect(usage.totals).toEqual({
      "urls.get": 2,
      "urls.put": 1,
      "urls.delete": 1,
      "bytes.put": 1234,
    });
    expect(usage.buckets).toHaveLength(1);
    expect(usage.buckets[0]?.start).toBe(
      new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString(),
    );
  });

  it("counts each URL a batch issues, not the items it refuses", async () => {
    const { id, token } = await caller();
    const body = {
      requests: [
        { method: "GET", key: "a" },
        { method: "PUT", key: "b", contentLength: 10 },
        { method: "GET", key: "../escape" },
      ],
    };
    await ok(call("/v1/presign/batch", { token, body }));
    expect((await usageOf(id)).totals).toEqual({ "urls.get": 1, "urls.put": 1, "bytes.put": 10 });
  });

  it("counts a POST form and the maximum size its policy allows", async () => {
    const { id, token } = await caller({ upload: { maxBytes: 5000 } });
    await ok(call("/v1/uploads/post", { token, body: { key: "a.bin", maxBytes: 700 } }));
    await ok(call("/v1/uploads/post", { token, body: { key: "b.bin" } }));
    expect((await usageOf(id)).totals).toEqual({ "urls.post": 2, "bytes.post": 5700 });
  });

  it("counts part URLs, and the size and completion of a multipart upload", async () => {
    const s3 = new FakeS3().install();
    const { id, token } = await caller();
    const created = await ok(call("/v1/uploads/multipart", { token, body: { key: "big.bin" } }));
    const uploadId = created.uploadId as string;
    await ok(
      call("/v1/uploads/multipart/sign-parts", {
        token,
        body: { key: "big.bin", uploadId, partNumbers: [1, 2, 3] },
      }),
    );
    const etags = [s3.addPart(uploadId, 1, 5_242_880), s3.addPart(uploadId, 2, 1000)];
    await ok(
      call("/v1/uploads/multipart/complete", {
        token,
        body: {
          key: "big.bin",
          uploadId,
          parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
        },
      }),
    );
    expect((await usageOf(id)).totals).toEqual({
      "urls.multipart": 3,
      "bytes.multipart": 5_243_880,
      "uploads.completed": 1,
    });
  });

  it("counts the URLs sign-request issues, and a POST form's maximum under upload.maxBytes", async () => {
    const { id, token } = await caller({ upload: { maxBytes: 900 } });
    await ok(call("/v1/uploads/sign-request", { token, body: { method: "PUT", key: "a.jpg" } }));
    const full = `${id}/users/alice/a.jpg`;
    await ok(
      call("/v1/uploads/sign-request", {
        token,
        body: { method: "PUT", key: full, uploadId: "up1", partNumber: 2 },
      }),
    );
    await ok(call("/v1/uploads/sign-request", { token, body: { method: "DELETE", key: full } }));
    expect((await usageOf(id)).totals).toEqual({
      "urls.put": 1,
      "bytes.post": 900,
      "urls.multipart": 1,
      "urls.delete": 1,
    });
  });

  it("counts link visits (each one a URL issued) but not the link's creation", async () => {
    const { id, token } = await caller();
    const link = await ok(call("/v1/links", { token, body: { key: "doc.pdf", ttl: 3600 } }));
    const code = String(link.code);
    for (const method of ["GET", "GET", "HEAD"]) {
      const res = await call(`/l/${code}`, { method });
      expect(res.status).toBe(302);
    }
    expect((await usageOf(id)).totals).toEqual({ "urls.link": 3, "links.visits": 3 });
  });

  it("counts refusals by problem code once the tenant is known", async () => {
    const { id, token } = await caller({ operations: ["get"] });
    await expectProblem(
      await call("/v1/presign", { token, body: { method: "PUT", key: "a" } }),
      403,
      "forbidden",
    );
    await expectProblem(
      await call("/v1/presign", { token, body: { method: "GET", key: "a", bucket: "nope" } }),
      403,
      "forbidden",
    );
    await expectProblem(
      await call("/v1/presign", { token, body: { method: "GET", key: "a", expiresIn: 99_999 } }),
      400,
      "invalid_request",
    );
    expect((await usageOf(id)).totals).toEqual({
      "refusals.forbidden": 2,
      "refusals.invalid_request": 1,
    });
  });

  it("keeps each subject's counts only for tenants with usage.perSubject", async () => {
    const metered = await seedTenant({ usage: { perSubject: true } });
    const plain = await seedTenant();
    for (const { id, key } of [metered, plain]) {
      for (const sub of ["alice", "alice", "bob"]) {
        const token = await mintToken(key, { iss: id, sub });
        await ok(call("/v1/presign", { token, body: { method: "GET", key: "a" } }));
      }
    }
    expect((await usageOf(metered.id)).totals).toEqual({ "urls.get": 3 });
    expect((await usageOf(metered.id, "?subject=alice")).totals).toEqual({ "urls.get": 2 });
    const bob = await usageOf(metered.id, "?subject=bob");
    expect(bob).toMatchObject({ subject: "bob", totals: { "urls.get": 1 } });
    expect((await usageOf(plain.id)).totals).toEqual({ "urls.get": 3 });
    expect((await usageOf(plain.id, "?subject=alice")).totals).toEqual({});
  });
});

describe("how counts reach the tenant's object", () => {
  it("a tenant without a quota makes no object call inside the request; one after it", async () => {
    const { token } = await caller();
    const { calls, bindings } = countingObjects();
    const ctx = createExecutionContext();
    const request = new Request("https://gateway.test/v1/presign", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ method: "GET", key: "a" }),
    });
    const res = await app.fetch(request, bindings, ctx);
    expect(res.status).toBe(200);
    expect(calls).toEqual({ recordUsage: 0, reserveQuota: 0 });
    await waitOnExecutionContext(ctx);
    expect(calls).toEqual({ recordUsage: 1, reserveQuota: 0 });
  });

  it("merges concurrent requests into one call per batch, a full batch going at once", async () => {
    const { id, token } = await caller();
    const { calls, bindings } = countingObjects();
    const slow = { ...bindings, USAGE_FLUSH_MS: "300" };
    const requests = FLUSH_EVENTS + 20;
    const statuses = await Promise.all(
      Array.from({ length: requests }, async (_, i) => {
        const res = await call(
          "/v1/presign",
          { token, body: { method: "GET", key: `k${i}` } },
          slow,
        );
        return res.status;
      }),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    // One call for the full batch, one for the 20 that followed it.
    expect(calls.recordUsage).toBe(2);
    expect((await usageOf(id)).totals).toEqual({ "urls.get": requests });
  });

  it("a failed flush is logged with its counts and goes again with the next one", async () => {
    const { id, token } = await caller();
    let failures = 1;
    const { bindings } = countingObjects({ recordUsage: () => failures-- > 0 });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await ok(call("/v1/presign", { token, body: { method: "GET", key: "a" } }, bindings));
    const logged = errors.mock.calls.map(
      ([line]) => JSON.parse(String(line)) as Record<string, unknown>,
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        event: "usage_flush_failed",
        tenant: id,
        counts: JSON.stringify({ "urls.get": 1 }),
      }),
    );
    expect((await usageOf(id)).totals).toEqual({});
    await ok(call("/v1/presign", { token, body: { method: "PUT", key: "b" } }, bindings));
    expect((await usageOf(id)).totals).toEqual({ "urls.get": 1, "urls.put": 1 });
  });

  it("counts that fail twice are logged as dropped, with their counts", async () => {
    const { id, token } = await caller();
    const { bindings } = countingObjects({ recordUsage: () => true });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await ok(call("/v1/presign", { token, body: { method: "GET", key: "a" } }, bindings));
    await ok(call("/v1/presign", { token, body: { method: "GET", key: "b" } }, bindings));
    const events = errors.mock.calls.map(
      ([line]) => JSON.parse(String(line)) as Record<string, unknown>,
    );
    expect(events.map((event) => event.event)).toEqual(["usage_flush_failed", "usage_dropped"]);
    expect(events[1]).toMatchObject({ tenant: id, counts: JSON.stringify({ "urls.get": 2 }) });
  });
});

describe("GET /admin/tenants/{id}/usage", () => {
  it("answers hourly or daily buckets over the range asked", async () => {
    const { id } = await caller();
    const { generation } = await storedTenant(id);
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${id}:${generation}`));
    const day = Date.UTC(2026, 10, 27);
    const hour = day / 3_600_000;
    await stub.recordUsage([
      { hour: hour + 2, subject: "", metric: "urls.get", count: 3 },
      { hour: hour + 7, subject: "", metric: "urls.get", count: 4 },
      { hour: hour + 7, subject: "", metric: "bytes.put", count: 10 },
      { hour: hour + 24, subject: "", metric: "urls.get", count: 1 },
    ]);
    const hourly = await usageOf(id, "?from=2026-11-27&to=2026-11-28");
    expect(hourly.buckets).toEqual([
      { start: "2026-11-27T02:00:00.000Z", counts: { "urls.get": 3 } },
      { start: "2026-11-27T07:00:00.000Z", counts: { "bytes.put": 10, "urls.get": 4 } },
    ]);
    expect(hourly.totals).toEqual({ "urls.get": 7, "bytes.put": 10 });
    const daily = await usageOf(
      id,
      "?from=2026-11-27T05:00:00Z&to=2026-11-28T01:00:00Z&granularity=day",
    );
    expect(daily).toMatchObject({
      granularity: "day",
      from: "2026-11-27T00:00:00.000Z",
      to: "2026-11-29T00:00:00.000Z",
      buckets: [
        { start: "2026-11-27T00:00:00.000Z", counts: { "urls.get": 7, "bytes.put": 10 } },
        { start: "2026-11-28T00:00:00.000Z", counts: { "urls.get": 1 } },
      ],
    });
    const before = await usageOf(id, `?from=2020-01-01&to=2020-01-02`);
    expect(before).toMatchObject({
      tenant: id,
      from: "2020-01-01T00:00:00.000Z",
      to: "2020-01-02T00:00:00.000Z",
      buckets: [],
      totals: {},
    });
  });

  it("refuses a reversed or too long range, a bad granularity and an unknown tenant", async () => {
    const { id } = await caller();
    for (const [query, field] of [
      ["?from=2026-01-02&to=2026-01-01", "from"],
      ["?from=2026-01-01&to=2026-06-01", "from"],
      ["?granularity=minute", "granularity"],
      ["?from=yesterday", "from"],
    ] as const) {
      const res = await call(`/admin/tenants/${id}/usage${query}`, { admin: true });
      expect((await expectProblem(res, 400, "invalid_request")).field, query).toBe(field);
    }
    await expectProblem(
      await call(`/admin/tenants/no-such-tenant/usage`, { admin: true }),
      404,
      "not_found",
    );
    await expectProblem(await call(`/admin/tenants/${id}/usage`), 401, "unauthorized");
  });

  it("reads the object of the tenant's current generation", async () => {
    const { id, token } = await caller();
    await ok(call("/v1/presign", { token, body: { method: "GET", key: "a" } }));
    const { generation } = await storedTenant(id);
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${id}:${generation}`));
    const now = Date.now();
    const buckets = await stub.usage({
      fromMs: now - 3_600_000,
      toMs: now + 3_600_000,
      hours: 1,
      subject: "",
    });
    expect(buckets.map((bucket) => bucket.counts)).toEqual([{ "urls.get": 1 }]);
  });
});
