/**
 * Conditional writes on presigned PUTs (src/signing/conditions.ts): `ifNoneMatch` / `ifMatch`
 * become signed headers, the tenant's `upload.overwrite: "deny"` signs If-None-Match on every PUT,
 * and what S3 could not honour is refused before signing.
 */
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { CAPABILITIES } from "../../src/s3/providers";
import { conditionHeaders } from "../../src/signing/conditions";
import { TenantRecord } from "../../src/tenants/schema";
import {
  call,
  expectProblem,
  gatewayErrorOf,
  mintToken,
  presign,
  seedTenant,
  tenantRecord,
} from "../helpers";
import { TEST_SECRETS } from "../secrets";
import { verifyPresignedUrl } from "../sigv4-verifier";

const SECRET_KEY = (JSON.parse(TEST_SECRETS.S3_TEST) as { secretAccessKey: string })
  .secretAccessKey;

async function tokenFor(overrides: Record<string, unknown> = {}) {
  const { id, key } = await seedTenant(overrides);
  return { id, token: await mintToken(key, { iss: id }) };
}

function signedHeaderNames(url: string): string[] {
  return (new URL(url).searchParams.get("X-Amz-SignedHeaders") ?? "").split(";");
}

describe("POST /v1/presign: conditional PUT", () => {
  it('signs ifNoneMatch "*" as If-None-Match and returns it in headers', async () => {
    const { token } = await tokenFor();
    const { res, json } = await presign(token, { method: "PUT", key: "a.txt", ifNoneMatch: "*" });
    expect(res.status).toBe(200);
    const headers = json.headers as Record<string, string>;
    expect(headers["if-none-match"]).toBe("*");
    expect(signedHeaderNames(json.url as string)).toContain("if-none-match");
    const sent = { secretAccessKey: SECRET_KEY, style: "virtual" as const, headers };
    expect((await verifyPresignedUrl(json.url as string, "PUT", sent)).valid).toBe(true);
    // S3 recomputes the signature from what arrives: another value, or none, does not match.
    const { "if-none-match": _dropped, ...without } = headers;
    for (const changed of [{ ...headers, "if-none-match": '"abc"' }, without]) {
      const verified = await verifyPresignedUrl(json.url as string, "PUT", {
        ...sent,
        headers: changed,
      });
      expect(verified.valid).toBe(false);
    }
  });

  it("signs ifMatch as If-Match, quoting an unquoted ETag (RFC 9110 entity-tag)", async () => {
    const { token } = await tokenFor();
    for (const [given, signed] of [
      ["b54357faf0632cce46e942fa68356b38", '"b54357faf0632cce46e942fa68356b38"'],
      ['"b54357faf0632cce46e942fa68356b38-3"', '"b54357faf0632cce46e942fa68356b38-3"'],
    ]) {
      const { res, json } = await presign(token, { method: "PUT", key: "a", ifMatch: given });
      expect(res.status).toBe(200);
      expect((json.headers as Record<string, string>)["if-match"]).toBe(signed);
      expect(signedHeaderNames(json.url as string)).toContain("if-match");
      expect(json.headers).not.toHaveProperty("if-none-match");
    }
  });

  it("refuses an ifMatch that is not an entity tag, naming the field", async () => {
    const { token } = await tokenFor();
    for (const ifMatch of [
      "",
      "a b",
      'W/"weak"',
      '"unbalanced',
      'in"side',
      "*",
      '"*"',
      "é",
      "x".repeat(257),
    ]) {
      const res = await call("/v1/presign", { token, body: { method: "PUT", key: "a", ifMatch } });
      const problem = await expectProblem(res, 400, "invalid_request");
      expect(problem.field, ifMatch).toBe("ifMatch");
    }
  });

  it('takes only "*" for ifNoneMatch', async () => {
    const { token } = await tokenFor();
    for (const ifNoneMatch of ['"abc"', "abc", "", "**"]) {
      const res = await call("/v1/presign", {
        token,
        body: { method: "PUT", key: "a", ifNoneMatch },
      });
      expect((await expectProblem(res, 400, "invalid_request")).field).toBe("ifNoneMatch");
    }
  });

  it("refuses ifNoneMatch with ifMatch: one condition per write", async () => {
    const { token } = await tokenFor();
    const res = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a", ifNoneMatch: "*", ifMatch: '"e"' },
    });
    const problem = await expectProblem(res, 400, "invalid_request");
    expect(problem.field).toBe("ifMatch");
  });

  it("refuses the conditions on anything but PUT, naming the field", async () => {
    const { token } = await tokenFor();
    for (const method of ["GET", "HEAD", "DELETE"]) {
      for (const field of ["ifNoneMatch", "ifMatch"]) {
        const body = { method, key: "a", [field]: field === "ifMatch" ? '"e"' : "*" };
        const problem = await expectProblem(
          await call("/v1/presign", { token, body }),
          400,
          "invalid_request",
        );
        expect(problem.field).toBe(field);
      }
    }
  });
});

describe('tenant upload.overwrite: "deny"', () => {
  it("signs If-None-Match: * on every PUT, without the caller asking", async () => {
    const { token } = await tokenFor({ upload: { overwrite: "deny" } });
    const { res, json } = await presign(token, { method: "PUT", key: "a.txt" });
    expect(res.status).toBe(200);
    expect(json.headers).toEqual({ "if-none-match": "*" });
    expect(signedHeaderNames(json.url as string)).toContain("if-none-match");
  });

  it("leaves reads and deletes alone", async () => {
    const { token } = await tokenFor({ upload: { overwrite: "deny" } });
    for (const method of ["GET", "DELETE"]) {
      const { json } = await presign(token, { method, key: "a.txt" });
      expect(json.headers).toEqual({});
    }
  });

  it("refuses ifMatch (it replaces an object) with 409 conflict", async () => {
    const { token } = await tokenFor({ upload: { overwrite: "deny" } });
    const res = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a", ifMatch: '"e"' },
    });
    const problem = await expectProblem(res, 409, "conflict");
    expect(problem.field).toBe("ifMatch");
    expect(problem.detail).toContain("upload.overwrite: deny");
  });

  it("is answered with 'allow' by default and refused when not allow or deny", async () => {
    const { id } = await tokenFor();
    const res = await call(`/admin/tenants/${id}`, { admin: true });
    expect(((await res.json()) as { upload: unknown }).upload).toMatchObject({
      overwrite: "allow",
    });
    const bad = tenantRecord(`${id}x`, [], { upload: { overwrite: "never" } });
    const put = await call(`/admin/tenants/${id}x`, { method: "PUT", admin: true, body: bad });
    expect((await expectProblem(put, 400, "invalid_request")).field).toBe("upload.overwrite");
  });
});

describe("conditionHeaders and the provider cells", () => {
  const tenantOf = (upload: Record<string, unknown>) =>
    v.parse(TenantRecord, tenantRecord("t-cond", [], { upload }));

  it("writes the If-Match ETag as the provider compares it: bare for ceph, quoted elsewhere", () => {
    const tenant = tenantOf({});
    for (const ifMatch of ['"0123abcd"', "0123abcd"]) {
      expect(conditionHeaders(tenant, { provider: "ceph" }, { ifMatch }, "PutObject")).toEqual({
        "if-match": "0123abcd",
      });
      for (const provider of ["aws", "r2", "minio", "generic"] as const) {
        expect(conditionHeaders(tenant, { provider }, { ifMatch }, "PutObject")).toEqual({
          "if-match": '"0123abcd"',
        });
      }
    }
  });

  it("asks the PUT cell for PutObject and the complete cell for CompleteMultipartUpload", async () => {
    const tenant = tenantOf({});
    // ceph: conditional PUT yes, conditional complete no (docs/providers.md).
    const ceph = { provider: "ceph" as const };
    expect(conditionHeaders(tenant, ceph, { ifNoneMatch: "*" }, "PutObject")).toEqual({
      "if-none-match": "*",
    });
    const error = await gatewayErrorOf(
      Promise.resolve().then(() =>
        conditionHeaders(tenant, ceph, { ifNoneMatch: "*" }, "CompleteMultipartUpload"),
      ),
    );
    expect(error.code).toBe("unsupported_by_provider");
    expect(error.field).toBe("ifNoneMatch");
    expect(error.message).toContain("'ceph'");
  });

  it("refuses a deny tenant's PUT on a provider without conditional PUT instead of signing it", async () => {
    const cell = CAPABILITIES.r2 as { conditionalPut: boolean };
    const saved = cell.conditionalPut;
    cell.conditionalPut = false;
    try {
      const r2 = { provider: "r2" as const };
      const denied = await gatewayErrorOf(
        Promise.resolve().then(() =>
          conditionHeaders(tenantOf({ overwrite: "deny" }), r2, {}, "PutObject"),
        ),
      );
      expect(denied.code).toBe("unsupported_by_provider");
      expect(denied.message).toContain("upload.overwrite: deny");
      // Without deny and without a condition, nothing is asked of the provider.
      expect(conditionHeaders(tenantOf({}), r2, {}, "PutObject")).toEqual({});
    } finally {
      cell.conditionalPut = saved;
    }
  });
});
