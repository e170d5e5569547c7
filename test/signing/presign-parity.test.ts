import { AwsClient, AwsV4Signer } from "aws4fetch";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyProblem } from "../../src/keys";
import { objectUrl, presign, type PresignInput } from "../../src/signing/presign";
import type { BucketConfig } from "../../src/tenants/schema";
import { TRICKY_KEYS } from "../fixtures/keys";
import { verifyPresignedUrl } from "../sigv4-verifier";

/**
 * presign() signs URLs itself (one SHA-256 and one HMAC with a cached signing key) instead of
 * going through aws4fetch's AwsV4Signer. This is the AwsV4Signer way, as presign() was written
 * before: the lean signer must produce the very same URL for every input.
 */
async function referencePresign(client: AwsClient, input: PresignInput): Promise<string> {
  const query = new URLSearchParams(input.query);
  query.set("X-Amz-Expires", String(input.expiresIn));
  const signer = new AwsV4Signer({
    method: input.method,
    url: `${objectUrl(input.bucket, input.fullKey)}?${query.toString()}`,
    headers: input.signedHeaders ?? {},
    accessKeyId: client.accessKeyId,
    secretAccessKey: client.secretAccessKey,
    ...(client.sessionToken === undefined ? {} : { sessionToken: client.sessionToken }),
    service: "s3",
    region: input.bucket.region,
    datetime: input.now.toISOString().replace(/[:-]|\.\d{3}/g, ""),
    signQuery: true,
    allHeaders: true,
  });
  const signature = await signer.signature();
  return `${signer.url.origin}${signer.encodedPath}?${signer.encodedSearch}&X-Amz-Signature=${signature}`;
}

const SECRET = "parity/secret+key/0123456789abcdefGHIJ";
const permanent = new AwsClient({ accessKeyId: "AKIDPARITY", secretAccessKey: SECRET });
const temporary = new AwsClient({
  accessKeyId: "ASIAPARITY",
  secretAccessKey: SECRET,
  sessionToken: "session/token+with=chars",
});

const BUCKETS: BucketConfig[] = [
  {
    endpoint: "https://s3.us-east-1.amazonaws.com",
    bucket: "parity-bucket",
    region: "us-east-1",
    style: "virtual",
    credentials: "UNUSED",
    provider: "generic",
  },
  {
    endpoint: "http://127.0.0.1:7480",
    bucket: "parity.bucket",
    region: "eu-west-3",
    style: "path",
    credentials: "UNUSED",
    provider: "generic",
  },
  {
    endpoint: "https://ACCOUNT.R2.cloudflarestorage.com:443",
    bucket: "r2-bucket",
    region: "auto",
    style: "virtual",
    credentials: "UNUSED",
    provider: "generic",
  },
];

describe("presign() signs exactly as aws4fetch's AwsV4Signer", () => {
  const now = new Date("2026-11-23T12:34:56.789Z");
  for (const bucket of BUCKETS) {
    for (const key of TRICKY_KEYS) {
      it(`${bucket.style} ${bucket.endpoint}: '${key}'`, async () => {
        const inputs: PresignInput[] = [
          { method: "GET", bucket, fullKey: `t/${key}`, expiresIn: 900, now },
          {
            method: "PUT",
            bucket,
            fullKey: `t/${key}`,
            expiresIn: 60,
            now,
            signedHeaders: {
              "content-type": "text/plain;  charset=utf-8 ",
              "content-length": "5",
              "x-amz-checksum-sha256": "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
              "x-amz-sdk-checksum-algorithm": "SHA256",
              "x-amz-meta-note": "two  spaces\tand a tab",
            },
          },
          {
            method: "GET",
            bucket,
            fullKey: key,
            expiresIn: 3600,
            now,
            query: {
              "response-content-disposition": `attachment; filename="a b.txt"; filename*=UTF-8''%C3%BC`,
              "response-content-type": "text/plain; charset=utf-8",
              "response-cache-control": "no-store, max-age=0",
            },
          },
        ];
        for (const client of [permanent, temporary]) {
          for (const input of inputs) {
            const { url } = await presign(client, input);
            expect(url).toBe(await referencePresign(client, input));
          }
        }
      });
    }
  }

  it("for any valid key, header value and response override (property)", async () => {
    const validKey = fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).filter((key) => {
      return keyProblem(key) === undefined;
    });
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 30,
    });
    await fc.assert(
      fc.asyncProperty(
        validKey,
        printable,
        fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
        fc.constantFrom(...BUCKETS),
        fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }),
        async (key, headerValue, override, bucket, now) => {
          const put: PresignInput = {
            method: "PUT",
            bucket,
            fullKey: key,
            expiresIn: 120,
            now,
            signedHeaders: { "x-amz-meta-value": headerValue },
          };
          const get: PresignInput = {
            method: "GET",
            bucket,
            fullKey: key,
            expiresIn: 120,
            now,
            query: { "response-content-disposition": override },
          };
          for (const input of [put, get]) {
            expect((await presign(temporary, input)).url).toBe(
              await referencePresign(temporary, input),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps signing with the same key across many URLs and days, and the URLs verify", async () => {
    const bucket = BUCKETS[0] as BucketConfig;
    for (let day = 0; day < 12; day++) {
      const now = new Date(Date.UTC(2026, 0, 1 + day, 23, 59, 59));
      const { url } = await presign(permanent, {
        method: "GET",
        bucket,
        fullKey: `day/${day}.txt`,
        expiresIn: 60,
        now,
      });
      const verified = await verifyPresignedUrl(url, "GET", {
        secretAccessKey: SECRET,
        style: "virtual",
      });
      expect(verified.valid).toBe(true);
      expect(verified.key).toBe(`day/${day}.txt`);
    }
    // aws4fetch's shared derived-key cache stays bounded (one entry per day and region).
    expect(permanent.cache.size).toBeLessThanOrEqual(8);
  });

  it("refuses header values Headers would refuse, as before", async () => {
    await expect(
      presign(permanent, {
        method: "PUT",
        bucket: BUCKETS[0] as BucketConfig,
        fullKey: "k",
        expiresIn: 60,
        now: new Date(),
        signedHeaders: { "x-amz-meta-a": "line\nbreak" },
      }),
    ).rejects.toThrow(TypeError);
  });
});
