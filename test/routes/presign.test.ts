import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { TEST_SECRETS } from "../secrets";
import { verifyPresignedUrl } from "../sigv4-verifier";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  presign,
  putRawTenant,
  putTenant,
  seedTenant,
  tenantRecord,
} from "../helpers";
import { attachmentDisposition } from "../../src/http/content-disposition";

const TEST_SECRET_KEY = JSON.parse(TEST_SECRETS.S3_TEST).secretAccessKey as string;

async function tokenFor(
  overrides: Record<string, unknown> = {},
  claims: Record<string, unknown> = {},
) {
  const { id, key } = await seedTenant(overrides);
  return { id, token: await mintToken(key, { iss: id, claims }) };
}

describe("POST /v1/presign", () => {
  it("returns a GET URL S3 would accept, with expiry and server time", async () => {
    const { id, token } = await tokenFor();
    const before = Date.now();
    const { res, json } = await presign(token, {
      method: "GET",
      key: "photos/cat.jpg",
      expiresIn: 120,
    });
    expect(res.status).toBe(200);
    expect(json).toMatchObject({
      method: "GET",
      bucket: "main",
      key: `${id}/users/alice/photos/cat.jpg`,
      expiresIn: 120,
      headers: {},
    });
    const serverTime = Date.parse(json.serverTime as string);
    expect(serverTime).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(json.expiresAt as string) - serverTime).toBe(120_000);
    const url = json.url as string;
    expect(
      url.startsWith(
        `https://${id}-data.s3.us-east-1.amazonaws.com/${id}/users/alice/photos/cat.jpg?`,
      ),
    ).toBe(true);
    const verified = await verifyPresignedUrl(url, "GET", {
      secretAccessKey: TEST_SECRET_KEY,
      style: "virtual",
    });
    expect(verified.valid).toBe(true);
    expect(verified.params.get("X-Amz-Expires")).toBe("120");
    expect(verified.params.get("X-Amz-Credential")).toMatch(
      /^AKIATESTACCESSKEY001\/\d{8}\/us-east-1\/s3\/aws4_request$/,
    );
  });

  for (const method of ["HEAD", "DELETE"] as const) {
    it(`signs ${method} with that method`, async () => {
      const { token } = await tokenFor();
      const { res, json } = await presign(token, { method, key: "x.bin" });
      expect(res.status).toBe(200);
      const verified = await verifyPresignedUrl(json.url as string, method, {
        secretAccessKey: TEST_SECRET_KEY,
        style: "virtual",
      });
      expect(verified.valid).toBe(true);
      const asGet = await verifyPresignedUrl(json.url as string, "GET", {
        secretAccessKey: TEST_SECRET_KEY,
        style: "virtual",
      });
      expect(asGet.valid).toBe(false);
    });
  }

  it("uses the requested bucket alias and its path-style endpoint", async () => {
    const { id, token } = await tokenFor();
    const { json } = await presign(token, { method: "GET", key: "a b.txt", bucket: "archive" });
    expect(json.bucket).toBe("archive");
    expect(json.url as string).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:7480/archive-bucket/${id}/users/alice/a%20b\\.txt\\?`),
    );
  });

  it("refuses a bucket alias the tenant does not have with 403", async () => {
    const { token } = await tokenFor();
    const res = await call("/v1/presign", {
      token,
      body: { method: "GET", key: "a", bucket: "other" },
    });
    const problem = await expectProblem(res, 403, "forbidden");
    expect(problem.field).toBe("bucket");
  });

  it("defaults expiresIn to the tenant's defaultExpiresIn", async () => {
    const { token } = await tokenFor({ defaultExpiresIn: 600 });
    const { json } = await presign(token, { method: "GET", key: "a" });
    expect(json.expiresIn).toBe(600);
  });

  it("refuses expiresIn above the tenant's maxExpiresIn or SigV4's 7 days with 400", async () => {
    const { token } = await tokenFor();
    for (const expiresIn of [3601, 604_801, 0, -5, 1.5]) {
      const res = await call("/v1/presign", {
        token,
        body: { method: "GET", key: "a", expiresIn },
      });
      const problem = await expectProblem(res, 400, "invalid_request");
      expect(problem.field).toBe("expiresIn");
    }
  });

  it("signs content-type, content-length, checksum and metadata on PUT and returns them", async () => {
    const { token } = await tokenFor();
    const checksumSha256 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";
    const { res, json } = await presign(token, {
      method: "PUT",
      key: "up.txt",
      contentType: "text/plain",
      contentLength: 5,
      checksumSha256,
      metadata: { owner: "alice" },
    });
    expect(res.status).toBe(200);
    const headers = {
      "content-type": "text/plain",
      "content-length": "5",
      "x-amz-checksum-sha256": checksumSha256,
      "x-amz-sdk-checksum-algorithm": "SHA256",
      "x-amz-meta-owner": "alice",
    };
    expect(json.headers).toEqual(headers);
    const url = json.url as string;
    const verified = await verifyPresignedUrl(url, "PUT", {
      secretAccessKey: TEST_SECRET_KEY,
      style: "virtual",
      headers,
    });
    expect(verified.valid).toBe(true);
    expect(verified.params.get("X-Amz-SignedHeaders")).toBe(
      "content-length;content-type;host;x-amz-checksum-sha256;x-amz-meta-owner;x-amz-sdk-checksum-algorithm",
    );
    const otherLength = await verifyPresignedUrl(url, "PUT", {
      secretAccessKey: TEST_SECRET_KEY,
      style: "virtual",
      headers: { ...headers, "content-length": "6" },
    });
    expect(otherLength.valid).toBe(false);
  });

  it("signs response-* overrides on GET as query parameters", async () => {
    const { token } = await tokenFor();
    const { json } = await presign(token, {
      method: "GET",
      key: "cat.jpg",
      responseContentDisposition: 'attachment; filename="cat.jpg"',
      responseContentType: "image/jpeg",
      responseCacheControl: "no-cache",
    });
    const verified = await verifyPresignedUrl(json.url as string, "GET", {
      secretAccessKey: TEST_SECRET_KEY,
      style: "virtual",
    });
    expect(verified.valid).toBe(true);
    expect(verified.params.get("response-content-disposition")).toBe(
      'attachment; filename="cat.jpg"',
    );
    expect(verified.params.get("response-content-type")).toBe("image/jpeg");
    expect(verified.params.get("response-cache-control")).toBe("no-cache");
  });

  it("refuses upload fields on GET and response overrides on PUT, naming the field", async () => {
    const { token } = await tokenFor();
    const cases = [
      [{ method: "GET", key: "a", contentType: "text/plain" }, "contentType"],
      [{ method: "PUT", key: "a", responseContentType: "text/plain" }, "responseContentType"],
      [{ method: "DELETE", key: "a", responseCacheControl: "x" }, "responseCacheControl"],
    ] as const;
    for (const [body, field] of cases) {
      const problem = await expectProblem(
        await call("/v1/presign", { token, body }),
        400,
        "invalid_request",
      );
      expect(problem.field).toBe(field);
    }
  });

  it("uses temporary credentials: X-Amz-Security-Token is signed into the URL", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const record = tenantRecord(id, [key.publicJwk]);
    record.buckets.main.credentials = "S3_TEMP";
    await putTenant(record);
    const { json } = await presign(await mintToken(key, { iss: id }), { method: "GET", key: "a" });
    const temp = JSON.parse(TEST_SECRETS.S3_TEMP) as {
      secretAccessKey: string;
      sessionToken: string;
    };
    const verified = await verifyPresignedUrl(json.url as string, "GET", {
      secretAccessKey: temp.secretAccessKey,
      style: "virtual",
    });
    expect(verified.params.get("X-Amz-Security-Token")).toBe(temp.sessionToken);
    expect(verified.valid).toBe(true);
  });

  it("answers 503 without leaking anything when the credentials secret is missing or invalid", async () => {
    for (const credentials of ["S3_NOT_BOUND", "S3_BROKEN"]) {
      const id = newTenantId();
      const key = await keyPair("EdDSA");
      const record = tenantRecord(id, [key.publicJwk]);
      record.buckets.main.credentials = credentials;
      // The admin API refuses such a record (test/routes/admin.test.ts); an older one may exist.
      await putRawTenant(id, JSON.stringify(record));
      const res = await call("/v1/presign", {
        token: await mintToken(key, { iss: id }),
        body: { method: "GET", key: "a" },
      });
      const problem = await expectProblem(res, 503, "unavailable");
      expect(JSON.stringify(problem)).not.toContain(credentials);
    }
  });

  it("logs one JSON line per issued URL without the signature or any secret", async () => {
    const { id, token } = await tokenFor();
    const log = vi.spyOn(console, "log");
    const { json } = await presign(token, { method: "GET", key: "logged.txt" });
    const lines = log.mock.calls.map((args) => String(args[0]));
    log.mockRestore();
    const issued = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.event === "url_issued");
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({
      tenant: id,
      sub: "alice",
      operation: "get",
      bucket: "main",
      key: `${id}/users/alice/logged.txt`,
      expiresAt: json.expiresAt,
    });
    const signature = new URL(json.url as string).searchParams.get("X-Amz-Signature") as string;
    for (const line of lines) {
      expect(line).not.toContain(signature);
      expect(line).not.toContain(TEST_SECRET_KEY);
    }
  });

  it("logs no info line when LOG_LEVEL is error, but still logs failures", async () => {
    const { token } = await tokenFor();
    const quiet = { ...(env as unknown as Record<string, unknown>), LOG_LEVEL: "error" };
    const log = vi.spyOn(console, "log");
    const res = await call(
      "/v1/presign",
      { token, body: { method: "GET", key: "quiet.txt" } },
      quiet,
    );
    const lines = log.mock.calls.map((args) => String(args[0]));
    log.mockRestore();
    expect(res.status).toBe(200);
    expect(lines.filter((line) => line.includes("url_issued"))).toEqual([]);
    const loud = vi.spyOn(console, "log");
    await call("/v1/presign", { token, body: { method: "GET", key: "loud.txt" } });
    const loudLines = loud.mock.calls.map((args) => String(args[0]));
    loud.mockRestore();
    expect(loudLines.filter((line) => line.includes("url_issued"))).toHaveLength(1);
  });

  it("never returns the credentials in the body", async () => {
    const { token } = await tokenFor();
    const res = await call("/v1/presign", { token, body: { method: "GET", key: "a" } });
    const text = await res.text();
    expect(text).not.toContain(TEST_SECRET_KEY);
  });
});

describe("upload policy on presigned PUT", () => {
  const policy = { upload: { maxBytes: 1000, contentTypes: ["image/*", "application/pdf"] } };

  it("requires contentLength when maxBytes is set (400) and refuses more than maxBytes (413)", async () => {
    const { token } = await tokenFor(policy);
    const missing = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a.png", contentType: "image/png" },
    });
    expect((await expectProblem(missing, 400, "invalid_request")).field).toBe("contentLength");
    const tooBig = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a.png", contentType: "image/png", contentLength: 1001 },
    });
    expect((await expectProblem(tooBig, 413, "payload_too_large")).field).toBe("contentLength");
    const ok = await presign(token, {
      method: "PUT",
      key: "a.png",
      contentType: "image/png",
      contentLength: 1000,
    });
    expect(ok.res.status).toBe(200);
  });

  it("refuses a content type outside the patterns with 415 and accepts wildcard matches", async () => {
    const { token } = await tokenFor(policy);
    const refused = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a.html", contentType: "text/html", contentLength: 10 },
    });
    expect((await expectProblem(refused, 415, "unsupported_media_type")).field).toBe("contentType");
    for (const contentType of ["image/webp", "IMAGE/PNG", "application/pdf; charset=binary"]) {
      const ok = await presign(token, { method: "PUT", key: "a", contentType, contentLength: 10 });
      expect(ok.res.status).toBe(200);
    }
  });

  it("refuses a malformed checksum with 400 and requires one when the tenant does", async () => {
    const { token } = await tokenFor({ upload: { requireChecksum: true } });
    const bad = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a", checksumSha256: "abc" },
    });
    expect((await expectProblem(bad, 400, "invalid_request")).field).toBe("checksumSha256");
    const missing = await call("/v1/presign", { token, body: { method: "PUT", key: "a" } });
    expect((await expectProblem(missing, 400, "invalid_request")).field).toBe("checksum");
  });
});

describe("POST /v1/presign/batch", () => {
  it("presigns each item and reports failures per item, in order", async () => {
    const { id, token } = await tokenFor();
    const res = await call("/v1/presign/batch", {
      token,
      body: {
        requests: [
          { method: "GET", key: "one.txt" },
          { method: "GET", key: "../escape" },
          { method: "PATCH", key: "x" },
          { method: "PUT", key: "two.txt", contentType: "text/plain" },
        ],
      },
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: Record<string, any>[] };
    expect(results).toHaveLength(4);
    expect(results[0]).toMatchObject({ ok: true, key: `${id}/users/alice/one.txt` });
    expect(results[1]).toMatchObject({
      ok: false,
      error: { status: 400, code: "invalid_key", field: "key" },
    });
    expect(results[2]).toMatchObject({
      ok: false,
      error: { status: 400, code: "invalid_request", field: "requests.2.method" },
    });
    expect(results[3]).toMatchObject({ ok: true, headers: { "content-type": "text/plain" } });
  });

  it("refuses more than 100 items and an empty list with 400", async () => {
    const { token } = await tokenFor();
    const item = { method: "GET", key: "a" };
    const tooMany = await call("/v1/presign/batch", {
      token,
      body: { requests: Array(101).fill(item) },
    });
    expect((await expectProblem(tooMany, 400, "invalid_request")).field).toBe("requests");
    const empty = await call("/v1/presign/batch", { token, body: { requests: [] } });
    await expectProblem(empty, 400, "invalid_request");
    const hundred = await call("/v1/presign/batch", {
      token,
      body: { requests: Array(100).fill(item) },
    });
    expect(hundred.status).toBe(200);
  });

  it("needs a valid token like every client route", async () => {
    const res = await call("/v1/presign/batch", {
      body: { requests: [{ method: "GET", key: "a" }] },
    });
    await expectProblem(res, 401, "invalid_token");
  });
});

describe("cross-tenant isolation", () => {
  it("a token of tenant A never yields a URL under tenant B's prefix or bucket", async () => {
    const a = await seedTenant();
    const b = await seedTenant();
    const tokenA = await mintToken(a.key, { iss: a.id });
    const attempts = [
      { method: "GET", key: `../../${b.id}/users/alice/x` },
      { method: "GET", key: `${b.id}/users/alice/x` },
      { method: "GET", key: "x", bucket: `${b.id}-data` },
      { method: "GET", key: "%2e%2e/%2e%2e/x" },
    ];
    for (const body of attempts) {
      const res = await call("/v1/presign", { token: tokenA, body });
      if (res.status === 200) {
        const json = (await res.json()) as { key: string; url: string };
        expect(json.key.startsWith(`${a.id}/users/alice/`)).toBe(true);
        expect(json.url).not.toContain(`${b.id}-data`);
        const verified = await verifyPresignedUrl(json.url, "GET", {
          secretAccessKey: TEST_SECRET_KEY,
          style: "virtual",
        });
        expect(verified.key.startsWith(`${a.id}/users/alice/`)).toBe(true);
        expect(verified.bucket).toBe(`${a.id}-data`);
      } else {
        expect([400, 403]).toContain(res.status);
      }
    }
  });
});

describe("content types: one media type, parsed strictly (issue 18)", () => {
  const wildcard = { upload: { contentTypes: ["image/*", "text/plain"] } };

  it("refuses a PUT contentType that is not exactly one media type with 400 naming the field", async () => {
    for (const overrides of [{}, wildcard]) {
      const { token } = await tokenFor(overrides);
      for (const contentType of ["image/png;,text/html", "image/png, text/html", "image/png/x"]) {
        const res = await call("/v1/presign", {
          token,
          body: { method: "PUT", key: "a.png", contentType },
        });
        const problem = await expectProblem(res, 400, "invalid_request");
        expect(problem.field, contentType).toBe("contentType");
      }
    }
  });

  it("never admits an active type through a wildcard pattern (415)", async () => {
    const { token } = await tokenFor(wildcard);
    for (const contentType of ["image/svg+xml", "IMAGE/SVG+XML; charset=utf-8"]) {
      const res = await call("/v1/presign", {
        token,
        body: { method: "PUT", key: "a.svg", contentType },
      });
      const problem = await expectProblem(res, 415, "unsupported_media_type");
      expect(problem.field).toBe("contentType");
    }
    const listed = await tokenFor({ upload: { contentTypes: ["image/*", "image/svg+xml"] } });
    const ok = await presign(listed.token, {
      method: "PUT",
      key: "a.svg",
      contentType: "image/svg+xml",
    });
    expect(ok.res.status).toBe(200);
  });

  it("signs and returns the normalised content type", async () => {
    const { token } = await tokenFor(wildcard);
    const { res, json } = await presign(token, {
      method: "PUT",
      key: "a.txt",
      contentType: 'Text/Plain;Charset="utf-8"',
    });
    expect(res.status).toBe(200);
    const headers = json.headers as Record<string, string>;
    expect(headers).toEqual({ "content-type": "text/plain; charset=utf-8" });
    const verify = (contentType: string) =>
      verifyPresignedUrl(json.url as string, "PUT", {
        secretAccessKey: TEST_SECRET_KEY,
        style: "virtual",
        headers: { "content-type": contentType },
      });
    expect((await verify("text/plain; charset=utf-8")).valid).toBe(true);
    expect((await verify('Text/Plain;Charset="utf-8"')).valid).toBe(false);
  });
});

describe("GET response overrides follow the tenant's rules (issue 18)", () => {
  async function refused(token: string, body: Record<string, unknown>, status: number) {
    const code = status === 415 ? "unsupported_media_type" : "invalid_request";
    return (await expectProblem(await call("/v1/presign", { token, body }), status, code)).field;
  }

  it("holds responseContentType to the tenant's patterns, active types included", async () => {
    const { token } = await tokenFor({ upload: { contentTypes: ["image/*"] } });
    for (const method of ["GET", "HEAD"]) {
      for (const responseContentType of ["text/html", "image/svg+xml", "application/pdf"]) {
        const body = { method, key: "cat.png", responseContentType };
        expect(await refused(token, body, 415)).toBe("responseContentType");
      }
    }
    const { json } = await presign(token, {
      method: "GET",
      key: "cat.png",
      responseContentType: "IMAGE/PNG",
    });
    const verified = await verifyPresignedUrl(json.url as string, "GET", {
      secretAccessKey: TEST_SECRET_KEY,
      style: "virtual",
    });
    expect(verified.valid).toBe(true);
    expect(verified.params.get("response-content-type")).toBe("image/png");
  });

  it("parses responseContentType strictly, also for a tenant without patterns", async () => {
    for (const overrides of [{}, { upload: { contentTypes: ["image/*"] } }]) {
      const { token } = await tokenFor(overrides);
      for (const responseContentType of ["image/png, text/html", "image/png;,text/html", "*/*"]) {
        const body = { method: "GET", key: "a", responseContentType };
        expect(await refused(token, body, 400)).toBe("responseContentType");
      }
    }
    const { token } = await tokenFor();
    const { res } = await presign(token, {
      method: "GET",
      key: "a",
      responseContentType: "text/html",
    });
    expect(res.status).toBe(200);
  });

  it("refuses a responseContentDisposition that is not an RFC 6266 value", async () => {
    const { token } = await tokenFor();
    for (const responseContentDisposition of [
      'attachment; filename="a.txt"\r\nSet-Cookie: x=1',
      'attachment; filename="a.txt", inline',
      "attachment; filename=a; filename=b",
      "attachment; filename*=\"UTF-8''a.txt\"",
      'attachment; filename="résumé.pdf"',
    ]) {
      const body = { method: "GET", key: "a", responseContentDisposition };
      expect(await refused(token, body, 400)).toBe("responseContentDisposition");
    }
  });

  it("signs filename as the attachment disposition links use, on GET and HEAD", async () => {
    const { token } = await tokenFor();
    for (const method of ["GET", "HEAD"]) {
      const { res, json } = await presign(token, {
        method,
        key: "a.pdf",
        filename: "Q3 résumé.pdf",
      });
      expect(res.status).toBe(200);
      const verified = await verifyPresignedUrl(json.url as string, method, {
        secretAccessKey: TEST_SECRET_KEY,
        style: "virtual",
      });
      expect(verified.valid).toBe(true);
      expect(verified.params.get("response-content-disposition")).toBe(
        attachmentDisposition("Q3 résumé.pdf"),
      );
    }
  });

  it("refuses filename with responseContentDisposition, on DELETE, or with a path separator", async () => {
    const { token } = await tokenFor();
    const both = {
      method: "GET",
      key: "a",
      filename: "a.txt",
      responseContentDisposition: "inline",
    };
    expect(await refused(token, both, 400)).toBe("filename");
    // On PUT, filename is the stored Content-Disposition (test/signing/object-headers.test.ts).
    expect(await refused(token, { method: "DELETE", key: "a", filename: "a.txt" }, 400)).toBe(
      "filename",
    );
    expect(await refused(token, { method: "GET", key: "a", filename: "../a.txt" }, 400)).toBe(
      "filename",
    );
  });
});

describe("an empty key is 400 invalid_key (API.md, Keys and prefixes)", () => {
  it("alone and inside a batch", async () => {
    const { token } = await tokenFor();
    const alone = await call("/v1/presign", { token, body: { method: "GET", key: "" } });
    expect((await expectProblem(alone, 400, "invalid_key")).field).toBe("key");
    const res = await call("/v1/presign/batch", {
      token,
      body: {
        requests: [
          { method: "GET", key: "" },
          { method: "GET", key: "a.pdf", filename: "a.pdf" },
        ],
      },
    });
    const { results } = (await res.json()) as { results: Record<string, any>[] };
    expect(results[0]).toMatchObject({
      ok: false,
      error: { status: 400, code: "invalid_key", field: "key" },
    });
    expect(results[1]).toMatchObject({ ok: true });
  });
});
