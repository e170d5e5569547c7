/**
 * The `ceph` column of src/s3/providers.ts against the real radosgw (16.2 in scripts/rgw.sh):
 * each test reads a cell and shows the server behaving as the cell says — a claimed feature works
 * or is refused loudly, an unclaimed one is silently ignored by the server. When either side
 * changes (a newer radosgw, an edited cell), a test here fails. Results: docs/providers.md.
 *
 * S3 requests are signed here with the test credentials (aws4fetch), not through the gateway:
 * these tests are about the server, the gateway's use of the cells is tested in test/.
 */
import { createHash } from "node:crypto";
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { CAPABILITIES, CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from "../../src/s3/providers";
import { createPostPolicy } from "../../src/signing/post-policy";
import { RUN, S3, s3Request, type S3Response } from "./support";

const ceph = CAPABILITIES.ceph;

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
}

const client = new AwsClient({
  accessKeyId: required("S3_ACCESS_KEY_ID"),
  secretAccessKey: required("S3_SECRET_ACCESS_KEY"),
  service: "s3",
  region: S3.region,
  retries: 0,
});

const objectUrl = (key: string, query = "") => `${S3.endpoint}/${S3.bucket}/${key}${query}`;

/** A header-signed request, sent through node:http (so virtual-host names reach loopback). */
async function s3(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<S3Response & { code: string | undefined; text: string }> {
  const signed = await client.sign(url, {
    method: init.method ?? "GET",
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const res = await s3Request(url, {
    method: init.method ?? "GET",
    headers: Object.fromEntries(signed.headers),
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = res.body.toString("utf8");
  return { ...res, text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] };
}

const header = (res: S3Response, name: string) => {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
};

/** CreateMultipartUpload → one part → CompleteMultipartUpload (with `completeHeaders`). */
async function multipart(
  key: string,
  body: Buffer,
  createHeaders: Record<string, string> = {},
  completeHeaders: Record<string, string> = {},
  partHeaders: Record<string, string> = {},
) {
  const created = await s3(objectUrl(key, "?uploads"), { method: "POST", headers: createHeaders });
  expect(created.status, created.text).toBe(200);
  const uploadId = encodeURIComponent(/<UploadId>([^<]+)</.exec(created.text)?.[1] ?? "");
  const part = await s3(objectUrl(key, `?partNumber=1&uploadId=${uploadId}`), {
    method: "PUT",
    headers: partHeaders,
    body,
  });
  expect(part.status, part.text).toBe(200);
  const xml =
    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>" +
    `<ETag>${header(part, "etag")}</ETag></Part></CompleteMultipartUpload>`;
  return s3(objectUrl(key, `?uploadId=${uploadId}`), {
    method: "POST",
    headers: completeHeaders,
    body: xml,
  });
}

async function put(key: string, body: Buffer, headers: Record<string, string> = {}) {
  return s3(objectUrl(key), { method: "PUT", headers, body });
}

async function get(key: string) {
  return s3(objectUrl(key));
}

// --- checksums: CRC32 (zlib's), CRC32C and CRC64NVME (reflected, table-driven), SHA-1, SHA-256.

function crcTable(poly: bigint): bigint[] {
  return Array.from({ length: 256 }, (_, n) => {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    return c;
  });
}

/** A reflected CRC with all-ones init and final xor (CRC-32, CRC-32C, CRC-64/NVME), big-endian. */
function crc(bytes: Buffer, poly: bigint, bits: 32 | 64): Buffer {
  const table = crcTable(poly);
  const mask = (1n << BigInt(bits)) - 1n;
  let c = mask;
  for (const byte of bytes) c = (table[Number((c ^ BigInt(byte)) & 0xffn)] ?? 0n) ^ (c >> 8n);
  c ^= mask;
  const out = Buffer.alloc(bits / 8);
  for (let i = out.length - 1; i >= 0; i--, c >>= 8n) out[i] = Number(c & 0xffn);
  return out;
}

const CHECKSUM: Record<ChecksumAlgorithm, (bytes: Buffer) => Buffer> = {
  CRC32: (bytes) => crc(bytes, 0xedb88320n, 32),
  CRC32C: (bytes) => crc(bytes, 0x82f63b78n, 32),
  CRC64NVME: (bytes) => crc(bytes, 0x9a6c9329ac4bc9b5n, 64),
  SHA1: (bytes) => createHash("sha1").update(bytes).digest(),
  SHA256: (bytes) => createHash("sha256").update(bytes).digest(),
};

describe("ceph column against radosgw", () => {
  it("the checksum helpers match published check values", () => {
    // Check values of "123456789" (reveng.sourceforge.io CRC catalogue).
    const check = Buffer.from("123456789");
    expect(CHECKSUM.CRC32(check).toString("hex")).toBe("cbf43926");
    expect(CHECKSUM.CRC32C(check).toString("hex")).toBe("e3069283");
    expect(CHECKSUM.CRC64NVME(check).toString("hex")).toBe("ae8b14860a799888");
  });

  it("checksums: none claimed, because radosgw stores an object whose checksum header is wrong", async () => {
    expect(ceph.checksums).toEqual({});
    const body = Buffer.from(`checksummed ${RUN}`);
    const other = Buffer.from("other bytes");
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
      const key = `providers/cksum-${algorithm}-${RUN}`;
      const wrong = await put(key, body, { [name]: CHECKSUM[algorithm](other).toString("base64") });
      expect(wrong.status, `${algorithm}: ${wrong.text}`).toBe(200);
      expect((await get(key)).body.equals(body)).toBe(true);
    }
    // Nor does a multipart upload announcing an algorithm check its parts.
    const done = await multipart(
      `providers/cksum-mpu-${RUN}`,
      body,
      { "x-amz-checksum-algorithm": "CRC32" },
      {},
      { "x-amz-checksum-crc32": CHECKSUM.CRC32(other).toString("base64") },
    );
    expect(done.status, done.text).toBe(200);
  });

  it("conditional PUT: claimed, and If-None-Match: * / a wrong If-Match are refused with 412", async () => {
    expect(ceph.conditionalPut).toBe(true);
    const key = `providers/cond-${RUN}`;
    const first = await put(key, Buffer.from("first"), { "If-None-Match": "*" });
    expect(first.status, first.text).toBe(200);
    const again = await put(key, Buffer.from("second"), { "If-None-Match": "*" });
    expect(again.status).toBe(412);
    expect(again.code).toBe("PreconditionFailed");
    const wrong = await put(key, Buffer.from("second"), {
      "If-Match": '"0123456789abcdef0123456789abcdef"',
    });
    expect(wrong.status).toBe(412);
    const etag = header(first, "etag") ?? "";
    // radosgw 16 compares If-Match with the bare ETag: the quoted header value is refused.
    expect((await put(key, Buffer.from("second"), { "If-Match": etag })).status).toBe(412);
    const bare = await put(key, Buffer.from("second"), { "If-Match": etag.replaceAll('"', "") });
    expect(bare.status, bare.text).toBe(200);
    expect((await get(key)).text).toBe("second");
  });

  it("conditional complete: not claimed, because radosgw ignores If-None-Match on CompleteMultipartUpload", async () => {
    expect(ceph.conditionalComplete).toBe(false);
    const key = `providers/cond-mpu-${RUN}`;
    expect((await put(key, Buffer.from("existing"))).status).toBe(200);
    const done = await multipart(key, Buffer.from("replacement"), {}, { "If-None-Match": "*" });
    expect(done.status, done.text).toBe(200);
    expect((await get(key)).text).toBe("replacement");
  });

  it("tagging: not claimed, because radosgw keeps tags on PutObject but drops them on CreateMultipartUpload", async () => {
    expect(ceph.tagging).toBe(false);
    const single = `providers/tag-${RUN}`;
    expect((await put(single, Buffer.from("x"), { "x-amz-tagging": "team=a" })).status).toBe(200);
    expect((await s3(objectUrl(single, "?tagging"))).text).toContain("<Key>team</Key>");
    const multi = `providers/tag-mpu-${RUN}`;
    const done = await multipart(multi, Buffer.from("x"), {
      "x-amz-tagging": "team=a",
      "x-amz-meta-kept": "yes",
    });
    expect(done.status, done.text).toBe(200);
    const head = await s3(objectUrl(multi), { method: "HEAD" });
    expect(header(head, "x-amz-meta-kept")).toBe("yes");
    expect((await s3(objectUrl(multi, "?tagging"))).text).not.toContain("<Key>team</Key>");
  });

  it("SSE: both modes claimed, and a radosgw without a KMS refuses them loudly (400)", async () => {
    expect(ceph.sse).toEqual(["AES256", "aws:kms"]);
    for (const mode of ceph.sse) {
      const res = await put(`providers/sse-${RUN}`, Buffer.from("x"), {
        "x-amz-server-side-encryption": mode,
      });
      expect(res.status, mode).toBe(400);
      expect(res.code).toBe("InvalidRequest");
    }
  });

  it("storage classes: the server's list — STANDARD stored, a class not configured refused (400)", async () => {
    expect(ceph.storageClasses).toBeUndefined();
    const standard = await put(`providers/sc-${RUN}`, Buffer.from("x"), {
      "x-amz-storage-class": "STANDARD",
    });
    expect(standard.status, standard.text).toBe(200);
    for (const storageClass of ["STANDARD_IA", "NO_SUCH_CLASS"]) {
      const res = await put(`providers/sc-${storageClass}-${RUN}`, Buffer.from("x"), {
        "x-amz-storage-class": storageClass,
      });
      expect(res.status, storageClass).toBe(400);
      expect(res.code).toBe("InvalidArgument");
    }
  });

  it("maxExpiresIn: a URL of exactly the maximum works, one second more is refused", async () => {
    const key = `providers/exp-${RUN}`;
    expect((await put(key, Buffer.from("x"))).status).toBe(200);
    const presigned = async (seconds: number) => {
      const url = new URL(objectUrl(key));
      url.searchParams.set("X-Amz-Expires", String(seconds));
      const signed = await client.sign(url.toString(), { aws: { signQuery: true } });
      return s3Request(signed.url);
    };
    expect((await presigned(ceph.maxExpiresIn)).status).toBe(200);
    expect((await presigned(ceph.maxExpiresIn + 1)).status).toBe(403);
  });

  it("virtual-host style: claimed, and a header-signed GET by bucket host name works", async () => {
    expect(ceph.virtualHost).toBe(true);
    const key = `providers/vhost-${RUN}`;
    expect((await put(key, Buffer.from("vhost"))).status).toBe(200);
    const res = await s3(`http://${S3.bucket}.${S3.vhostSuffix}/${key}`);
    expect(res.status, res.text).toBe(200);
    expect(res.text).toBe("vhost");
  });

  it("POST policy: claimed, and a signed form upload is stored while one over its size is refused", async () => {
    expect(ceph.postPolicy).toBe(true);
    const key = `providers/post-${RUN}`;
    const form = await createPostPolicy({
      credentials: {
        accessKeyId: required("S3_ACCESS_KEY_ID"),
        secretAccessKey: required("S3_SECRET_ACCESS_KEY"),
      },
      bucket: {
        endpoint: S3.endpoint,
        bucket: S3.bucket,
        region: S3.region,
        style: "path",
        credentials: "S3_E2E",
        provider: "ceph",
      },
      fullKey: key,
      expiresIn: 300,
      now: new Date(),
      minBytes: 0,
      maxBytes: 10,
      successActionStatus: "204",
    });
    const send = async (file: Buffer) => {
      const body = new FormData();
      for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
      body.append("file", new Blob([file]), "upload.bin");
      return (await fetch(form.url, { method: "POST", body })).status;
    };
    expect(await send(Buffer.alloc(11, 97))).toBe(400);
    expect(await send(Buffer.from("posted"))).toBe(204);
    expect((await get(key)).text).toBe("posted");
  });
});
