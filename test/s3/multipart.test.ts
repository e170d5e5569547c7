import { AwsClient } from "aws4fetch";
import { describe, expect, it, vi } from "vitest";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  MIN_PART_SIZE,
  s3Client,
  suggestPartSize,
  s3Failure,
  type S3Target,
} from "../../src/s3/multipart";
import type { BucketConfig } from "../../src/tenants/schema";
import { FakeS3 } from "../fake-s3";
import { gatewayErrorOf } from "../helpers";

const MiB = 1024 ** 2;

const bucket: BucketConfig = {
  endpoint: "http://127.0.0.1:7480",
  bucket: "bkt",
  region: "us-east-1",
  style: "path",
  credentials: "UNUSED",
  provider: "generic",
};

function target(fullKey = "t/users/alice/big.bin"): S3Target {
  const signer = new AwsClient({
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "secret",
    service: "s3",
  });
  return {
    client: s3Client(signer, bucket.region),
    bucket,
    fullKey,
    log: { requestId: "r1", tenant: "t" },
  };
}

describe("suggestPartSize()", () => {
  it("is at least 5 MiB, a whole number of MiB, and keeps the part count at 1,000 or less", () => {
    expect(suggestPartSize(undefined)).toBe(MIN_PART_SIZE);
    expect(suggestPartSize(0)).toBe(5 * MiB);
    expect(suggestPartSize(12 * MiB)).toBe(5 * MiB);
    expect(suggestPartSize(5000 * MiB)).toBe(5 * MiB);
    expect(suggestPartSize(5000 * MiB + 1)).toBe(6 * MiB);
    expect(suggestPartSize(100 * 1024 * MiB)).toBe(103 * MiB);
    for (const size of [1, 7 * MiB + 3, 9_999 * MiB, 123_456_789_012, 5 * 1024 ** 4]) {
      const partSize = suggestPartSize(size);
      expect(partSize % MiB).toBe(0);
      expect(partSize).toBeGreaterThanOrEqual(5 * MiB);
      expect(partSize).toBeLessThanOrEqual(5 * 1024 * MiB);
      expect(Math.ceil(size / partSize)).toBeLessThanOrEqual(10_000);
    }
  });

  it("caps at S3's 5 GiB part size for the largest objects", () => {
    expect(suggestPartSize(5 * 1024 ** 4)).toBe(5 * 1024 * MiB);
  });
});

describe("S3 multipart calls", () => {
  it("CreateMultipartUpload signs Content-Type and sends no retries", async () => {
    const s3 = new FakeS3().install();
    const uploadId = await createMultipartUpload(target(), "image/png");
    expect(s3.uploads.get(uploadId)).toMatchObject({
      bucket: "bkt",
      key: "t/users/alice/big.bin",
      contentType: "image/png",
    });
    const [created] = s3.callsOf("CreateMultipartUpload");
    expect(created?.headers.get("authorization")).toMatch(/SignedHeaders=[^,]*content-type/);
    expect(created?.headers.get("authorization")).toMatch(
      /Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/s3\/aws4_request/,
    );

    s3.fail("CreateMultipartUpload", 503, "SlowDown");
    const error = await gatewayErrorOf(createMultipartUpload(target(), undefined));
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain("SlowDown");
    expect(s3.callsOf("CreateMultipartUpload")).toHaveLength(2);
  });

  it("ListParts follows every page and keeps part numbers, ETags and sizes", async () => {
    const s3 = new FakeS3().install();
    const t = target();
    const uploadId = await createMultipartUpload(t, undefined);
    for (let n = 1; n <= 2345; n++) s3.addPart(uploadId, n, n);
    const parts = await listParts(t, uploadId);
    expect(parts).toHaveLength(2345);
    expect(parts[2344]).toEqual({
      partNumber: 2345,
      etag: expect.stringMatching(/^"/),
      size: 2345,
    });
    const markers = s3.callsOf("ListParts").map((c) => c.query.get("part-number-marker"));
    expect(markers).toEqual(["0", "1000", "2000"]);
    expect(await listParts(t, uploadId, 1)).toHaveLength(1);
    expect(s3.callsOf("ListParts").at(-1)?.query.get("max-parts")).toBe("1");
  });

  it("ListParts refuses a page that does not move the marker instead of looping", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(
        async () =>
          new Response(
            "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>0</NextPartNumberMarker></ListPartsResult>",
          ),
      ),
    );
    const error = await gatewayErrorOf(listParts(target(), "u"));
    expect(error.code).toBe("upstream_error");
  });

  it("an answer with a DOCTYPE, bad nesting or over 1 MiB is an unreadable 502, whatever it holds", async () => {
    const created = (body: string) =>
      `<InitiateMultipartUploadResult>${body}</InitiateMultipartUploadResult>`;
    for (const body of [
      `<!DOCTYPE r [<!ENTITY id "u1">]>${created("<UploadId>&id;</UploadId>")}`,
      created("<UploadId>u1</UploadId>").replace("</UploadId>", ""),
      `${created("<UploadId>u1</UploadId>")}<UploadId>u2</UploadId>`,
      created(`<UploadId>u1</UploadId><Owner>${" ".repeat(1024 ** 2)}</Owner>`),
    ]) {
      vi.stubGlobal(
        "fetch",
        vi.fn(async () => new Response(body)),
      );
      const error = await gatewayErrorOf(createMultipartUpload(target(), undefined));
      expect(error.code).toBe("upstream_error");
      expect(error.message).toContain("unreadable");
    }
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(created("<UploadId>u1</UploadId>"))),
    );
    expect(await createMultipartUpload(target(), undefined)).toBe("u1");
  });

  it("maps S3 errors: NoSuchUpload/NoSuchKey → 404, InvalidPart → 400, others → 502 naming the code", async () => {
    const s3 = new FakeS3().install();
    expect((await gatewayErrorOf(listParts(target(), "nope"))).code).toBe("not_found");
    s3.fail("ListParts", 404, "NoSuchKey");
    const notFound = await gatewayErrorOf(listParts(target(), "nope"));
    expect(notFound.status).toBe(404);
    expect(notFound.message).toContain("NoSuchKey");
    s3.fail("ListParts", 404, "NoSuchBucket");
    expect((await gatewayErrorOf(listParts(target(), "nope"))).code).toBe("upstream_error");
    s3.fail("ListParts", 403, "AccessDenied");
    const denied = await gatewayErrorOf(listParts(target(), "nope"));
    expect(denied.status).toBe(502);
    expect(denied.message).toContain("AccessDenied");
    s3.fail("CompleteMultipartUpload", 400, "InvalidPart");
    expect(
      (await gatewayErrorOf(completeMultipartUpload(target(), "u", [{ partNumber: 1, etag: "e" }])))
        .code,
    ).toBe("invalid_request");
    s3.fail("AbortMultipartUpload", 500, "x", "<html>oops</html>");
    const html = await gatewayErrorOf(abortMultipartUpload(target(), "u"));
    expect(html.message).toContain("HTTP 500");
  });

  it("CompleteMultipartUpload reads an error sent with status 200", async () => {
    const s3 = new FakeS3().install();
    s3.fail("CompleteMultipartUpload", 200, "InternalError");
    const error = await gatewayErrorOf(
      completeMultipartUpload(target(), "u", [{ partNumber: 1, etag: '"e"' }]),
    );
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain("InternalError");
  });

  it("CompleteMultipartUpload sends escaped ETags and a signed payload hash", async () => {
    const s3 = new FakeS3().install();
    const t = target();
    const uploadId = await createMultipartUpload(t, undefined);
    const etag = s3.addPart(uploadId, 1, 10);
    await completeMultipartUpload(t, uploadId, [{ partNumber: 1, etag }]);
    const [call] = s3.callsOf("CompleteMultipartUpload");
    expect(call?.body).toContain("<ETag>&#34;");
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(call?.body));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(call?.headers.get("x-amz-content-sha256")).toBe(hex);
  });

  it("reads the ETag from HeadObject when the result's <ETag> is empty (radosgw 16)", async () => {
    const s3 = new FakeS3().install();
    s3.emptyCompleteEtag = true;
    const t = target();
    const uploadId = await createMultipartUpload(t, undefined);
    const etag = s3.addPart(uploadId, 1, 10);
    expect(await completeMultipartUpload(t, uploadId, [{ partNumber: 1, etag }])).toBe(
      '"feedface1-1"',
    );
    expect(s3.calls.at(-1)).toMatchObject({
      operation: "HeadObject",
      key: "t/users/alice/big.bin",
    });
  });

  it("a network failure is a 502 and the log line carries neither URL nor secret", async () => {
    const s3 = new FakeS3().install();
    s3.fail("ListParts", "network");
    const log = vi.spyOn(console, "error");
    const error = await gatewayErrorOf(listParts(target(), "u"));
    const lines = log.mock.calls.map((args) => String(args[0]));
    log.mockRestore();
    expect(error.code).toBe("upstream_error");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      event: "s3_call_failed",
      operation: "ListParts",
      error: "TypeError",
    });
    expect(lines[0]).not.toContain("http");
    expect(lines[0]).not.toContain("secret");
  });
});

describe("s3Failure", () => {
  it("maps S3 error codes that are Object.prototype names to upstream_error, not a 500", () => {
    for (const code of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const error = s3Failure(target(), "CompleteMultipartUpload", 400, code, null);
      expect(error.code, code).toBe("upstream_error");
      expect(error.status, code).toBe(502);
    }
  });
});
