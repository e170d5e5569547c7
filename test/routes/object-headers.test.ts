/**
 * Object headers through the routes: presigned PUT (signed headers), POST forms (exact policy
 * conditions), multipart create (the gateway's own CreateMultipartUpload) and the Uppy route; the
 * tenant's forced and forbidden values; the admin API's checks of that policy.
 */
import { describe, expect, it } from "vitest";
import { FakeS3 } from "../fake-s3";
import {
  call,
  expectProblem,
  mintToken,
  seedTenant,
  tenantRecord,
  newTenantId,
  keyPair,
} from "../helpers";
import { TEST_SECRETS } from "../secrets";
import { verifyPresignedUrl } from "../sigv4-verifier";

const TEST_SECRET_KEY = JSON.parse(TEST_SECRETS.S3_TEST).secretAccessKey as string;

async function tokenFor(overrides: Record<string, unknown> = {}) {
  const { id, key } = await seedTenant(overrides);
  return { id, token: await mintToken(key, { iss: id }) };
}

async function post(path: string, token: string, body: unknown) {
  const res = await call(path, { token, body });
  const json = (res.status === 200 ? await res.json() : null) as any;
  return { res, json };
}

function decodePolicy(policyBase64: string): { conditions: unknown[] } {
  const bytes = Uint8Array.from(atob(policyBase64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

const verify = (url: string, method: string, headers: Record<string, string>) =>
  verifyPresignedUrl(url, method, { secretAccessKey: TEST_SECRET_KEY, style: "virtual", headers });

const DISPOSITION = `attachment; filename="r_sum_ 2024.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf`;

describe("presigned PUT", () => {
  it("signs every object header, returns it to send, and S3 would refuse a changed one", async () => {
    const { token } = await tokenFor();
    const { res, json } = await post("/v1/presign", token, {
      method: "PUT",
      key: "a.pdf",
      cacheControl: "public, max-age=600",
      filename: "résumé 2024.pdf",
      contentEncoding: "gzip",
      contentLanguage: "fr, en",
      storageClass: "STANDARD",
      tagging: { project: "apollo", "team name": "rocket/ops" },
    });
    expect(res.status).toBe(200);
    const headers = {
      "cache-control": "public, max-age=600",
      "content-disposition": DISPOSITION,
      "content-encoding": "gzip",
      "content-language": "fr, en",
      "x-amz-storage-class": "STANDARD",
      "x-amz-tagging": "project=apollo&team%20name=rocket%2Fops",
    };
    expect(json.headers).toEqual(headers);
    const verified = await verify(json.url, "PUT", headers);
    expect(verified.valid).toBe(true);
    expect(verified.params.get("X-Amz-SignedHeaders")).toBe(
      "cache-control;content-disposition;content-encoding;content-language;host;x-amz-storage-class;x-amz-tagging",
    );
    // The disposition of a PUT is stored, never a response override.
    expect(verified.params.has("response-content-disposition")).toBe(false);
    for (const [name, other] of [
      ["cache-control", "no-store"],
      ["content-disposition", "inline"],
      ["x-amz-tagging", "project=other"],
    ] as const) {
      expect((await verify(json.url, "PUT", { ...headers, [name]: other })).valid, name).toBe(
        false,
      );
    }
  });

  it("signs SSE with its KMS key id", async () => {
    const { token } = await tokenFor();
    const { json } = await post("/v1/presign", token, {
      method: "PUT",
      key: "a",
      sse: "aws:kms",
      kmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/abcd",
    });
    expect(json.headers).toEqual({
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:111122223333:key/abcd",
    });
    expect((await verify(json.url, "PUT", json.headers)).valid).toBe(true);
  });

  it("refuses object headers on GET, HEAD and DELETE, naming the field", async () => {
    const { token } = await tokenFor();
    for (const [method, field, value] of [
      ["GET", "cacheControl", "no-cache"],
      ["HEAD", "tagging", { a: "b" }],
      ["DELETE", "sse", "AES256"],
      ["GET", "storageClass", "STANDARD"],
    ] as const) {
      const res = await call("/v1/presign", { token, body: { method, key: "a", [field]: value } });
      expect((await expectProblem(res, 400, "invalid_request")).field).toBe(field);
    }
  });

  it("refuses bad values with 400 naming the field", async () => {
    const { token } = await tokenFor();
    for (const [field, value, path] of [
      ["cacheControl", "max-age=1\r\nx: y", "cacheControl"],
      ["contentDisposition", "attachment; filename=a; filename=b", "contentDisposition"],
      ["contentLanguage", "en_US", "contentLanguage"],
      ["tagging", { "aws:x": "y" }, "tagging.aws:x"],
    ] as const) {
      const res = await call("/v1/presign", {
        token,
        body: { method: "PUT", key: "a", [field]: value },
      });
      expect((await expectProblem(res, 400, "invalid_request")).field).toBe(path);
    }
  });

  it("applies the tenant's forced headers to every PUT and refuses a caller's other value (403)", async () => {
    const { token } = await tokenFor({
      upload: {
        sse: { mode: "AES256" },
        cacheControl: "private, max-age=0",
        forbid: ["tagging"],
        storageClasses: ["STANDARD"],
      },
    });
    const { json } = await post("/v1/presign", token, { method: "PUT", key: "a" });
    expect(json.headers).toEqual({
      "cache-control": "private, max-age=0",
      "x-amz-server-side-encryption": "AES256",
    });
    const same = await post("/v1/presign", token, { method: "PUT", key: "a", sse: "AES256" });
    expect(same.res.status).toBe(200);
    for (const [field, value] of [
      ["sse", "aws:kms"],
      ["cacheControl", "public"],
      ["tagging", { a: "b" }],
      ["storageClass", "GLACIER"],
    ] as const) {
      const res = await call("/v1/presign", {
        token,
        body: { method: "PUT", key: "a", [field]: value },
      });
      expect((await expectProblem(res, 403, "forbidden")).field).toBe(field);
    }
  });

  it("refuses tags on a provider without them (409) before signing", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const record = tenantRecord(id, [key.publicJwk]);
    record.buckets.main = { ...record.buckets.main, provider: "r2" } as typeof record.buckets.main;
    const res0 = await call(`/admin/tenants/${id}`, { method: "PUT", admin: true, body: record });
    expect(res0.status).toBe(200);
    const token = await mintToken(key, { iss: id });
    const res = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a", tagging: { a: "b" } },
    });
    expect((await expectProblem(res, 409, "unsupported_by_provider")).field).toBe("tagging");
  });
});

describe("POST forms", () => {
  it("writes each header as a form field with an exact policy condition", async () => {
    const { token } = await tokenFor();
    const { res, json } = await post("/v1/uploads/post", token, {
      key: "a.pdf",
      cacheControl: "max-age=60",
      filename: "résumé 2024.pdf",
      contentEncoding: "gzip",
      storageClass: "STANDARD",
      tagging: { project: "apollo" },
      sse: "AES256",
    });
    expect(res.status).toBe(200);
    const expected = {
      "Cache-Control": "max-age=60",
      "Content-Disposition": DISPOSITION,
      "Content-Encoding": "gzip",
      "x-amz-storage-class": "STANDARD",
      tagging:
        "<Tagging><TagSet><Tag><Key>project</Key><Value>apollo</Value></Tag></TagSet></Tagging>",
      "x-amz-server-side-encryption": "AES256",
    };
    expect(json.fields).toMatchObject(expected);
    const { conditions } = decodePolicy(json.fields.policy);
    for (const [name, value] of Object.entries(expected)) {
      expect(conditions).toContainEqual({ [name]: value });
    }
  });

  it("has no contentLanguage field, and refuses (409) a tenant that forces one", async () => {
    const { token } = await tokenFor();
    const res = await call("/v1/uploads/post", {
      token,
      body: { key: "a", contentLanguage: "en" },
    });
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("contentLanguage");
    const forced = await tokenFor({ upload: { contentLanguage: "en" } });
    await expectProblem(
      await call("/v1/uploads/post", { token: forced.token, body: { key: "a" } }),
      409,
      "conflict",
    );
  });

  it("applies forced values and refuses forbidden ones", async () => {
    const { token } = await tokenFor({ upload: { tagging: { tenant: "acme" }, forbid: ["sse"] } });
    const { json } = await post("/v1/uploads/post", token, { key: "a" });
    expect(json.fields.tagging).toBe(
      "<Tagging><TagSet><Tag><Key>tenant</Key><Value>acme</Value></Tag></TagSet></Tagging>",
    );
    const res = await call("/v1/uploads/post", { token, body: { key: "a", sse: "AES256" } });
    expect((await expectProblem(res, 403, "forbidden")).field).toBe("sse");
  });
});

describe("multipart create", () => {
  it("signs the headers into the gateway's CreateMultipartUpload", async () => {
    const s3 = new FakeS3().install();
    const { token } = await tokenFor({ upload: { sse: { mode: "aws:kms", kmsKeyId: "alias/t" } } });
    const { res } = await post("/v1/uploads/multipart", token, {
      key: "v.mp4",
      contentType: "video/mp4",
      filename: "talk.mp4",
      tagging: { kind: "video" },
      storageClass: "STANDARD",
    });
    expect(res.status).toBe(200);
    const [created] = s3.callsOf("CreateMultipartUpload");
    expect(created).toBeDefined();
    const headers = created!.headers;
    expect(headers.get("content-disposition")).toBe('attachment; filename="talk.mp4"');
    expect(headers.get("x-amz-tagging")).toBe("kind=video");
    expect(headers.get("x-amz-storage-class")).toBe("STANDARD");
    expect(headers.get("x-amz-server-side-encryption")).toBe("aws:kms");
    expect(headers.get("x-amz-server-side-encryption-aws-kms-key-id")).toBe("alias/t");
    expect(headers.get("content-type")).toBe("video/mp4");
    const signed = /SignedHeaders=([^,]+)/.exec(headers.get("authorization") ?? "")?.[1] ?? "";
    for (const name of [
      "content-disposition",
      "x-amz-tagging",
      "x-amz-storage-class",
      "x-amz-server-side-encryption",
      "x-amz-server-side-encryption-aws-kms-key-id",
    ]) {
      expect(signed.split(";"), name).toContain(name);
    }
  });

  it("refuses a forbidden or changed header before calling S3", async () => {
    const s3 = new FakeS3().install();
    const { token } = await tokenFor({
      upload: { forbid: ["cacheControl"], storageClass: "STANDARD" },
    });
    const forbidden = await call("/v1/uploads/multipart", {
      token,
      body: { key: "a", cacheControl: "no-cache" },
    });
    expect((await expectProblem(forbidden, 403, "forbidden")).field).toBe("cacheControl");
    const changed = await call("/v1/uploads/multipart", {
      token,
      body: { key: "a", storageClass: "GLACIER" },
    });
    expect((await expectProblem(changed, 403, "forbidden")).field).toBe("storageClass");
    expect(s3.calls).toHaveLength(0);
  });
});

describe("the Uppy route (sign-request)", () => {
  it("signs object headers on PutObject and CreateMultipartUpload, and refuses them elsewhere", async () => {
    const { token } = await tokenFor();
    const put = await post("/v1/uploads/sign-request", token, {
      method: "PUT",
      key: "a.pdf",
      filename: "a.pdf",
      cacheControl: "no-cache",
    });
    const headers = {
      "cache-control": "no-cache",
      "content-disposition": 'attachment; filename="a.pdf"',
    };
    expect(put.json.headers).toEqual(headers);
    expect((await verify(put.json.url, "PUT", headers)).valid).toBe(true);
    expect((await verify(put.json.url, "PUT", { ...headers, "cache-control": "x" })).valid).toBe(
      false,
    );

    const create = await post("/v1/uploads/sign-request", token, {
      method: "POST",
      key: "v.bin",
      tagging: { a: "b" },
    });
    expect(create.json.headers).toEqual({ "x-amz-tagging": "a=b" });
    expect((await verify(create.json.url, "POST", { "x-amz-tagging": "a=b" })).valid).toBe(true);

    const part = await call("/v1/uploads/sign-request", {
      token,
      body: {
        method: "PUT",
        key: put.json.key,
        uploadId: "u1",
        partNumber: 1,
        tagging: { a: "b" },
      },
    });
    expect((await expectProblem(part, 400, "invalid_request")).field).toBe("tagging");
  });

  it("writes them as form fields when PutObject is answered with a POST policy (maxBytes)", async () => {
    const { token } = await tokenFor({ upload: { maxBytes: 1000 } });
    const { json } = await post("/v1/uploads/sign-request", token, {
      method: "PUT",
      key: "a",
      contentDisposition: "inline",
    });
    expect(json.fields["Content-Disposition"]).toBe("inline");
    expect(decodePolicy(json.fields.policy).conditions).toContainEqual({
      "Content-Disposition": "inline",
    });
  });
});

describe("the tenant's policy in the admin API", () => {
  async function putUpload(upload: Record<string, unknown>) {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    return call(`/admin/tenants/${id}`, {
      method: "PUT",
      admin: true,
      body: tenantRecord(id, [key.publicJwk], { upload }),
    });
  }

  it("refuses contradictions, naming the field", async () => {
    for (const [upload, field] of [
      [{ cacheControl: "no-cache", forbid: ["cacheControl"] }, "upload.forbid"],
      [{ storageClass: "GLACIER", storageClasses: ["STANDARD"] }, "upload.storageClass"],
      [{ sse: { mode: "AES256", kmsKeyId: "alias/k" } }, "upload.sse.kmsKeyId"],
      [{ forbid: ["metadata"] }, "upload.forbid.0"],
    ] as const) {
      const problem = await expectProblem(await putUpload(upload), 400, "invalid_request");
      expect(problem.field, JSON.stringify(upload)).toBe(field);
    }
  });

  it("stores a consistent policy", async () => {
    const res = await putUpload({
      sse: { mode: "aws:kms", kmsKeyId: "alias/k" },
      storageClass: "STANDARD",
      storageClasses: ["STANDARD", "STANDARD_IA"],
      tagging: { tenant: "acme" },
      forbid: ["contentEncoding"],
    });
    expect(res.status).toBe(200);
  });
});
