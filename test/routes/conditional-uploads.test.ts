/**
 * Conditional writes beyond the presigned PUT: the gateway's own CompleteMultipartUpload (S3's
 * 412 and 409 answers as problems), POST forms (which cannot carry a condition) and the Uppy
 * route's PutObject and pinned CompleteMultipartUpload, under a tenant's `upload.overwrite`.
 */
import { describe, expect, it } from "vitest";
import { FakeS3 } from "../fake-s3";
import { call, expectProblem, mintToken, seedTenant, tenantRecord } from "../helpers";
import { TEST_SECRETS } from "../secrets";
import { verifyPresignedUrl } from "../sigv4-verifier";

const SECRET_KEY = (JSON.parse(TEST_SECRETS.S3_TEST) as { secretAccessKey: string })
  .secretAccessKey;
const MiB = 1024 ** 2;

async function caller(overrides: Record<string, unknown> = {}) {
  const { id, key } = await seedTenant(overrides);
  return {
    id,
    bucket: `${id}-data`,
    fullKey: `${id}/users/alice/big.bin`,
    token: await mintToken(key, { iss: id }),
  };
}

/** Buckets whose provider is `provider` (the default bucket `main` included). */
function bucketsOf(id: string, provider: string) {
  const { buckets } = tenantRecord(id, []);
  return { main: { ...buckets.main, provider } };
}

async function postJson(path: string, token: string, body: Record<string, unknown>) {
  const res = await call(path, { token, body });
  const json =
    res.headers.get("content-type") === "application/json"
      ? ((await res.json()) as Record<string, unknown>)
      : null;
  return { res, json };
}

/** An upload S3 holds (created through the gateway) with one uploaded part. */
async function uploadWithOnePart(s3: FakeS3, token: string) {
  const { json } = await postJson("/v1/uploads/multipart", token, { key: "big.bin" });
  const uploadId = String(json?.uploadId);
  const etag = s3.addPart(uploadId, 1, 5 * MiB);
  return { uploadId, parts: [{ partNumber: 1, etag }] };
}

describe("POST /v1/uploads/multipart/complete: conditions", () => {
  it('sends ifNoneMatch "*" on the gateway\'s CompleteMultipartUpload, signed', async () => {
    const s3 = new FakeS3().install();
    const { token } = await caller();
    const upload = await uploadWithOnePart(s3, token);
    const { res } = await postJson("/v1/uploads/multipart/complete", token, {
      key: "big.bin",
      ...upload,
      ifNoneMatch: "*",
    });
    expect(res.status).toBe(200);
    const [completed] = s3.callsOf("CompleteMultipartUpload");
    expect(completed?.headers.get("if-none-match")).toBe("*");
    expect(completed?.headers.get("authorization")).toMatch(/SignedHeaders=[^,]*if-none-match/);
  });

  it("answers 412 precondition_failed when S3 refuses: the key exists", async () => {
    const s3 = new FakeS3().install();
    const { token, bucket, fullKey } = await caller();
    s3.objects.set(`${bucket}/${fullKey}`, { etag: '"old"', size: 1 });
    const upload = await uploadWithOnePart(s3, token);
    const res = await call("/v1/uploads/multipart/complete", {
      token,
      body: { key: "big.bin", ...upload, ifNoneMatch: "*" },
    });
    const problem = await expectProblem(res, 412, "precondition_failed");
    expect(problem.detail).toContain("PreconditionFailed");
    expect(s3.objects.get(`${bucket}/${fullKey}`)?.etag).toBe('"old"');
  });

  it("replaces the object with ifMatch of its ETag, and refuses another ETag with 412", async () => {
    const s3 = new FakeS3().install();
    const { token, bucket, fullKey } = await caller();
    s3.objects.set(`${bucket}/${fullKey}`, { etag: '"v1"', size: 1 });
    const wrong = await uploadWithOnePart(s3, token);
    const refused = await call("/v1/uploads/multipart/complete", {
      token,
      body: { key: "big.bin", ...wrong, ifMatch: "v0" },
    });
    await expectProblem(refused, 412, "precondition_failed");
    const right = await uploadWithOnePart(s3, token);
    const { res } = await postJson("/v1/uploads/multipart/complete", token, {
      key: "big.bin",
      ...right,
      ifMatch: "v1",
    });
    expect(res.status).toBe(200);
    expect(s3.callsOf("CompleteMultipartUpload").at(-1)?.headers.get("if-match")).toBe('"v1"');
  });

  it("maps S3's 409 ConditionalRequestConflict to 409 conflict, and a 412 in a 200 body too", async () => {
    const s3 = new FakeS3().install();
    const { token } = await caller();
    const upload = await uploadWithOnePart(s3, token);
    const body = { key: "big.bin", ...upload, ifNoneMatch: "*" };
    s3.fail("CompleteMultipartUpload", 409, "ConditionalRequestConflict");
    const conflict = await expectProblem(
      await call("/v1/uploads/multipart/complete", { token, body }),
      409,
      "conflict",
    );
    expect(conflict.detail).toContain("ConditionalRequestConflict");
    // CompleteMultipartUpload can fail after its 200 status line: the code is in the body.
    s3.fail("CompleteMultipartUpload", 200, "PreconditionFailed");
    await expectProblem(
      await call("/v1/uploads/multipart/complete", { token, body }),
      412,
      "precondition_failed",
    );
    // A 412 without a readable code is still a refused precondition (RFC 9110 §15.5.13).
    s3.fail("CompleteMultipartUpload", 412, "unused", "");
    await expectProblem(
      await call("/v1/uploads/multipart/complete", { token, body }),
      412,
      "precondition_failed",
    );
  });

  it("with overwrite deny, always sends If-None-Match: * and refuses ifMatch before any S3 call", async () => {
    const s3 = new FakeS3().install();
    const { token } = await caller({ upload: { overwrite: "deny" } });
    const upload = await uploadWithOnePart(s3, token);
    const before = s3.calls.length;
    const refused = await call("/v1/uploads/multipart/complete", {
      token,
      body: { key: "big.bin", ...upload, ifMatch: '"e"' },
    });
    expect((await expectProblem(refused, 409, "conflict")).field).toBe("ifMatch");
    expect(s3.calls).toHaveLength(before);
    const { res } = await postJson("/v1/uploads/multipart/complete", token, {
      key: "big.bin",
      ...upload,
    });
    expect(res.status).toBe(200);
    expect(s3.callsOf("CompleteMultipartUpload")[0]?.headers.get("if-none-match")).toBe("*");
  });

  it("refuses conditions the bucket's provider cannot honour on complete (ceph), before S3", async () => {
    const s3 = new FakeS3().install();
    const seeded = await seedTenant();
    const { id } = seeded;
    const token = await mintToken(seeded.key, { iss: id });
    await call(`/admin/tenants/${id}`, {
      method: "PUT",
      admin: true,
      body: tenantRecord(id, [seeded.key.publicJwk], { buckets: bucketsOf(id, "ceph") }),
    });
    const upload = await uploadWithOnePart(s3, token);
    const before = s3.calls.length;
    const problem = await expectProblem(
      await call("/v1/uploads/multipart/complete", {
        token,
        body: { key: "big.bin", ...upload, ifNoneMatch: "*" },
      }),
      409,
      "unsupported_by_provider",
    );
    expect(problem.field).toBe("ifNoneMatch");
    expect(s3.calls).toHaveLength(before);
  });
});

describe("multipart create and POST forms under overwrite deny", () => {
  it("refuses to start a multipart upload a provider could not complete without overwriting", async () => {
    for (const provider of ["ceph", "r2"]) {
      const s3 = new FakeS3().install();
      const seeded = await seedTenant();
      const record = tenantRecord(seeded.id, [seeded.key.publicJwk], {
        buckets: bucketsOf(seeded.id, provider),
        upload: { overwrite: "deny" },
      });
      await call(`/admin/tenants/${seeded.id}`, { method: "PUT", admin: true, body: record });
      const token = await mintToken(seeded.key, { iss: seeded.id });
      const problem = await expectProblem(
        await call("/v1/uploads/multipart", { token, body: { key: "a" } }),
        409,
        "unsupported_by_provider",
      );
      expect(problem.detail).toContain(`'${provider}'`);
      expect(s3.calls).toHaveLength(0);
    }
  });

  it("refuses a POST form (409 conflict): S3 POST Object has no If-None-Match field", async () => {
    const { token } = await caller({ upload: { overwrite: "deny" } });
    const problem = await expectProblem(
      await call("/v1/uploads/post", { token, body: { key: "a.png" } }),
      409,
      "conflict",
    );
    expect(problem.detail).toContain("POST form cannot carry If-None-Match");
    const allowed = await caller();
    const res = await call("/v1/uploads/post", { token: allowed.token, body: { key: "a.png" } });
    expect(res.status).toBe(200);
  });
});

describe("POST /v1/uploads/sign-request (Uppy): conditions", () => {
  async function sign(token: string, body: Record<string, unknown>) {
    return postJson("/v1/uploads/sign-request", token, body) as Promise<{
      res: Response;
      json: { url: string; headers?: Record<string, string> } | null;
    }>;
  }
  const verify = (url: string, method: string, headers: Record<string, string>) =>
    verifyPresignedUrl(url, method, { secretAccessKey: SECRET_KEY, style: "virtual", headers });

  it("signs If-None-Match: * into PutObject and the complete for a deny tenant", async () => {
    const { token, fullKey } = await caller({ upload: { overwrite: "deny" } });
    const put = await sign(token, { method: "PUT", key: "big.bin", contentType: "text/plain" });
    expect(put.json?.headers).toEqual({ "content-type": "text/plain", "if-none-match": "*" });
    expect((await verify(put.json?.url ?? "", "PUT", put.json?.headers ?? {})).valid).toBe(true);
    const complete = await sign(token, { method: "POST", key: fullKey, uploadId: "u1" });
    expect(complete.json?.headers).toEqual({ "if-none-match": "*" });
    const verified = await verify(complete.json?.url ?? "", "POST", { "if-none-match": "*" });
    expect(verified.params.get("X-Amz-SignedHeaders")).toBe("host;if-none-match");
    expect(verified.valid).toBe(true);
  });

  it("adds If-None-Match to the pinned complete next to the body's SHA-256", async () => {
    const s3 = new FakeS3().install();
    const { token, bucket, fullKey } = await caller({
      upload: { overwrite: "deny", maxBytes: 20 * MiB },
    });
    s3.uploads.set("up-1", { bucket, key: fullKey, contentType: null, parts: new Map() });
    s3.addPart("up-1", 1, 5 * MiB);
    const { json } = await sign(token, { method: "POST", key: fullKey, uploadId: "up-1" });
    expect(Object.keys(json?.headers ?? {}).sort()).toEqual([
      "if-none-match",
      "x-amz-content-sha256",
    ]);
    expect(new URL(json?.url ?? "").searchParams.get("X-Amz-SignedHeaders")).toBe(
      "host;if-none-match;x-amz-content-sha256",
    );
  });

  it("takes the caller's ifNoneMatch on PutObject and the complete, and nowhere else", async () => {
    const { token, fullKey } = await caller();
    const put = await sign(token, { method: "PUT", key: "a", ifNoneMatch: "*" });
    expect(put.json?.headers).toEqual({ "if-none-match": "*" });
    const complete = await sign(token, {
      method: "POST",
      key: fullKey,
      uploadId: "u1",
      ifMatch: "abc",
    });
    expect(complete.json?.headers).toEqual({ "if-match": '"abc"' });
    for (const body of [
      { method: "POST", key: "a", ifNoneMatch: "*" },
      { method: "PUT", key: fullKey, uploadId: "u1", partNumber: 1, ifNoneMatch: "*" },
      { method: "DELETE", key: fullKey, uploadId: "u1", ifMatch: "abc" },
    ]) {
      const problem = await expectProblem((await sign(token, body)).res, 400, "invalid_request");
      expect(problem.field).toBe("ifNoneMatch" in body ? "ifNoneMatch" : "ifMatch");
    }
  });

  it("refuses a PutObject that would be answered with a POST form (409), pointing to multipart", async () => {
    const deny = await caller({ upload: { overwrite: "deny", maxBytes: MiB } });
    const denied = await expectProblem(
      (await sign(deny.token, { method: "PUT", key: "a" })).res,
      409,
      "conflict",
    );
    expect(denied.detail).toContain("shouldUseMultipart");
    const asked = await caller({ upload: { maxBytes: MiB } });
    await expectProblem(
      (await sign(asked.token, { method: "PUT", key: "a", ifNoneMatch: "*" })).res,
      409,
      "conflict",
    );
    // Without a condition or deny, the POST form is what the limit needs.
    const form = await sign(asked.token, { method: "PUT", key: "a" });
    expect(form.res.status).toBe(200);
  });

  it("refuses CreateMultipartUpload for a deny tenant on a provider without conditional complete", async () => {
    const seeded = await seedTenant();
    const record = tenantRecord(seeded.id, [seeded.key.publicJwk], {
      buckets: bucketsOf(seeded.id, "ceph"),
      upload: { overwrite: "deny" },
    });
    await call(`/admin/tenants/${seeded.id}`, { method: "PUT", admin: true, body: record });
    const token = await mintToken(seeded.key, { iss: seeded.id });
    await expectProblem(
      (await sign(token, { method: "POST", key: "a" })).res,
      409,
      "unsupported_by_provider",
    );
    // A single PUT is fine there: ceph takes If-None-Match on PutObject.
    const put = await sign(token, { method: "PUT", key: "a" });
    expect(put.json?.headers).toEqual({ "if-none-match": "*" });
  });
});
