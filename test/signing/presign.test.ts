import { AwsClient, AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import getVector from "../vectors/s3-presign-get.json";
import { encodeKeyPath } from "../../src/keys";
import { amzDate, clientFor, objectUrl, presign } from "../../src/signing/presign";
import type { BucketConfig } from "../../src/tenants/schema";
import { sha256Hex, verifyPresignedUrl } from "../sigv4-verifier";
import { TRICKY_KEYS } from "../fixtures/keys";

const vectorClient = new AwsClient({
  accessKeyId: getVector.accessKeyId,
  secretAccessKey: getVector.secretAccessKey,
  service: "s3",
});

const exampleBucket: BucketConfig = {
  endpoint: "https://s3.amazonaws.com",
  bucket: "examplebucket",
  region: "us-east-1",
  style: "virtual",
  credentials: "UNUSED",
  provider: "generic",
};

describe("presign() against the AWS presigned-GET vector", () => {
  it("reproduces the published URL and signature exactly with a pinned clock", async () => {
    const { url, headers } = await presign(vectorClient, {
      method: "GET",
      bucket: exampleBucket,
      fullKey: "test.txt",
      expiresIn: getVector.expiresIn,
      now: new Date("2013-05-24T00:00:00Z"),
    });
    expect(url).toBe(
      "https://examplebucket.s3.amazonaws.com/test.txt" +
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
        `&X-Amz-Signature=${getVector.signature}`,
    );
    expect(headers).toEqual({});
  });

  it("is matched by the independent test verifier, canonical request and all", async () => {
    const { url } = await presign(vectorClient, {
      method: "GET",
      bucket: exampleBucket,
      fullKey: "test.txt",
      expiresIn: getVector.expiresIn,
      now: new Date("2013-05-24T00:00:00Z"),
    });
    const verified = await verifyPresignedUrl(url, "GET", {
      secretAccessKey: getVector.secretAccessKey,
      style: "virtual",
    });
    expect(verified.canonicalRequest).toBe(getVector.canonicalRequest);
    expect(await sha256Hex(verified.canonicalRequest)).toBe(getVector.canonicalRequestSha256);
    expect(verified.valid).toBe(true);
  });

  it("formats X-Amz-Date as SigV4 basic ISO 8601", () => {
    expect(amzDate(new Date("2015-08-30T12:36:00.123Z"))).toBe("20150830T123600Z");
  });
});

/** Cases of the AWS SigV4 test suite (credentials AKIDEXAMPLE, 20150830T123600Z, service). */
const SUITE = [
  {
    name: "get-vanilla",
    path: "/",
    query: {},
    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "get-utf8",
    path: `/${encodeKeyPath("ሴ")}`,
    query: {},
    signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
  },
  {
    name: "get-unreserved",
    path: `/${encodeKeyPath("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")}`,
    query: {},
    signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
  },
  {
    name: "get-vanilla-utf8-query",
    path: "/",
    query: { ሴ: "bar" },
    signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
  },
  {
    name: "get-vanilla-query-order-key-case",
    path: "/",
    query: { Param2: "value2", Param1: "value1" },
    signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
  },
];

describe("the SigV4 test suite with our path encoding", () => {
  for (const testCase of SUITE) {
    it(`signs ${testCase.name} as published`, async () => {
      const query = new URLSearchParams(testCase.query).toString();
      const signer = new AwsV4Signer({
        method: "GET",
        url: `https://example.amazonaws.com${testCase.path}${query ? `?${query}` : ""}`,
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        service: "service",
        region: "us-east-1",
        datetime: "20150830T123600Z",
        singleEncode: true,
      });
      expect(await signer.signature()).toBe(testCase.signature);
    });
  }
});

describe("presigned URLs for keys S3 users actually have", () => {
  const secret = "s3cr3t/with+chars";
  const client = new AwsClient({ accessKeyId: "AKIDTEST", secretAccessKey: secret });
  for (const style of ["virtual", "path"] as const) {
    for (const key of TRICKY_KEYS) {
      it(`${style} style: '${key}' decodes to the same key and verifies`, async () => {
        const endpoint = style === "path" ? "http://127.0.0.1:7480" : "http://s3.localhost:7480";
        const bucket = { ...exampleBucket, style, endpoint };
        const { url } = await presign(client, {
          method: "PUT",
          bucket,
          fullKey: `tenant/${key}`,
          expiresIn: 60,
          now: new Date(),
          signedHeaders: { "content-type": "text/plain", "content-length": "5" },
        });
        const verified = await verifyPresignedUrl(url, "PUT", {
          secretAccessKey: secret,
          style,
          headers: { "content-type": "text/plain", "content-length": "5" },
        });
        expect(verified.key).toBe(`tenant/${key}`);
        expect(verified.bucket).toBe("examplebucket");
        expect(verified.valid).toBe(true);
        expect(verified.params.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");
      });
    }
  }

  it("a changed signed header value no longer verifies", async () => {
    const { url } = await presign(client, {
      method: "PUT",
      bucket: exampleBucket,
      fullKey: "k",
      expiresIn: 60,
      now: new Date(),
      signedHeaders: { "content-length": "5" },
    });
    const verified = await verifyPresignedUrl(url, "PUT", {
      secretAccessKey: secret,
      style: "virtual",
      headers: { "content-length": "6" },
    });
    expect(verified.valid).toBe(false);
  });

  it("response overrides are signed query parameters encoded with %20, not '+'", async () => {
    const { url } = await presign(client, {
      method: "GET",
      bucket: exampleBucket,
      fullKey: "k",
      expiresIn: 60,
      now: new Date(),
      query: { "response-content-disposition": 'attachment; filename="a b.txt"' },
    });
    expect(url).toContain(
      "response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22",
    );
    expect(url).not.toContain("+");
    const verified = await verifyPresignedUrl(url, "GET", {
      secretAccessKey: secret,
      style: "virtual",
    });
    expect(verified.valid).toBe(true);
  });

  it("temporary credentials add X-Amz-Security-Token to the signed query", async () => {
    const temp = clientFor("temp-creds", {
      accessKeyId: "ASIATEMP",
      secretAccessKey: secret,
      sessionToken: "session/token+=",
    });
    const { url } = await presign(temp, {
      method: "GET",
      bucket: exampleBucket,
      fullKey: "k",
      expiresIn: 60,
      now: new Date(),
    });
    const verified = await verifyPresignedUrl(url, "GET", {
      secretAccessKey: secret,
      style: "virtual",
    });
    expect(verified.params.get("X-Amz-Security-Token")).toBe("session/token+=");
    expect(verified.valid).toBe(true);
  });
});

describe("objectUrl()", () => {
  it("puts the bucket in the host for virtual style and in the path for path style", () => {
    const bucket = { ...exampleBucket, endpoint: "http://127.0.0.1:7480" };
    expect(objectUrl({ ...bucket, style: "path" }, "a b/c")).toBe(
      "http://127.0.0.1:7480/examplebucket/a%20b/c",
    );
    expect(objectUrl(exampleBucket, "a b/c")).toBe(
      "https://examplebucket.s3.amazonaws.com/a%20b/c",
    );
  });

  it("keeps a key's '..'-looking percent sequences literal instead of folding them", () => {
    expect(objectUrl(exampleBucket, "x/%2e%2e/y")).toBe(
      "https://examplebucket.s3.amazonaws.com/x/%252e%252e/y",
    );
  });
});
