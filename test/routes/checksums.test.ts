/**
 * Checksums through the routes: presigned PUT, POST form, multipart (create, sign-parts,
 * complete against the in-memory S3) and the tenant's requireChecksum. What S3 itself does with a
 * signed checksum header is proved against radosgw in test/e2e/checksums.test.ts.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uploadRecordKey } from "../../src/uploads/records";
import { FakeS3 } from "../fake-s3";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  seedTenant,
  storedTenant,
  tenantRecord,
} from "../helpers";
import { TEST_SECRETS } from "../secrets";
import { postPolicySignature, verifyPresignedUrl } from "../sigv4-verifier";
import vectors from "../vectors/checksums.json";

const TEST_SECRET_KEY = JSON.parse(TEST_SECRETS.S3_TEST).secretAccessKey as string;
/** The AWS SDK's value of "Hello world" in each algorithm. */
const HELLO = Object.fromEntries(
  vectors.awsSdk.cases.filter((c) => c.input === "Hello world").map((c) => [c.algorithm, c.base64]),
) as Record<"CRC32" | "CRC32C" | "CRC64NVME" | "SHA1" | "SHA256", string>;
const ABC_CRC32 = "NSRBwg==";

async function tokenFor(overrides: Record<string, unknown> = {}) {
  const { id, key } = await seedTenant(overrides);
  return { id, token: await mintToken(key, { iss: id }) };
}

async function post(path: string, token: string, body: unknown) {
  const res = await call(path, { token, body });
  const json = (
    res.headers.get("content-type") === "application/json" ? await res.json() : null
  ) as any;
  return { res, json };
}

function decodePolicy(policyBase64: string): { conditions: unknown[] } {
  const bytes = Uint8Array.from(atob(policyBase64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

describe("presigned PUT with a checksum", () => {
  it("signs x-amz-checksum-<algorithm> for every algorithm and returns it in headers", async () => {
    const { token } = await tokenFor();
    for (const [algorithm, checksum] of Object.entries(HELLO)) {
      const { res, json } = await post("/v1/presign", token, {
        method: "PUT",
        key: "hello.txt",
        contentLength: 11,
        checksumAlgorithm: algorithm,
        checksum,
      });
      expect(res.status, JSON.stringify(json)).toBe(200);
      const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
      expect(json.headers).toEqual({
        "content-length": "11",
        [name]: checksum,
        "x-amz-sdk-checksum-algorithm": algorithm,
      });
      const options = { secretAccessKey: TEST_SECRET_KEY, style: "virtual" as const };
      const verified = await verifyPresignedUrl(json.url, "PUT", {
        ...options,
        headers: json.headers,
      });
      expect(verified.valid).toBe(true);
      expect(verified.params.get("X-Amz-SignedHeaders")?.split(";")).toContain(name);
      // Another checksum value does not match the signature: S3 would answer 403.
      const changed = { ...json.headers, [name]: algorithm === "CRC32" ? ABC_CRC32 : HELLO.CRC32 };
      expect(
        (await verifyPresignedUrl(json.url, "PUT", { ...options, headers: changed })).valid,
      ).toBe(false);
    }
  });

  it("keeps checksumSha256 as the SHA256 shorthand and refuses both forms at once", async () => {
    const { token } = await tokenFor();
    const short = await post("/v1/presign", token, {
      method: "PUT",
      key: "a",
      checksumSha256: HELLO.SHA256,
    });
    expect(short.json.headers["x-amz-checksum-sha256"]).toBe(HELLO.SHA256);
    const both = await call("/v1/presign", {
      token,
      body: {
        method: "PUT",
        key: "a",
        checksumSha256: HELLO.SHA256,
        checksumAlgorithm: "SHA256",
        checksum: HELLO.SHA256,
      },
    });
    expect((await expectProblem(both, 400, "invalid_request")).field).toBe("checksumSha256");
  });

  it("refuses a checksum of the wrong size, an unknown algorithm, or one on GET", async () => {
    const { token } = await tokenFor();
    const size = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a", checksumAlgorithm: "CRC64NVME", checksum: HELLO.CRC32 },
    });
    const problem = await expectProblem(size, 400, "invalid_request");
    expect(problem.field).toBe("checksum");
    expect(problem.detail).toContain("8-byte CRC64NVME");
    const md5 = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a", checksumAlgorithm: "MD5", checksum: HELLO.CRC32 },
    });
    expect((await expectProblem(md5, 400, "invalid_request")).field).toBe("checksumAlgorithm");
    const onGet = await call("/v1/presign", {
      token,
      body: { method: "GET", key: "a", checksumAlgorithm: "CRC32", checksum: HELLO.CRC32 },
    });
    expect((await expectProblem(onGet, 400, "invalid_request")).field).toBe("checksumAlgorithm");
  });

  it("requires the tenant's algorithm, and still takes requireChecksum: true as SHA256", async () => {
    const { token } = await tokenFor({ upload: { requireChecksum: "CRC32C" } });
    const missing = await call("/v1/presign", { token, body: { method: "PUT", key: "a" } });
    expect((await expectProblem(missing, 400, "invalid_request")).detail).toContain("CRC32C");
    const other = await call("/v1/presign", {
      token,
      body: { method: "PUT", key: "a", checksumAlgorithm: "CRC32", checksum: HELLO.CRC32 },
    });
    expect((await expectProblem(other, 400, "invalid_request")).field).toBe("checksumAlgorithm");
    const ok = await post("/v1/presign", token, {
      method: "PUT",
      key: "a",
      checksumAlgorithm: "CRC32C",
      checksum: HELLO.CRC32C,
    });
    expect(ok.res.status).toBe(200);

    const old = await tokenFor({ upload: { requireChecksum: true } });
    const sha = await post("/v1/presign", old.token, {
      method: "PUT",
      key: "a",
      checksumAlgorithm: "SHA256",
      checksum: HELLO.SHA256,
    });
    expect(sha.json.headers["x-amz-checksum-sha256"]).toBe(HELLO.SHA256);
  });

  it("admits only the S3 algorithms (or a boolean) as the tenant's requireChecksum", async () => {
    const { id } = await tokenFor({ upload: { requireChecksum: "CRC64NVME" } });
    expect((await storedTenant(id)).upload.requireChecksum).toBe("CRC64NVME");
    const key = await keyPair("EdDSA");
    const other = newTenantId();
    const res = await call(`/admin/tenants/${other}`, {
      method: "PUT",
      admin: true,
      body: tenantRecord(other, [key.publicJwk], { upload: { requireChecksum: "MD5" } }),
    });
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("upload.requireChecksum");
  });
});

describe("POST form with a checksum", () => {
  it("sends the algorithm and the checksum as exact-match fields of the signed policy", async () => {
    const { token } = await tokenFor({ upload: { requireChecksum: "CRC32C" } });
    const { res, json } = await post("/v1/uploads/post", token, {
      key: "a.txt",
      checksumAlgorithm: "CRC32C",
      checksum: HELLO.CRC32C,
    });
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json.fields).toMatchObject({
      "x-amz-checksum-algorithm": "CRC32C",
      "x-amz-checksum-crc32c": HELLO.CRC32C,
    });
    const { conditions } = decodePolicy(json.fields.policy);
    expect(conditions).toContainEqual({ "x-amz-checksum-algorithm": "CRC32C" });
    expect(conditions).toContainEqual({ "x-amz-checksum-crc32c": HELLO.CRC32C });
    const date = json.fields["x-amz-date"] as string;
    expect(json.fields["x-amz-signature"]).toBe(
      await postPolicySignature(json.fields.policy, TEST_SECRET_KEY, date.slice(0, 8), "us-east-1"),
    );
  });

  it("refuses a form without the checksum the tenant requires", async () => {
    const { token } = await tokenFor({ upload: { requireChecksum: "CRC32" } });
    const res = await call("/v1/uploads/post", { token, body: { key: "a" } });
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("checksum");
  });
});

describe("multipart with a checksum", () => {
  async function start(overrides: Record<string, unknown>, body: Record<string, unknown>) {
    const s3 = new FakeS3().install();
    const { id, token } = await tokenFor(overrides);
    const { res, json } = await post("/v1/uploads/multipart", token, { key: "big.bin", ...body });
    expect(res.status, JSON.stringify(json)).toBe(200);
    return { s3, id, token, uploadId: json.uploadId as string, key: json.key as string };
  }

  it("fixes the algorithm and type at create, in S3 and in the upload record", async () => {
    const { s3, id, uploadId } = await start({}, { checksumAlgorithm: "CRC32" });
    expect(s3.uploads.get(uploadId)).toMatchObject({
      checksumAlgorithm: "CRC32",
      checksumType: "COMPOSITE",
    });
    const record = JSON.parse(
      (await env.KV.get(uploadRecordKey(await storedTenant(id), uploadId))) ?? "null",
    );
    expect(record).toMatchObject({ checksumAlgorithm: "CRC32", checksumType: "COMPOSITE" });

    const full = await start({}, { checksumAlgorithm: "CRC64NVME" });
    expect(full.s3.uploads.get(full.uploadId)?.checksumType).toBe("FULL_OBJECT");
    const none = await start({}, {});
    expect(
      none.s3.callsOf("CreateMultipartUpload")[0]?.headers.has("x-amz-checksum-algorithm"),
    ).toBe(false);
  });

  it("refuses a type the bucket's provider lacks before calling S3 (409)", async () => {
    const s3 = new FakeS3().install();
    const { token } = await tokenFor({
      buckets: {
        main: {
          endpoint: "https://acct.r2.cloudflarestorage.com",
          bucket: "r2-data",
          region: "auto",
          style: "path",
          credentials: "S3_TEST",
          provider: "r2",
        },
      },
    });
    const res = await call("/v1/uploads/multipart", {
      token,
      body: { key: "a", checksumAlgorithm: "CRC32", checksumType: "FULL_OBJECT" },
    });
    expect((await expectProblem(res, 409, "unsupported_by_provider")).field).toBe("checksumType");
    expect(s3.calls).toHaveLength(0);
  });

  it("signs each part's checksum in its URL and returns the header to send", async () => {
    const { token, uploadId, key } = await start({}, { checksumAlgorithm: "CRC32" });
    const { res, json } = await post("/v1/uploads/multipart/sign-parts", token, {
      key: "big.bin",
      uploadId,
      partNumbers: [1, 2],
      checksums: { "1": HELLO.CRC32 },
    });
    expect(res.status, JSON.stringify(json)).toBe(200);
    const [first, second] = json.parts as { url: string; headers?: Record<string, string> }[];
    expect(first?.headers).toEqual({
      "x-amz-checksum-crc32": HELLO.CRC32,
      "x-amz-sdk-checksum-algorithm": "CRC32",
    });
    expect(second?.headers).toBeUndefined();
    const options = { secretAccessKey: TEST_SECRET_KEY, style: "virtual" as const };
    const signed = await verifyPresignedUrl(first?.url ?? "", "PUT", {
      ...options,
      headers: first?.headers ?? {},
    });
    expect(signed.valid).toBe(true);
    expect(signed.key).toBe(key);
    const changed = { ...first?.headers, "x-amz-checksum-crc32": ABC_CRC32 };
    expect(
      (await verifyPresignedUrl(first?.url ?? "", "PUT", { ...options, headers: changed })).valid,
    ).toBe(false);
  });

  it("learns the algorithm from ListParts when the upload record is missing", async () => {
    const { s3, id, token, uploadId } = await start({}, { checksumAlgorithm: "CRC32C" });
    await env.KV.delete(uploadRecordKey(await storedTenant(id), uploadId));
    const { res, json } = await post("/v1/uploads/multipart/sign-parts", token, {
      key: "big.bin",
      uploadId,
      partNumbers: [1],
      checksums: { "1": HELLO.CRC32C },
    });
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json.parts[0].headers["x-amz-checksum-crc32c"]).toBe(HELLO.CRC32C);
    expect(s3.callsOf("ListParts")).toHaveLength(1);
    // The wrong size for CRC32C is refused, so the algorithm was really read.
    const wrong = await call("/v1/uploads/multipart/sign-parts", {
      token,
      body: { key: "big.bin", uploadId, partNumbers: [1], checksums: { "1": HELLO.CRC64NVME } },
    });
    expect((await expectProblem(wrong, 400, "invalid_request")).field).toBe("checksums.1");
  });

  it("requires every part's checksum when the tenant does", async () => {
    const { token, uploadId } = await start(
      { upload: { requireChecksum: "CRC32" } },
      { checksumAlgorithm: "CRC32" },
    );
    const res = await call("/v1/uploads/multipart/sign-parts", {
      token,
      body: { key: "big.bin", uploadId, partNumbers: [1, 2], checksums: { "1": HELLO.CRC32 } },
    });
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("checksums");
  });

  it("completes with each part's checksum, from ListParts or from the caller", async () => {
    const { s3, token, uploadId } = await start({}, { checksumAlgorithm: "CRC32" });
    const first = s3.addPart(uploadId, 1, 11, HELLO.CRC32);
    const second = s3.addPart(uploadId, 2, 3, ABC_CRC32);
    const { res, json } = await post("/v1/uploads/multipart/complete", token, {
      key: "big.bin",
      uploadId,
      parts: [
        { partNumber: 2, etag: second, checksum: ABC_CRC32 },
        { partNumber: 1, etag: first },
      ],
    });
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json.size).toBe(14);
    const body = s3.callsOf("CompleteMultipartUpload")[0]?.body ?? "";
    expect(body).toContain(`<ChecksumCRC32>${HELLO.CRC32}</ChecksumCRC32></Part>`);
    expect(body).toContain(`<ChecksumCRC32>${ABC_CRC32}</ChecksumCRC32></Part>`);
  });

  it("refuses to complete with a part checksum S3 lists otherwise", async () => {
    const { s3, token, uploadId } = await start({}, { checksumAlgorithm: "CRC32" });
    const etag = s3.addPart(uploadId, 1, 11, HELLO.CRC32);
    const res = await call("/v1/uploads/multipart/complete", {
      token,
      body: { key: "big.bin", uploadId, parts: [{ partNumber: 1, etag, checksum: ABC_CRC32 }] },
    });
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("parts.0.checksum");
    expect(s3.callsOf("CompleteMultipartUpload")).toHaveLength(0);
  });

  it("lists each part's checksum", async () => {
    const { s3, token, uploadId } = await start({}, { checksumAlgorithm: "CRC32" });
    s3.addPart(uploadId, 1, 11, HELLO.CRC32);
    const res = await call(
      `/v1/uploads/multipart/parts?key=big.bin&uploadId=${encodeURIComponent(uploadId)}`,
      {
        token,
      },
    );
    const json = (await res.json()) as { parts: { checksum?: string }[] };
    expect(json.parts[0]?.checksum).toBe(HELLO.CRC32);
  });
});

describe("Uppy's sign-request with a required checksum", () => {
  it("refuses PutObject and CreateMultipartUpload (409), naming the algorithm", async () => {
    const { token } = await tokenFor({ upload: { requireChecksum: "CRC64NVME" } });
    for (const method of ["PUT", "POST"]) {
      const res = await call("/v1/uploads/sign-request", { token, body: { method, key: "a" } });
      expect((await expectProblem(res, 409, "conflict")).detail).toContain("CRC64NVME");
    }
  });
});
