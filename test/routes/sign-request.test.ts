/**
 * `POST /v1/uploads/sign-request` (Uppy's signRequest): which S3 request each body names, the
 * key rules (relative to start, full and inside the caller's prefix afterwards), the tenant's
 * operations and upload limits, and the pinned CompleteMultipartUpload.
 */
import { describe, expect, it } from "vitest";
import { completeBodyOf } from "../../src/uploads/sign-request";
import { FakeS3 } from "../fake-s3";
import { call, expectProblem, mintToken, seedTenant } from "../helpers";
import { TEST_SECRETS } from "../secrets";
import { sha256Hex, verifyPresignedUrl } from "../sigv4-verifier";

const TEST_SECRET_KEY = JSON.parse(TEST_SECRETS.S3_TEST).secretAccessKey as string;
const MiB = 1024 ** 2;

async function caller(overrides: Record<string, unknown> = {}, claims = {}, sub = "alice") {
  const { id, key } = await seedTenant(overrides);
  return {
    id,
    prefix: `${id}/users/${sub}/`,
    token: await mintToken(key, { iss: id, sub, claims }),
    tokenOf: (otherSub: string) => mintToken(key, { iss: id, sub: otherSub, claims }),
  };
}

async function sign(token: string, body: Record<string, unknown>) {
  const res = await call("/v1/uploads/sign-request", { token, body });
  const json = (res.status === 200 ? await res.json() : null) as {
    url: string;
    method: string;
    key: string;
    headers?: Record<string, string>;
    fields?: Record<string, string>;
    expiresAt: string;
  } | null;
  return { res, json };
}

async function verify(url: string, method: string, headers: Record<string, string> = {}) {
  return verifyPresignedUrl(url, method, {
    secretAccessKey: TEST_SECRET_KEY,
    style: "virtual",
    headers,
  });
}

describe("POST /v1/uploads/sign-request: the requests Uppy makes", () => {
  it("signs each S3 request with the method and query S3 expects", async () => {
    const { token, prefix } = await caller();
    const full = `${prefix}photos/cat.jpg`;
    const cases: [Record<string, unknown>, string, Record<string, string>][] = [
      [{ method: "PUT", key: "photos/cat.jpg", contentType: "image/jpeg" }, "PUT", {}],
      [{ method: "POST", key: "photos/cat.jpg" }, "POST", { uploads: "" }],
      [
        { method: "PUT", key: full, uploadId: "up1", partNumber: 7 },
        "PUT",
        { partNumber: "7", uploadId: "up1" },
      ],
      [{ method: "GET", key: full, uploadId: "up1" }, "GET", { uploadId: "up1" }],
      [{ method: "POST", key: full, uploadId: "up1" }, "POST", { uploadId: "up1" }],
      [{ method: "DELETE", key: full, uploadId: "up1" }, "DELETE", { uploadId: "up1" }],
      [{ method: "DELETE", key: full }, "DELETE", {}],
    ];
    for (const [body, method, query] of cases) {
      const { res, json } = await sign(token, body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(json?.method).toBe(method);
      expect(json?.key).toBe(full);
      const verified = await verify(json?.url ?? "", method, json?.headers);
      expect(verified.valid, JSON.stringify(body)).toBe(true);
      expect(verified.key).toBe(full);
      for (const [name, value] of Object.entries(query)) {
        expect(verified.params.get(name)).toBe(value);
      }
      const extra = [...verified.params.keys()].filter(
        (name) => !name.startsWith("X-Amz-") && !(name in query),
      );
      expect(extra).toEqual([]);
      // Another method never verifies with the same URL.
      expect((await verify(json?.url ?? "", method === "GET" ? "PUT" : "GET")).valid).toBe(false);
    }
  });

  it("signs the content type Uppy names on PutObject and returns it as a header to send", async () => {
    const { token } = await caller();
    const { json } = await sign(token, { method: "PUT", key: "a.txt", contentType: "text/plain" });
    expect(json?.headers).toEqual({ "content-type": "text/plain" });
    expect((await verify(json?.url ?? "", "PUT", { "content-type": "text/html" })).valid).toBe(
      false,
    );
    expect(JSON.stringify(json?.headers)).not.toMatch(/content-length/i);
  });

  it("never signs outside the caller's prefix: foreign, parent and malformed full keys", async () => {
    const { id, token, prefix } = await caller();
    const refused: [string, number, string][] = [
      [`${id}/users/bob/x.bin`, 403, "forbidden"],
      [`other/users/alice/x.bin`, 403, "forbidden"],
      [`x.bin`, 403, "forbidden"],
      [`${id}/users/alice`, 403, "forbidden"],
      [`${prefix}../bob/x.bin`, 400, "invalid_key"],
      [`${prefix}a//b`, 400, "invalid_key"],
      [`${prefix}`, 400, "invalid_key"],
    ];
    for (const [key, status, code] of refused) {
      for (const body of [
        { method: "PUT", key, uploadId: "up1", partNumber: 1 },
        { method: "GET", key, uploadId: "up1" },
        { method: "DELETE", key, uploadId: "up1" },
        { method: "DELETE", key },
      ]) {
        const { res } = await sign(token, body);
        const problem = await expectProblem(res, status, code);
        expect(problem.field, key).toBe("key");
      }
    }
  });

  it("treats the key of a request that starts an object as relative to the caller's prefix", async () => {
    const { token, prefix } = await caller();
    const { json } = await sign(token, { method: "POST", key: "other/users/bob/x.bin" });
    expect(json?.key).toBe(`${prefix}other/users/bob/x.bin`);
    const dotdot = await sign(token, { method: "PUT", key: "../bob/x.bin" });
    await expectProblem(dotdot.res, 400, "invalid_key");
  });

  it("honours a token prefix: later requests must stay inside it", async () => {
    const { token, prefix } = await caller({}, { prefix: "inbox/" });
    const created = await sign(token, { method: "POST", key: "v.mp4" });
    expect(created.json?.key).toBe(`${prefix}inbox/v.mp4`);
    const inside = await sign(token, {
      method: "PUT",
      key: `${prefix}inbox/v.mp4`,
      uploadId: "u",
      partNumber: 1,
    });
    expect(inside.res.status).toBe(200);
    const outside = await sign(token, {
      method: "PUT",
      key: `${prefix}v.mp4`,
      uploadId: "u",
      partNumber: 1,
    });
    await expectProblem(outside.res, 403, "forbidden");
  });

  it("needs the operation each request stands for", async () => {
    const { prefix, token } = await caller({}, { scope: "put" });
    expect((await sign(token, { method: "PUT", key: "a.bin" })).res.status).toBe(200);
    for (const body of [
      { method: "POST", key: "a.bin" },
      { method: "PUT", key: `${prefix}a.bin`, uploadId: "u", partNumber: 1 },
      { method: "DELETE", key: `${prefix}a.bin` },
    ]) {
      await expectProblem((await sign(token, body)).res, 403, "forbidden");
    }
  });

  it("refuses combinations that are no S3 request Uppy makes, naming the field", async () => {
    const { token, prefix } = await caller();
    const cases: [Record<string, unknown>, string][] = [
      [{ method: "GET", key: "a" }, "uploadId"],
      [{ method: "PUT", key: `${prefix}a`, uploadId: "u" }, "partNumber"],
      [{ method: "POST", key: `${prefix}a`, uploadId: "u", partNumber: 2 }, "partNumber"],
      [
        { method: "GET", key: `${prefix}a`, uploadId: "u", contentType: "text/plain" },
        "contentType",
      ],
      [{ method: "HEAD", key: "a" }, "method"],
      [{ method: "PUT", key: "a", extra: 1 }, "extra"],
      [{ method: "PUT", key: `${prefix}a`, uploadId: "u", partNumber: 10001 }, "partNumber"],
    ];
    for (const [body, field] of cases) {
      const problem = await expectProblem((await sign(token, body)).res, 400, "invalid_request");
      expect(problem.field, JSON.stringify(body)).toBe(field);
    }
  });

  it("keeps expiresIn within the tenant's maximum", async () => {
    const { token } = await caller();
    const { json } = await sign(token, { method: "PUT", key: "a", expiresIn: 120 });
    expect((await verify(json?.url ?? "", "PUT")).params.get("X-Amz-Expires")).toBe("120");
    await expectProblem(
      (await sign(token, { method: "PUT", key: "a", expiresIn: 7200 })).res,
      400,
      "invalid_request",
    );
  });
});

describe("POST /v1/uploads/sign-request: the tenant's upload limits", () => {
  it("answers PutObject with a POST policy S3 enforces when the tenant has maxBytes", async () => {
    const { token, prefix } = await caller({ upload: { maxBytes: 5 * MiB } });
    const { json } = await sign(token, { method: "PUT", key: "a.png", contentType: "image/png" });
    expect(json?.method).toBe("POST");
    expect(json?.fields?.key).toBe(`${prefix}a.png`);
    expect(json?.fields?.["Content-Type"]).toBe("image/png");
    const policy = JSON.parse(atob(json?.fields?.policy ?? "")) as { conditions: unknown[] };
    expect(policy.conditions).toContainEqual(["content-length-range", 0, 5 * MiB]);
    expect(policy.conditions).toContainEqual({ key: `${prefix}a.png` });
  });

  it("refuses a size-less PutObject on a bucket without POST uploads (409), pointing to multipart", async () => {
    const { token } = await caller({
      upload: { maxBytes: 5 * MiB },
      buckets: {
        main: {
          endpoint: "https://acct.r2.cloudflarestorage.com",
          bucket: "r2-bucket",
          region: "auto",
          credentials: "S3_TEST",
          provider: "r2",
        },
      },
    });
    const problem = await expectProblem(
      (await sign(token, { method: "PUT", key: "a.bin" })).res,
      409,
      "unsupported_by_provider",
    );
    expect(problem.detail).toMatch(/multipart/);
  });

  it("applies the content-type policy; CreateMultipartUpload gets octet-stream signed", async () => {
    const { token } = await caller({
      upload: { contentTypes: ["image/*", "application/octet-stream"] },
    });
    await expectProblem(
      (await sign(token, { method: "PUT", key: "a.html", contentType: "text/html" })).res,
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      (await sign(token, { method: "PUT", key: "a.bin" })).res,
      400,
      "invalid_request",
    );
    const created = await sign(token, { method: "POST", key: "v.bin" });
    expect(created.json?.headers).toEqual({ "content-type": "application/octet-stream" });
    expect(
      (await verify(created.json?.url ?? "", "POST", { "content-type": "text/html" })).valid,
    ).toBe(false);

    const strict = await caller({ upload: { contentTypes: ["image/*"] } });
    await expectProblem(
      (await sign(strict.token, { method: "POST", key: "v.bin" })).res,
      415,
      "unsupported_media_type",
    );
  });

  it("refuses uploads when the tenant requires checksums, which Uppy cannot send (409)", async () => {
    const { token } = await caller({ upload: { requireChecksum: true } });
    for (const body of [
      { method: "PUT", key: "a" },
      { method: "POST", key: "a" },
    ]) {
      await expectProblem((await sign(token, body)).res, 409, "conflict");
    }
  });

  it("pins CompleteMultipartUpload to the listed parts when they fit in maxBytes", async () => {
    const s3 = new FakeS3().install();
    const { token, prefix, id } = await caller({ upload: { maxBytes: 20 * MiB } });
    const key = `${prefix}big.bin`;
    s3.uploads.set("up-9", { bucket: `${id}-data`, key, contentType: null, parts: new Map() });
    const etag1 = s3.addPart("up-9", 1, 5 * MiB);
    const etag2 = s3.addPart("up-9", 2, 3 * MiB);

    const { res, json } = await sign(token, { method: "POST", key, uploadId: "up-9" });
    expect(res.status).toBe(200);
    const body = completeBodyOf([
      { partNumber: 2, etag: etag2 },
      { partNumber: 1, etag: etag1 },
    ]);
    expect(body).toBe(
      `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag1.replaceAll('"', "")}</ETag></Part>` +
        `<Part><PartNumber>2</PartNumber><ETag>${etag2.replaceAll('"', "")}</ETag></Part></CompleteMultipartUpload>`,
    );
    expect(json?.headers).toEqual({ "x-amz-content-sha256": await sha256Hex(body) });
    const verified = await verify(json?.url ?? "", "POST");
    expect(verified.params.get("X-Amz-SignedHeaders")).toBe("host;x-amz-content-sha256");
    expect(s3.callsOf("ListParts")).toHaveLength(1);
  });

  it("aborts and refuses (413) a complete whose parts exceed maxBytes", async () => {
    const s3 = new FakeS3().install();
    const { token, prefix, id } = await caller({ upload: { maxBytes: 6 * MiB } });
    const key = `${prefix}big.bin`;
    s3.uploads.set("up-7", { bucket: `${id}-data`, key, contentType: null, parts: new Map() });
    s3.addPart("up-7", 1, 5 * MiB);
    s3.addPart("up-7", 2, 2 * MiB);
    const problem = await expectProblem(
      (await sign(token, { method: "POST", key, uploadId: "up-7" })).res,
      413,
      "payload_too_large",
    );
    expect(problem.detail).toMatch(/aborted/);
    expect(s3.callsOf("AbortMultipartUpload")).toHaveLength(1);
    expect(s3.uploads.has("up-7")).toBe(false);
  });

  it("answers 404 for an upload S3 does not hold under the caller's key", async () => {
    new FakeS3().install();
    const { token, prefix } = await caller({ upload: { maxBytes: 6 * MiB } });
    await expectProblem(
      (await sign(token, { method: "POST", key: `${prefix}x`, uploadId: "nope" })).res,
      404,
      "not_found",
    );
  });

  it("signs a complete without any S3 call when the tenant sets no size limit", async () => {
    const { token, prefix } = await caller();
    const { json } = await sign(token, { method: "POST", key: `${prefix}x`, uploadId: "u" });
    expect(json?.headers).toBeUndefined();
    expect((await verify(json?.url ?? "", "POST")).valid).toBe(true);
  });

  it("costs one rate-limit unit per URL", async () => {
    const { token } = await caller({ rateLimit: { subject: { limit: 2, period: 60 } } });
    expect((await sign(token, { method: "PUT", key: "a" })).res.status).toBe(200);
    expect((await sign(token, { method: "PUT", key: "b" })).res.status).toBe(200);
    await expectProblem((await sign(token, { method: "PUT", key: "c" })).res, 429, "rate_limited");
  });
});

describe("POST /v1/uploads/sign-request: content types and keys (issue 18)", () => {
  const badTypes = ["image/png;,text/html", "image/png, text/html", "image/png/x"];

  it("refuses anything but one media type with 400 on PutObject (PUT and POST form) and CreateMultipartUpload", async () => {
    const plain = await caller({ upload: { contentTypes: ["image/*"] } });
    const limited = await caller({ upload: { contentTypes: ["image/*"], maxBytes: MiB } });
    for (const { token } of [plain, limited]) {
      for (const method of ["PUT", "POST"]) {
        for (const contentType of badTypes) {
          const { res } = await sign(token, { method, key: "a.png", contentType });
          const problem = await expectProblem(res, 400, "invalid_request");
          expect(problem.field, `${method} ${contentType}`).toBe("contentType");
        }
      }
    }
  });

  it("never admits an active type through a wildcard, on either PutObject path or CreateMultipartUpload", async () => {
    const plain = await caller({ upload: { contentTypes: ["*/*"] } });
    const limited = await caller({ upload: { contentTypes: ["*/*"], maxBytes: MiB } });
    for (const { token } of [plain, limited]) {
      for (const method of ["PUT", "POST"]) {
        const { res } = await sign(token, { method, key: "a.svg", contentType: "image/svg+xml" });
        expect((await expectProblem(res, 415, "unsupported_media_type")).field).toBe("contentType");
      }
    }
  });

  it("signs the normalised type: PUT headers, POST form fields, CreateMultipartUpload headers", async () => {
    const plain = await caller({ upload: { contentTypes: ["image/*"] } });
    const put = await sign(plain.token, { method: "PUT", key: "a.png", contentType: "Image/PNG" });
    expect(put.json?.headers).toEqual({ "content-type": "image/png" });
    expect((await verify(put.json?.url ?? "", "PUT", { "content-type": "image/png" })).valid).toBe(
      true,
    );
    const create = await sign(plain.token, {
      method: "POST",
      key: "a.png",
      contentType: "Image/PNG",
    });
    expect(create.json?.headers).toEqual({ "content-type": "image/png" });

    const limited = await caller({ upload: { contentTypes: ["image/*"], maxBytes: MiB } });
    const form = await sign(limited.token, {
      method: "PUT",
      key: "a.png",
      contentType: "Image/PNG",
    });
    expect(form.json?.method).toBe("POST");
    expect(form.json?.fields?.["Content-Type"]).toBe("image/png");
  });

  it("refuses a key with ${filename} when PutObject is answered with a POST form", async () => {
    const limited = await caller({ upload: { maxBytes: MiB } });
    const { res } = await sign(limited.token, { method: "PUT", key: "a/${filename}" });
    expect((await expectProblem(res, 400, "invalid_key")).field).toBe("key");
    // A presigned PUT stores the key as signed: S3 replaces nothing there.
    const plain = await caller();
    expect((await sign(plain.token, { method: "PUT", key: "a/${filename}" })).res.status).toBe(200);
  });

  it("refuses an empty key with 400 invalid_key, relative or full", async () => {
    const { token } = await caller();
    for (const body of [
      { method: "PUT", key: "" },
      { method: "POST", key: "" },
      { method: "DELETE", key: "" },
      { method: "GET", key: "", uploadId: "up1" },
    ]) {
      const problem = await expectProblem((await sign(token, body)).res, 400, "invalid_key");
      expect(problem.field, JSON.stringify(body)).toBe("key");
    }
  });
});
