import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import postVector from "../vectors/s3-post-policy.json";
import {
  base64OfUtf8,
  bucketUrl,
  createPostPolicy,
  signPolicy,
  type PolicyDocument,
} from "../../src/signing/post-policy";
import { deriveSigningKey } from "../../src/signing/presign";
import type { BucketConfig } from "../../src/tenants/schema";
import { gatewayErrorOf } from "../helpers";
import { postPolicySignature } from "../sigv4-verifier";

const bucket: BucketConfig = {
  endpoint: "https://s3.eu-west-1.amazonaws.com",
  bucket: "acme-data",
  region: "eu-west-1",
  style: "virtual",
  credentials: "UNUSED",
  provider: "generic",
};
const credentials = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const now = new Date("2026-03-04T05:06:07.891Z");

function decodePolicy(policyBase64: string): PolicyDocument {
  const bytes = Uint8Array.from(atob(policyBase64), (c) => c.charCodeAt(0));
  return JSON.parse(
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes),
  ) as PolicyDocument;
}

describe("signPolicy() against the AWS POST example", () => {
  it("reproduces the published signature from the exact policy bytes", async () => {
    const policyBytes = atob(postVector.policyBase64);
    expect(policyBytes.length).toBe(648);
    expect(policyBytes).toContain("\r\n");
    const signature = await signPolicy(postVector.policyBase64, {
      secretAccessKey: postVector.secretAccessKey,
      date: postVector.date,
      region: postVector.region,
    });
    expect(signature).toBe(postVector.signature);
  });

  it("gives another signature for another day, region or secret", async () => {
    const scope = {
      secretAccessKey: postVector.secretAccessKey,
      date: postVector.date,
      region: postVector.region,
    };
    for (const changed of [
      { ...scope, date: "20151230" },
      { ...scope, region: "us-west-2" },
      { ...scope, secretAccessKey: `${scope.secretAccessKey}x` },
    ]) {
      expect(await signPolicy(postVector.policyBase64, changed)).not.toBe(postVector.signature);
    }
  });

  it("shares derived signing keys with aws4fetch's cache (one derivation per day and region)", async () => {
    const cache = new Map<string, ArrayBuffer>();
    await deriveSigningKey({ secretAccessKey: "s", date: "20260304", region: "eu-west-1", cache });
    expect(cache.size).toBe(1);
    const signer = new AwsV4Signer({
      method: "GET",
      url: "https://acme-data.s3.eu-west-1.amazonaws.com/a",
      accessKeyId: "AK",
      secretAccessKey: "s",
      service: "s3",
      region: "eu-west-1",
      cache,
      datetime: "20260304T000000Z",
      signQuery: true,
    });
    const fresh = new AwsV4Signer({
      method: "GET",
      url: "https://acme-data.s3.eu-west-1.amazonaws.com/a",
      accessKeyId: "AK",
      secretAccessKey: "s",
      service: "s3",
      region: "eu-west-1",
      datetime: "20260304T000000Z",
      signQuery: true,
    });
    expect(await signer.signature()).toBe(await fresh.signature());
    // aws4fetch found our key under its own cache key instead of adding a second one.
    expect(cache.size).toBe(1);
  });
});

describe("createPostPolicy()", () => {
  it("writes the exact key, size range, type, metadata and SigV4 fields as conditions", async () => {
    const { url, fields, policy, expiresAt } = await createPostPolicy({
      credentials,
      bucket,
      fullKey: "acme/users/alice/photos/cat.jpg",
      expiresIn: 300,
      now,
      minBytes: 0,
      maxBytes: 1000,
      contentType: "image/jpeg",
      metadata: { owner: "alice" },
      successActionStatus: "201",
    });
    expect(url).toBe("https://acme-data.s3.eu-west-1.amazonaws.com/");
    expect(expiresAt).toBe("2026-03-04T05:11:07.891Z");
    const credential = "AKIAIOSFODNN7EXAMPLE/20260304/eu-west-1/s3/aws4_request";
    expect(policy).toEqual({
      expiration: "2026-03-04T05:11:07.891Z",
      conditions: [
        { bucket: "acme-data" },
        { key: "acme/users/alice/photos/cat.jpg" },
        ["content-length-range", 0, 1000],
        { "Content-Type": "image/jpeg" },
        { "x-amz-meta-owner": "alice" },
        { success_action_status: "201" },
        { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
        { "x-amz-credential": credential },
        { "x-amz-date": "20260304T050607Z" },
      ],
    });
    expect(decodePolicy(fields.policy ?? "")).toEqual(policy);
    expect(fields).toEqual({
      key: "acme/users/alice/photos/cat.jpg",
      "Content-Type": "image/jpeg",
      "x-amz-meta-owner": "alice",
      success_action_status: "201",
      "x-amz-algorithm": "AWS4-HMAC-SHA256",
      "x-amz-credential": credential,
      "x-amz-date": "20260304T050607Z",
      policy: fields.policy,
      "x-amz-signature": await postPolicySignature(
        fields.policy ?? "",
        credentials.secretAccessKey,
        "20260304",
        "eu-west-1",
      ),
    });
    // Field order is the form's order: signature last, so the file can follow it.
    expect(Object.keys(fields).at(-1)).toBe("x-amz-signature");
  });

  it("covers every returned field but the policy and signature with a condition", async () => {
    const { fields, policy } = await createPostPolicy({
      credentials: { ...credentials, sessionToken: "FwoG/session+token=" },
      bucket,
      fullKey: "k",
      expiresIn: 60,
      now,
      minBytes: 0,
      maxBytes: 5,
      contentType: "text/plain",
      metadata: { a: "1", b: "2" },
      successActionStatus: "204",
    });
    expect(fields["x-amz-security-token"]).toBe("FwoG/session+token=");
    const named = new Set(
      policy.conditions.flatMap((c) => (Array.isArray(c) ? [] : Object.keys(c))),
    );
    for (const field of Object.keys(fields)) {
      if (field === "policy" || field === "x-amz-signature") continue;
      expect(named.has(field), field).toBe(true);
    }
  });

  it("allows any Content-Type with an empty starts-with when none is fixed", async () => {
    const { fields, policy } = await createPostPolicy({
      credentials,
      bucket,
      fullKey: "k",
      expiresIn: 60,
      now,
      minBytes: 0,
      maxBytes: 5,
      successActionStatus: "204",
    });
    expect(fields["Content-Type"]).toBeUndefined();
    expect(policy.conditions).toContainEqual(["starts-with", "$Content-Type", ""]);
    expect(policy.conditions.some((c) => !Array.isArray(c) && "Content-Type" in c)).toBe(false);
  });

  it("encodes Unicode keys as UTF-8 inside the base64 policy", async () => {
    const fullKey = "acme/ünïcødé/ファイル 😀.txt";
    const { fields } = await createPostPolicy({
      credentials,
      bucket,
      fullKey,
      expiresIn: 60,
      now,
      minBytes: 0,
      maxBytes: 5,
      successActionStatus: "204",
    });
    expect(decodePolicy(fields.policy ?? "").conditions).toContainEqual({ key: fullKey });
    expect(base64OfUtf8("é")).toBe("w6k=");
  });

  it("posts to endpoint/bucket in path style", () => {
    expect(bucketUrl({ ...bucket, endpoint: "http://127.0.0.1:7480", style: "path" })).toBe(
      "http://127.0.0.1:7480/acme-data",
    );
  });
});

describe("createPostPolicy() and ${filename}", () => {
  it("refuses a key S3 would rewrite (`${filename}`) with 400 invalid_key, for every caller", async () => {
    const error = await gatewayErrorOf(
      createPostPolicy({
        credentials,
        bucket,
        fullKey: "acme/users/alice/${filename}",
        expiresIn: 60,
        now,
        minBytes: 0,
        maxBytes: 10,
        successActionStatus: "204",
      }),
    );
    expect([error.code, error.field]).toEqual(["invalid_key", "key"]);
  });
});
