import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { uploadRecordKey } from "../../src/uploads/records";
import { FakeS3 } from "../fake-s3";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  putTenant,
  seedTenant,
  tenantRecord,
  storedTenant,
} from "../helpers";
import { TEST_SECRETS } from "../secrets";
import { postPolicySignature, verifyPresignedUrl } from "../sigv4-verifier";

const TEST_SECRET_KEY = JSON.parse(TEST_SECRETS.S3_TEST).secretAccessKey as string;
const MiB = 1024 ** 2;

async function tokenFor(
  overrides: Record<string, unknown> = {},
  claims: Record<string, unknown> = {},
) {
  const { id, key } = await seedTenant(overrides);
  return { id, token: await mintToken(key, { iss: id, claims }) };
}

async function post(path: string, token: string, body: unknown) {
  const res = await call(path, { token, body });
  return {
    res,
    json: (res.headers.get("content-type") === "application/json" ? await res.json() : null) as any,
  };
}

function decodePolicy(policyBase64: string) {
  const bytes = Uint8Array.from(atob(policyBase64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as {
    expiration: string;
    conditions: unknown[];
  };
}

describe("POST /v1/uploads/post", () => {
  it("returns a signed POST form whose policy pins key, size range, type and metadata", async () => {
    const { id, token } = await tokenFor({ upload: { maxBytes: 1000, contentTypes: ["image/*"] } });
    const before = Date.now();
    const { res, json } = await post("/v1/uploads/post", token, {
      key: "photos/cat.png",
      contentType: "image/png",
      maxBytes: 500,
      expiresIn: 120,
      metadata: { owner: "alice" },
    });
    expect(res.status).toBe(200);
    const fullKey = `${id}/users/alice/photos/cat.png`;
    expect(json).toMatchObject({
      url: `https://${id}-data.s3.us-east-1.amazonaws.com/`,
      maxBytes: 500,
      key: fullKey,
      bucket: "main",
    });
    expect(Date.parse(json.expiresAt) - before).toBeGreaterThanOrEqual(119_000);
    const policy = decodePolicy(json.fields.policy);
    expect(policy.expiration).toBe(json.expiresAt);
    const date = json.fields["x-amz-date"] as string;
    expect(policy.conditions).toEqual([
      { bucket: `${id}-data` },
      { key: fullKey },
      ["content-length-range", 0, 500],
      { "Content-Type": "image/png" },
      { "x-amz-meta-owner": "alice" },
      { success_action_status: "204" },
      { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
      { "x-amz-credential": `AKIATESTACCESSKEY001/${date.slice(0, 8)}/us-east-1/s3/aws4_request` },
      { "x-amz-date": date },
    ]);
    expect(json.fields).toMatchObject({
      key: fullKey,
      "Content-Type": "image/png",
      "x-amz-meta-owner": "alice",
    });
    expect(json.fields["x-amz-signature"]).toBe(
      await postPolicySignature(json.fields.policy, TEST_SECRET_KEY, date.slice(0, 8), "us-east-1"),
    );
  });

  it("caps maxBytes at the tenant's limit and at S3's 5 GiB POST limit, the default", async () => {
    const limited = await tokenFor({ upload: { maxBytes: 1000 } });
    const capped = await post("/v1/uploads/post", limited.token, { key: "a", maxBytes: 5000 });
    expect(capped.json.maxBytes).toBe(1000);
    expect(decodePolicy(capped.json.fields.policy).conditions).toContainEqual([
      "content-length-range",
      0,
      1000,
    ]);
    const tenantDefault = await post("/v1/uploads/post", limited.token, { key: "a" });
    expect(tenantDefault.json.maxBytes).toBe(1000);

    const huge = await tokenFor({ upload: { maxBytes: 10 * 1024 ** 3 } });
    const single = await post("/v1/uploads/post", huge.token, { key: "a" });
    expect(single.json.maxBytes).toBe(5 * 1024 ** 3);

    const open = await tokenFor();
    const unlimited = await post("/v1/uploads/post", open.token, { key: "a" });
    expect(unlimited.json.maxBytes).toBe(5 * 1024 ** 3);
    expect(decodePolicy(unlimited.json.fields.policy).conditions).toContainEqual([
      "starts-with",
      "$Content-Type",
      "",
    ]);
  });

  it("refuses a bucket with supportsPost false with 409 unsupported_by_provider pointing to a presigned PUT", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const record = tenantRecord(id, [key.publicJwk]);
    (record.buckets.main as Record<string, unknown>).supportsPost = false;
    await putTenant(record);
    const res = await call("/v1/uploads/post", {
      token: await mintToken(key, { iss: id }),
      body: { key: "a" },
    });
    const problem = await expectProblem(res, 409, "unsupported_by_provider");
    expect(problem.detail).toMatch(/presigned PUT/);
    expect(problem.detail).toMatch(/provider 'generic'/);
  });

  it("takes POST support from the bucket's provider, and supportsPost overrides it", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const token = await mintToken(key, { iss: id });
    const record = tenantRecord(id, [key.publicJwk]);
    const bucket = record.buckets.main as Record<string, unknown>;
    bucket.provider = "r2";
    await putTenant(record);
    const r2 = await call("/v1/uploads/post", { token, body: { key: "a" } });
    expect((await expectProblem(r2, 409, "unsupported_by_provider")).detail).toMatch(
      /provider 'r2'/,
    );

    bucket.supportsPost = true;
    await putTenant(record);
    expect((await call("/v1/uploads/post", { token, body: { key: "a" } })).status).toBe(200);

    bucket.provider = "aws";
    bucket.supportsPost = false;
    await putTenant(record);
    await expectProblem(
      await call("/v1/uploads/post", { token, body: { key: "a" } }),
      409,
      "unsupported_by_provider",
    );
  });

  it("applies the tenant's content-type policy: 400 without a type, 415 for another", async () => {
    const { token } = await tokenFor({ upload: { contentTypes: ["image/*"] } });
    const missing = await call("/v1/uploads/post", { token, body: { key: "a" } });
    expect((await expectProblem(missing, 400, "invalid_request")).field).toBe("contentType");
    const html = await call("/v1/uploads/post", {
      token,
      body: { key: "a", contentType: "text/html" },
    });
    expect((await expectProblem(html, 415, "unsupported_media_type")).field).toBe("contentType");
  });

  it("refuses bad fields, keys with ${filename}, and a token without the post operation", async () => {
    const { token } = await tokenFor();
    for (const [body, field] of [
      [{ key: "a", maxBytes: 5 * 1024 ** 3 + 1 }, "maxBytes"],
      [{ key: "a", successActionStatus: 302 }, "successActionStatus"],
      [{ key: "a", method: "PUT" }, "method"],
      [{ key: "../a" }, "key"],
    ] as const) {
      const res = await call("/v1/uploads/post", { token, body });
      expect((await res.clone().json()) as { field: string }).toMatchObject({ field });
      expect(res.status).toBe(400);
    }
    const filename = await call("/v1/uploads/post", { token, body: { key: "a/${filename}" } });
    await expectProblem(filename, 400, "invalid_key");
    const scoped = await tokenFor({}, { scope: "get put" });
    await expectProblem(
      await call("/v1/uploads/post", { token: scoped.token, body: { key: "a" } }),
      403,
      "forbidden",
    );
  });

  it("signs the session token of temporary credentials into the form", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const record = tenantRecord(id, [key.publicJwk]);
    record.buckets.main.credentials = "S3_TEMP";
    await putTenant(record);
    const { json } = await post("/v1/uploads/post", await mintToken(key, { iss: id }), {
      key: "a",
      successActionStatus: 201,
    });
    const { sessionToken } = JSON.parse(TEST_SECRETS.S3_TEMP) as { sessionToken: string };
    expect(json.fields["x-amz-security-token"]).toBe(sessionToken);
    expect(json.fields.success_action_status).toBe("201");
    expect(decodePolicy(json.fields.policy).conditions).toContainEqual({
      "x-amz-security-token": sessionToken,
    });
  });

  it("refuses POST and multipart without the checksum the tenant requires (400)", async () => {
    const { token } = await tokenFor({ upload: { requireChecksum: true } });
    const post = await call("/v1/uploads/post", { token, body: { key: "a" } });
    expect((await expectProblem(post, 400, "invalid_request")).field).toBe("checksum");
    const multipart = await call("/v1/uploads/multipart", { token, body: { key: "a" } });
    expect((await expectProblem(multipart, 400, "invalid_request")).field).toBe(
      "checksumAlgorithm",
    );
  });
});

describe("multipart uploads", () => {
  async function start(
    overrides: Record<string, unknown> = {},
    body: Record<string, unknown> = {},
  ) {
    const s3 = new FakeS3().install();
    const { id, token } = await tokenFor(overrides);
    const { res, json } = await post("/v1/uploads/multipart", token, { key: "big.bin", ...body });
    expect(res.status, JSON.stringify(json)).toBe(200);
    return { s3, id, token, uploadId: json.uploadId as string, created: json };
  }

  it("creates the upload in S3 under the caller's key, records it in KV and suggests a part size", async () => {
    const { s3, id, uploadId, created } = await start(
      { upload: { contentTypes: ["video/*"] } },
      { contentType: "video/mp4", size: 12 * 1024 * MiB },
    );
    expect(created).toEqual({
      uploadId,
      key: `${id}/users/alice/big.bin`,
      bucket: "main",
      partSize: 13 * MiB,
    });
    expect(s3.uploads.get(uploadId)).toMatchObject({
      bucket: `${id}-data`,
      key: `${id}/users/alice/big.bin`,
      contentType: "video/mp4",
    });
    const record = JSON.parse(
      (await env.KV.get(uploadRecordKey(await storedTenant(id), uploadId))) ?? "null",
    );
    expect(record).toMatchObject({
      fullKey: `${id}/users/alice/big.bin`,
      sub: "alice",
      bucket: "main",
    });
  });

  it("checks size and content type before calling S3: 413, 415, 400", async () => {
    const s3 = new FakeS3().install();
    const { token } = await tokenFor({ upload: { maxBytes: 10 * MiB, contentTypes: ["video/*"] } });
    const big = await call("/v1/uploads/multipart", {
      token,
      body: { key: "a", contentType: "video/mp4", size: 10 * MiB + 1 },
    });
    expect((await expectProblem(big, 413, "payload_too_large")).field).toBe("size");
    const type = await call("/v1/uploads/multipart", {
      token,
      body: { key: "a", contentType: "image/png" },
    });
    await expectProblem(type, 415, "unsupported_media_type");
    const missing = await call("/v1/uploads/multipart", { token, body: { key: "a" } });
    await expectProblem(missing, 400, "invalid_request");
    expect(s3.calls).toHaveLength(0);
    const scoped = await tokenFor({}, { scope: "put" });
    await expectProblem(
      await call("/v1/uploads/multipart", { token: scoped.token, body: { key: "a" } }),
      403,
      "forbidden",
    );
  });

  it("answers 503 and aborts the S3 upload when the KV record cannot be written", async () => {
    const s3 = new FakeS3().install();
    const { token } = await tokenFor();
    const put = vi.spyOn(env.KV, "put").mockRejectedValueOnce(new Error("KV down"));
    const res = await call("/v1/uploads/multipart", { token, body: { key: "a" } });
    put.mockRestore();
    await expectProblem(res, 503, "unavailable");
    expect(s3.callsOf("AbortMultipartUpload")).toHaveLength(1);
    expect(s3.uploads.size).toBe(0);
  });

  it("signs UploadPart URLs that verify, carry partNumber and uploadId, and need no S3 call", async () => {
    const { s3, id, token, uploadId } = await start();
    const { res, json } = await post("/v1/uploads/multipart/sign-parts", token, {
      key: "big.bin",
      uploadId,
      partNumbers: [3, 1, 2],
      expiresIn: 600,
    });
    expect(res.status).toBe(200);
    expect(json.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([3, 1, 2]);
    for (const part of json.parts as { partNumber: number; url: string }[]) {
      const verified = await verifyPresignedUrl(part.url, "PUT", {
        secretAccessKey: TEST_SECRET_KEY,
        style: "virtual",
      });
      expect(verified.valid).toBe(true);
      expect(verified.key).toBe(`${id}/users/alice/big.bin`);
      expect(verified.params.get("partNumber")).toBe(String(part.partNumber));
      expect(verified.params.get("uploadId")).toBe(uploadId);
      expect(verified.params.get("X-Amz-Expires")).toBe("600");
      expect(
        (
          await verifyPresignedUrl(part.url, "GET", {
            secretAccessKey: TEST_SECRET_KEY,
            style: "virtual",
          })
        ).valid,
      ).toBe(false);
    }
    expect(s3.callsOf("ListParts")).toHaveLength(0);
  });

  it("without a KV record, proves the upload with ListParts before signing", async () => {
    const { s3, id, token, uploadId } = await start();
    await env.KV.delete(uploadRecordKey(await storedTenant(id), uploadId));
    const ok = await post("/v1/uploads/multipart/sign-parts", token, {
      key: "big.bin",
      uploadId,
      partNumbers: [1],
    });
    expect(ok.res.status).toBe(200);
    expect(s3.callsOf("ListParts").map((c) => c.query.get("max-parts"))).toEqual(["1"]);
    const other = await call("/v1/uploads/multipart/sign-parts", {
      token,
      body: { key: "other.bin", uploadId, partNumbers: [1] },
    });
    const problem = await expectProblem(other, 404, "not_found");
    expect(problem.detail).toContain("NoSuchUpload");
  });

  it("refuses another key of the same tenant from the KV record, without asking S3", async () => {
    const { s3, token, uploadId } = await start();
    const res = await call("/v1/uploads/multipart/sign-parts", {
      token,
      body: { key: "other.bin", uploadId, partNumbers: [1] },
    });
    await expectProblem(res, 404, "not_found");
    const archive = await call("/v1/uploads/multipart/sign-parts", {
      token,
      body: { key: "big.bin", bucket: "archive", uploadId, partNumbers: [1] },
    });
    await expectProblem(archive, 404, "not_found");
    expect(s3.callsOf("ListParts")).toHaveLength(0);
  });

  it("bounds sign-parts to 100 unique part numbers in 1..10000", async () => {
    const { token, uploadId } = await start();
    for (const [partNumbers, field] of [
      [Array.from({ length: 101 }, (_, i) => i + 1), "partNumbers"],
      [[], "partNumbers"],
      [[0], "partNumbers.0"],
      [[10_001], "partNumbers.0"],
      [[1, 2, 1], "partNumbers.2"],
    ] as const) {
      const res = await call("/v1/uploads/multipart/sign-parts", {
        token,
        body: { key: "big.bin", uploadId, partNumbers },
      });
      expect((await expectProblem(res, 400, "invalid_request")).field).toBe(field);
    }
    const hundred = await post("/v1/uploads/multipart/sign-parts", token, {
      key: "big.bin",
      uploadId,
      partNumbers: Array.from({ length: 100 }, (_, i) => 9901 + i),
    });
    expect(hundred.res.status).toBe(200);
    expect(hundred.json.parts).toHaveLength(100);
  });

  it("completes with parts in any order, sending them ascending, and forgets the record", async () => {
    const { s3, id, token, uploadId } = await start({ upload: { maxBytes: 20 * MiB } });
    const etags = [
      s3.addPart(uploadId, 1, 5 * MiB),
      s3.addPart(uploadId, 2, 5 * MiB),
      s3.addPart(uploadId, 3, 2 * MiB),
    ];
    const { res, json } = await post("/v1/uploads/multipart/complete", token, {
      key: "big.bin",
      uploadId,
      parts: [
        { partNumber: 3, etag: etags[2] },
        { partNumber: 1, etag: etags[0]?.replaceAll('"', "") },
        { partNumber: 2, etag: etags[1] },
      ],
    });
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json).toEqual({
      key: `${id}/users/alice/big.bin`,
      bucket: "main",
      etag: '"feedface3-3"',
      size: 12 * MiB,
    });
    const [completed] = s3.callsOf("CompleteMultipartUpload");
    expect([...(completed?.body ?? "").matchAll(/<PartNumber>(\d+)</g)].map((m) => m[1])).toEqual([
      "1",
      "2",
      "3",
    ]);
    expect(await env.KV.get(uploadRecordKey(await storedTenant(id), uploadId))).toBeNull();
  });

  it("aborts and answers 413 when the parts add up to more than the tenant's maxBytes", async () => {
    const { s3, id, token, uploadId } = await start({ upload: { maxBytes: 10 * MiB } });
    const parts = [1, 2, 3].map((n) => ({ partNumber: n, etag: s3.addPart(uploadId, n, 4 * MiB) }));
    const res = await call("/v1/uploads/multipart/complete", {
      token,
      body: { key: "big.bin", uploadId, parts },
    });
    const problem = await expectProblem(res, 413, "payload_too_large");
    expect(problem.detail).toMatch(/12582912 bytes.*aborted/);
    expect(s3.callsOf("AbortMultipartUpload")).toHaveLength(1);
    expect(s3.callsOf("CompleteMultipartUpload")).toHaveLength(0);
    expect(s3.uploads.has(uploadId)).toBe(false);
    expect(await env.KV.get(uploadRecordKey(await storedTenant(id), uploadId))).toBeNull();
  });

  it("refuses to complete with a part S3 does not hold under that ETag, naming the part", async () => {
    const { s3, token, uploadId } = await start({ upload: { maxBytes: 10 * MiB } });
    s3.addPart(uploadId, 1, 4 * MiB);
    const res = await call("/v1/uploads/multipart/complete", {
      token,
      body: { key: "big.bin", uploadId, parts: [{ partNumber: 1, etag: '"0000"' }] },
    });
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("parts.0");
    expect(s3.callsOf("CompleteMultipartUpload")).toHaveLength(0);
  });

  it("turns S3 failures into upstream_error with S3's code, and a missing upload into 404", async () => {
    const { s3, token, uploadId } = await start();
    const etag = s3.addPart(uploadId, 1, 10);
    s3.fail("CompleteMultipartUpload", 500, "InternalError");
    const log = vi.spyOn(console, "error");
    const res = await call("/v1/uploads/multipart/complete", {
      token,
      body: { key: "big.bin", uploadId, parts: [{ partNumber: 1, etag }] },
    });
    const lines = log.mock.calls.map((args) => String(args[0]));
    log.mockRestore();
    const problem = await expectProblem(res, 502, "upstream_error");
    expect(problem.detail).toContain("InternalError");
    expect(JSON.stringify(problem)).not.toMatch(/amazonaws|Signature|Credential/);
    const s3Line = lines
      .map((line) => JSON.parse(line))
      .find((entry) => entry.event === "s3_call_failed");
    expect(s3Line).toMatchObject({
      operation: "CompleteMultipartUpload",
      status: 500,
      s3Code: "InternalError",
    });
    for (const line of lines) {
      expect(line).not.toContain(TEST_SECRET_KEY);
      expect(line).not.toMatch(/https?:\/\//);
    }

    const gone = await call(
      "/v1/uploads/multipart/parts?" +
        new URLSearchParams({ key: "big.bin", uploadId: "no-such-upload" }),
      { token },
    );
    expect((await expectProblem(gone, 404, "not_found")).detail).toContain("NoSuchUpload");

    s3.fail("ListParts", "network");
    const down = await call(
      "/v1/uploads/multipart/parts?" + new URLSearchParams({ key: "big.bin", uploadId }),
      { token },
    );
    await expectProblem(down, 502, "upstream_error");
  });

  it("aborts (204), after which the upload's parts are 404", async () => {
    const { s3, id, token, uploadId } = await start();
    const res = await call("/v1/uploads/multipart/abort", {
      token,
      body: { key: "big.bin", uploadId },
    });
    expect(res.status).toBe(204);
    expect(s3.uploads.has(uploadId)).toBe(false);
    expect(await env.KV.get(uploadRecordKey(await storedTenant(id), uploadId))).toBeNull();
    const list = await call(
      "/v1/uploads/multipart/parts?" + new URLSearchParams({ key: "big.bin", uploadId }),
      { token },
    );
    await expectProblem(list, 404, "not_found");
    const again = await call("/v1/uploads/multipart/abort", {
      token,
      body: { key: "big.bin", uploadId },
    });
    await expectProblem(again, 404, "not_found");
  });

  it("lists every part across ListParts pages", async () => {
    const { s3, token, uploadId } = await start();
    for (let n = 1; n <= 1500; n++) s3.addPart(uploadId, n, n);
    const res = await call(
      "/v1/uploads/multipart/parts?" + new URLSearchParams({ key: "big.bin", uploadId }),
      { token },
    );
    expect(res.status).toBe(200);
    const { parts } = (await res.json()) as {
      parts: { partNumber: number; etag: string; size: number }[];
    };
    expect(parts).toHaveLength(1500);
    expect(parts[1499]).toMatchObject({ partNumber: 1500, size: 1500 });
    expect(s3.callsOf("ListParts")).toHaveLength(2);
    const missing = await call("/v1/uploads/multipart/parts?key=big.bin", { token });
    expect((await expectProblem(missing, 400, "invalid_request")).field).toBe("uploadId");
  });

  it("tenant B cannot sign parts for, complete, abort or list tenant A's upload", async () => {
    const { s3, token: tokenA, uploadId } = await start();
    const etag = s3.addPart(uploadId, 1, 10);
    const b = await tokenFor();
    const attempts = [
      call("/v1/uploads/multipart/sign-parts", {
        token: b.token,
        body: { key: "big.bin", uploadId, partNumbers: [1] },
      }),
      call("/v1/uploads/multipart/complete", {
        token: b.token,
        body: { key: "big.bin", uploadId, parts: [{ partNumber: 1, etag }] },
      }),
      call("/v1/uploads/multipart/abort", { token: b.token, body: { key: "big.bin", uploadId } }),
      call("/v1/uploads/multipart/parts?" + new URLSearchParams({ key: "big.bin", uploadId }), {
        token: b.token,
      }),
    ];
    for (const res of await Promise.all(attempts)) await expectProblem(res, 404, "not_found");
    // Every S3 call B caused named B's bucket and key, never A's.
    const byB = s3.calls.filter((c) => c.bucket === `${b.id}-data`);
    expect(byB.length).toBeGreaterThan(0);
    expect(byB.every((c) => c.key === `${b.id}/users/alice/big.bin`)).toBe(true);
    expect(s3.uploads.get(uploadId)?.parts.size).toBe(1);
    // A's own upload still works.
    const mine = await post("/v1/uploads/multipart/sign-parts", tokenA, {
      key: "big.bin",
      uploadId,
      partNumbers: [2],
    });
    expect(mine.res.status).toBe(200);
  });

  it("another subject of the same tenant cannot use the upload either", async () => {
    const s3 = new FakeS3().install();
    const { id, key } = await seedTenant();
    const alice = await mintToken(key, { iss: id, sub: "alice" });
    const bob = await mintToken(key, { iss: id, sub: "bob" });
    const { json } = await post("/v1/uploads/multipart", alice, { key: "big.bin" });
    const res = await call("/v1/uploads/multipart/sign-parts", {
      token: bob,
      body: { key: "big.bin", uploadId: json.uploadId, partNumbers: [1] },
    });
    await expectProblem(res, 404, "not_found");
    expect(s3.callsOf("ListParts")).toHaveLength(0);
  });

  it("charges rate limits: one per part URL and per S3 call, 429 before S3 is asked", async () => {
    const { s3, token, uploadId } = await start({
      rateLimit: { subject: { limit: 4, period: 60 } },
    });
    const signed = await call("/v1/uploads/multipart/sign-parts", {
      token,
      body: { key: "big.bin", uploadId, partNumbers: [1, 2] },
    });
    expect(signed.status).toBe(200);
    expect(signed.headers.get("RateLimit")).toMatch(/"subject";r=1;/);
    const tooMany = await call("/v1/uploads/multipart/sign-parts", {
      token,
      body: { key: "big.bin", uploadId, partNumbers: [3, 4] },
    });
    await expectProblem(tooMany, 429, "rate_limited");
    const callsBefore = s3.calls.length;
    await call("/v1/uploads/multipart/abort", { token, body: { key: "big.bin", uploadId } });
    const refused = await call("/v1/uploads/multipart/abort", {
      token,
      body: { key: "big.bin", uploadId },
    });
    await expectProblem(refused, 429, "rate_limited");
    expect(s3.calls.length).toBe(callsBefore + 1);
  });
});

describe("content types on POST forms and multipart create (issue 18)", () => {
  it("POST: refuses anything but one media type (400) and active types under a wildcard (415)", async () => {
    for (const overrides of [{}, { upload: { contentTypes: ["image/*"] } }]) {
      const { token } = await tokenFor(overrides);
      for (const contentType of ["image/png;,text/html", "image/png, text/html", "image/png/x"]) {
        const res = await call("/v1/uploads/post", { token, body: { key: "a", contentType } });
        expect((await expectProblem(res, 400, "invalid_request")).field, contentType).toBe(
          "contentType",
        );
      }
    }
    const { token } = await tokenFor({ upload: { contentTypes: ["image/*"] } });
    const svg = await call("/v1/uploads/post", {
      token,
      body: { key: "a", contentType: "image/svg+xml" },
    });
    expect((await expectProblem(svg, 415, "unsupported_media_type")).field).toBe("contentType");
  });

  it("POST: the policy pins the normalised type and the form carries it", async () => {
    const { token } = await tokenFor({ upload: { contentTypes: ["image/*"] } });
    const { res, json } = await post("/v1/uploads/post", token, {
      key: "a.png",
      contentType: 'IMAGE/PNG; Name="x"',
    });
    expect(res.status).toBe(200);
    expect(json.fields["Content-Type"]).toBe("image/png; name=x");
    const policy = decodePolicy(json.fields.policy);
    expect(policy.conditions).toContainEqual({ "Content-Type": "image/png; name=x" });
  });

  it("multipart: refuses a list type (400) and an active type under a wildcard (415) before S3", async () => {
    const s3 = new FakeS3().install();
    const { token } = await tokenFor({ upload: { contentTypes: ["*/*"] } });
    const list = await call("/v1/uploads/multipart", {
      token,
      body: { key: "a", contentType: "video/mp4, text/html" },
    });
    expect((await expectProblem(list, 400, "invalid_request")).field).toBe("contentType");
    const html = await call("/v1/uploads/multipart", {
      token,
      body: { key: "a", contentType: "text/html" },
    });
    expect((await expectProblem(html, 415, "unsupported_media_type")).field).toBe("contentType");
    expect(s3.calls).toHaveLength(0);

    const ok = await call("/v1/uploads/multipart", {
      token,
      body: { key: "a", contentType: 'Video/MP4;Codecs="avc1"' },
    });
    expect(ok.status).toBe(200);
    expect(s3.callsOf("CreateMultipartUpload")[0]?.headers.get("content-type")).toBe(
      "video/mp4; codecs=avc1",
    );
  });

  it("refuses an empty key with 400 invalid_key", async () => {
    new FakeS3().install();
    const { token } = await tokenFor();
    for (const path of ["/v1/uploads/post", "/v1/uploads/multipart"]) {
      const res = await call(path, { token, body: { key: "" } });
      expect((await expectProblem(res, 400, "invalid_key")).field).toBe("key");
    }
  });
});
