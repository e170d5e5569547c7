/**
 * Key fuzzing (property-based, fast-check): for any string a client may send as a key, the
 * gateway either refuses it with a 4xx or signs a URL whose decoded path is exactly
 * bucket + granted prefix + key, and which verifies.
 */
import { AwsClient } from "aws4fetch";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { fullKey, grantedPrefix } from "../../src/keys";
import { presign } from "../../src/signing/presign";
import type { BucketConfig } from "../../src/tenants/schema";
import { TEST_SECRETS } from "../secrets";
import { verifyPresignedUrl } from "../sigv4-verifier";
import { call, mintToken, seedTenant } from "../helpers";

const SECRET = (JSON.parse(TEST_SECRETS.S3_TEST) as { secretAccessKey: string }).secretAccessKey;
const client = new AwsClient({ accessKeyId: "AKIDFUZZ", secretAccessKey: SECRET });
const scope = { tenantPrefix: "acme/", subjectPrefix: "users/alice/", tokenPrefix: "in/" };

/** Pieces that have broken path handling somewhere, mixed with arbitrary Unicode. */
const hostilePiece = fc.constantFrom(
  "%2e%2e",
  "%2E%2E/",
  "%2f",
  "%2F",
  "%00",
  "%",
  "%%",
  "%zz",
  "\\",
  "./",
  "../",
  "//",
  "/",
  "..",
  ".",
  "\ud800",
  "\udfff",
  "é",
  "e\u0301",
  "ﬁ",
  "😀",
  "+",
  " ",
  "#",
  "?",
  "&",
  "=",
  ";",
  "~",
  "\u0000",
  "\u001f",
  "\u007f",
  "\u2028",
  "\ufeff",
  "*",
  "'",
  "(",
  ")",
  "!",
  "$",
  "@",
  ":",
);
const keyArbitrary = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.oneof(hostilePiece, fc.string({ unit: "binary", maxLength: 12 })), {
        maxLength: 10,
      })
      .map((parts) => parts.join("")),
  },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 1030 }).map((n) => "k".repeat(n - 15)) },
  { weight: 1, arbitrary: fc.integer({ min: 330, max: 345 }).map((n) => "日".repeat(n)) },
);

describe("any key string", () => {
  for (const style of ["path", "virtual"] as const) {
    it(`is refused with 4xx or signed exactly under the prefix (${style} style, 5,000 cases)`, async () => {
      const bucket: BucketConfig = {
        endpoint: style === "path" ? "http://127.0.0.1:7480" : "https://s3.us-east-1.amazonaws.com",
        bucket: "fuzz-bucket",
        region: "us-east-1",
        style,
        credentials: "S3_TEST",
        provider: "generic",
      };
      let signed = 0;
      await fc.assert(
        fc.asyncProperty(keyArbitrary, async (relativeKey) => {
          let key: string;
          try {
            key = fullKey(scope, relativeKey);
          } catch (error) {
            expect(error).toBeInstanceOf(GatewayError);
            expect((error as GatewayError).status).toBe(400);
            return;
          }
          const { url } = await presign(client, {
            method: "GET",
            bucket,
            fullKey: key,
            expiresIn: 60,
            now: new Date(),
          });
          const verified = await verifyPresignedUrl(url, "GET", { secretAccessKey: SECRET, style });
          expect(verified.bucket).toBe("fuzz-bucket");
          expect(verified.key).toBe(grantedPrefix(scope) + relativeKey);
          expect(verified.valid).toBe(true);
          signed += 1;
        }),
        { numRuns: 5000 },
      );
      expect(signed).toBeGreaterThan(1000); // the generator must reach the signer, not only refusals
      // 5,000 signed and verified URLs take ~4.5 s on an idle 2-core machine: vitest's default
      // 5 s timeout failed this test whenever the machine was busy.
    }, 60_000);
  }
});

describe("through /v1/presign", () => {
  it("keys are refused with 400 or come back as exactly prefix + key (300 cases)", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, lifetime: 600 });
    await fc.assert(
      fc.asyncProperty(keyArbitrary, async (relativeKey) => {
        const res = await call("/v1/presign", { token, body: { method: "GET", key: relativeKey } });
        if (res.status !== 200) {
          expect(res.status).toBe(400);
          return;
        }
        const json = (await res.json()) as { key: string; url: string };
        expect(json.key).toBe(`${id}/users/alice/${relativeKey}`);
        const verified = await verifyPresignedUrl(json.url, "GET", {
          secretAccessKey: SECRET,
          style: "virtual",
        });
        expect(verified.key).toBe(json.key);
        expect(verified.valid).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
