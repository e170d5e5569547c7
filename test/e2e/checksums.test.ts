/**
 * Checksums against radosgw 16 (issue 20): for every S3 algorithm, the checksum the gateway signs
 * into a presigned PUT is part of the signature (a changed header is 403, the signed one is
 * stored); a POST form's checksum fields are policy conditions; a multipart upload created with a
 * checksum algorithm takes part URLs with signed part checksums and completes with them.
 *
 * radosgw 16 does not itself compare checksum bytes with the body (that came with later Ceph
 * releases): these tests prove what the gateway controls, the signature, not S3's digest check.
 * The digests are computed with the client's own code (src/client/checksums.ts), which
 * test/client/checksums.test.ts holds to the published vectors.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { CORS_HEADERS } from "../../cli/cors.mjs";
import { computeChecksum } from "../../src/client/checksums";
import type { ChecksumAlgorithm } from "../../src/client/types";
import { api, createTenant, GATEWAY_URL, presign, RUN, S3, s3Request } from "./support";

const MiB = 1024 ** 2;
const ALGORITHMS: ChecksumAlgorithm[] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];
const digest = (algorithm: ChecksumAlgorithm, bytes: Buffer) =>
  computeChecksum(algorithm, new Blob([bytes]));

let token: string;

beforeAll(async () => {
  // radosgw 16 does not check checksums, so its ceph buckets refuse them (docs/providers.md); the
  // generic alias of the same bucket signs them, which is what these tests prove on the server.
  const tenant = await createTenant(`e2e-sum-${RUN}`, S3.bucket, { defaultBucket: "generic" });
  token = await tenant.token();
});

describe("a ceph bucket", () => {
  it("refuses a checksum with 409 unsupported_by_provider: radosgw 16 would not check it", async () => {
    const res = await fetch(`${GATEWAY_URL}/v1/presign`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        method: "PUT",
        key: `sum/ceph-${RUN}.txt`,
        bucket: "path",
        checksumAlgorithm: "CRC32",
        checksum: await digest("CRC32", Buffer.from("x")),
      }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("unsupported_by_provider");
  });
});

describe("presigned PUT: the checksum header is signed", () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: the signed value is accepted and stored, a changed one is 403`, async () => {
      const body = Buffer.from(`checksummed with ${algorithm}`);
      const other = Buffer.from(`other bytes for ${algorithm}`);
      const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
      const signed = await presign(token, {
        method: "PUT",
        key: `sum/${algorithm}-${RUN}.txt`,
        contentLength: body.length,
        checksumAlgorithm: algorithm,
        checksum: await digest(algorithm, body),
      });
      expect(signed.headers[name]).toBe(await digest(algorithm, body));
      expect(new URL(signed.url).searchParams.get("X-Amz-SignedHeaders")).toContain(name);

      const forged = await s3Request(signed.url, {
        method: "PUT",
        headers: { ...signed.headers, [name]: await digest(algorithm, other) },
        body,
      });
      expect(forged.status, forged.body.toString()).toBe(403);

      const ok = await s3Request(signed.url, { method: "PUT", headers: signed.headers, body });
      expect(ok.status, ok.body.toString()).toBe(200);
      const read = await s3Request(
        (await presign(token, { method: "GET", key: `sum/${algorithm}-${RUN}.txt` })).url,
      );
      expect(read.body.equals(body)).toBe(true);
    });
  }
});

describe("POST form: the checksum fields are policy conditions", () => {
  it("a form with the signed CRC32 is stored; a changed checksum field is refused", async () => {
    const file = Buffer.from("posted with a checksum");
    const form = await api(token, "/v1/uploads/post", {
      key: `sum/post-${RUN}.txt`,
      checksumAlgorithm: "CRC32",
      checksum: await digest("CRC32", file),
    });
    expect(form.status, JSON.stringify(form.json)).toBe(200);
    const send = async (overrides: Record<string, string>) => {
      const body = new FormData();
      for (const [field, value] of Object.entries({ ...form.json.fields, ...overrides })) {
        body.append(field, value as string);
      }
      body.append("file", new Blob([file]), "upload.bin");
      const res = await fetch(form.json.url, { method: "POST", body });
      return { status: res.status, text: await res.text() };
    };
    const forged = await send({ "x-amz-checksum-crc32": await digest("CRC32", Buffer.from("x")) });
    expect(forged.status, forged.text).toBe(403);
    const ok = await send({});
    expect(ok.status, ok.text).toBe(204);
  });
});

describe("multipart with a checksum algorithm", () => {
  it("CRC32: create, parts with signed checksums (a changed one is 403), complete", async () => {
    const key = `sum/mp-${RUN}.bin`;
    const file = randomBytes(6 * MiB);
    const parts = [file.subarray(0, 5 * MiB), file.subarray(5 * MiB)];
    // radosgw 16 takes x-amz-checksum-algorithm on CreateMultipartUpload (and ignores it).
    const created = await api(token, "/v1/uploads/multipart", {
      key,
      size: file.length,
      checksumAlgorithm: "CRC32",
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const { uploadId } = created.json as { uploadId: string };
    const checksums = await Promise.all(parts.map((part) => digest("CRC32", part)));
    const signed = await api(token, "/v1/uploads/multipart/sign-parts", {
      key,
      uploadId,
      partNumbers: [1, 2],
      checksums: { "1": checksums[0], "2": checksums[1] },
    });
    expect(signed.status, JSON.stringify(signed.json)).toBe(200);
    const urls = signed.json.parts as { url: string; headers: Record<string, string> }[];

    const forged = await s3Request(urls[0]?.url ?? "", {
      method: "PUT",
      headers: { ...urls[0]?.headers, "x-amz-checksum-crc32": checksums[1] ?? "" },
      body: parts[0],
    });
    expect(forged.status, forged.body.toString()).toBe(403);

    const etags = [];
    for (const [i, part] of parts.entries()) {
      const res = await s3Request(urls[i]?.url ?? "", {
        method: "PUT",
        headers: urls[i]?.headers ?? {},
        body: part,
      });
      expect(res.status, res.body.toString()).toBe(200);
      etags.push({ partNumber: i + 1, etag: String(res.headers.etag), checksum: checksums[i] });
    }
    const done = await api(token, "/v1/uploads/multipart/complete", {
      key,
      uploadId,
      parts: etags,
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json.size).toBe(file.length);
    const read = await s3Request((await presign(token, { method: "GET", key })).url);
    expect(read.body.equals(file)).toBe(true);
  });
});

describe("CORS", () => {
  it("the printed rule allows every checksum header the gateway signs", () => {
    for (const algorithm of ALGORITHMS) {
      expect(CORS_HEADERS).toContain(`x-amz-checksum-${algorithm.toLowerCase()}`);
    }
  });
});
