/**
 * `uploadFile` with checksums, end to end inside workerd: the typed client talks to the real
 * gateway (routes, tenant policy, signing) and to a small S3 stand-in that, like S3, refuses a
 * presigned request whose signed headers were changed (403) and a body whose checksum header is
 * not its digest (BadDigest). Digests come from the published vectors (test/vectors/), not from
 * the code under test. The gateway's own multipart calls go to the in-memory S3 (test/fake-s3.ts).
 */
import { describe, expect, it } from "vitest";
import { edgesign } from "../../src/client/index";
import { FakeS3 } from "../fake-s3";
import { call, mintToken, seedTenant } from "../helpers";
import { TEST_SECRETS } from "../secrets";
import { verifyPresignedUrl } from "../sigv4-verifier";
import vectors from "../vectors/checksums.json";

const TEST_SECRET_KEY = JSON.parse(TEST_SECRETS.S3_TEST).secretAccessKey as string;
const GATEWAY = "https://gateway.test";

/** The published digest of `body` in `algorithm`, or undefined when no vector has it. */
function publishedDigest(algorithm: string, body: string): string | undefined {
  return vectors.awsSdk.cases.find((c) => c.algorithm === algorithm && c.input === body)?.base64;
}

interface S3Request {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** The client's network: the gateway in this isolate, and S3 checking signature and digest. */
function network(s3: FakeS3) {
  const uploads: S3Request[] = [];
  const fetcher = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = await request.text();
    const headers = Object.fromEntries(request.headers);
    if (url.origin === GATEWAY) {
      return call(url.pathname + url.search, {
        method: request.method,
        headers,
        ...(body === "" ? {} : { rawBody: body }),
      });
    }
    // The length a server sees on the wire (a browser sets it; it is not a script's header).
    headers["content-length"] ??= String(new TextEncoder().encode(body).length);
    uploads.push({ method: request.method, url, headers, body });
    const verified = await verifyPresignedUrl(request.url, request.method, {
      secretAccessKey: TEST_SECRET_KEY,
      style: "virtual",
      headers,
    });
    if (!verified.valid) return s3Error(403, "SignatureDoesNotMatch");
    const algorithm = headers["x-amz-sdk-checksum-algorithm"];
    const sent =
      algorithm === undefined ? undefined : headers[`x-amz-checksum-${algorithm.toLowerCase()}`];
    if (algorithm !== undefined && sent !== publishedDigest(algorithm, body)) {
      return s3Error(400, "BadDigest");
    }
    const uploadId = url.searchParams.get("uploadId");
    const etag =
      uploadId === null
        ? '"object"'
        : s3.addPart(uploadId, Number(url.searchParams.get("partNumber")), body.length, sent);
    return new Response(null, { status: 200, headers: { ETag: etag } });
  };
  return { fetcher, uploads };
}

function s3Error(status: number, code: string): Response {
  return new Response(`<Error><Code>${code}</Code></Error>`, { status });
}

async function clientFor(overrides: Record<string, unknown>, s3: FakeS3) {
  const { id, key } = await seedTenant(overrides);
  const token = await mintToken(key, { iss: id });
  const net = network(s3);
  return {
    client: edgesign({ gateway: GATEWAY, token, fetch: net.fetcher }),
    uploads: net.uploads,
  };
}

const file = (text: string) => new Blob([new TextEncoder().encode(text)]);

describe("uploadFile with checksums", () => {
  it("signs and sends the checksum of a single PUT in the algorithm asked for", async () => {
    const s3 = new FakeS3().install();
    const { client, uploads } = await clientFor({}, s3);
    for (const algorithm of ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const) {
      const done = await client.uploadFile(file("Hello world"), {
        key: "h.txt",
        checksumAlgorithm: algorithm,
      });
      expect(done.multipart).toBe(false);
      const sent = uploads.at(-1);
      expect(sent?.headers[`x-amz-checksum-${algorithm.toLowerCase()}`]).toBe(
        publishedDigest(algorithm, "Hello world"),
      );
      expect(sent?.url.searchParams.get("X-Amz-SignedHeaders")).toContain(
        `x-amz-checksum-${algorithm.toLowerCase()}`,
      );
    }
  });

  it("uses the algorithm the tenant requires when none is asked for", async () => {
    const s3 = new FakeS3().install();
    const { client, uploads } = await clientFor({ upload: { requireChecksum: "CRC32C" } }, s3);
    await client.uploadFile(file("abc"), { key: "a.txt" });
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.headers["x-amz-checksum-crc32c"]).toBe(publishedDigest("CRC32C", "abc"));
  });

  it("creates a multipart upload with the algorithm, signs each part's checksum and completes with them", async () => {
    const s3 = new FakeS3().install();
    const { client, uploads } = await clientFor({ upload: { requireChecksum: "CRC32" } }, s3);
    // Parts "Hello world" and "abc": both have published CRC32 values.
    const done = await client.uploadFile(file("Hello worldabc"), {
      key: "big.bin",
      multipartThreshold: 5,
      partSize: 11,
    });
    expect(done).toMatchObject({ multipart: true, size: 14 });
    const created = s3.callsOf("CreateMultipartUpload")[0];
    expect(created?.headers.get("x-amz-checksum-algorithm")).toBe("CRC32");
    // Parts go up concurrently: order them by part number.
    const byPart = [...uploads].sort(
      (a, b) =>
        Number(a.url.searchParams.get("partNumber")) - Number(b.url.searchParams.get("partNumber")),
    );
    expect(byPart.map((u) => u.headers["x-amz-checksum-crc32"])).toEqual([
      publishedDigest("CRC32", "Hello world"),
      publishedDigest("CRC32", "abc"),
    ]);
    // The in-memory S3 completes only with each part's own checksum (test/fake-s3.ts).
    const complete = s3.callsOf("CompleteMultipartUpload")[0]?.body ?? "";
    expect(complete.match(/<ChecksumCRC32>/g)).toHaveLength(2);
  });
});
