/**
 * Object headers at upload (src/signing/object-headers.ts): the request fields' rules, the
 * tenant's forced, forbidden and allowed values, the provider checks, and how the result is
 * written as headers (PUT, multipart) and as POST form fields.
 */
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { isCacheControl, isContentEncoding, isContentLanguage } from "../../src/http/lists";
import {
  headersOf,
  ObjectHeaderFields,
  postFieldsOf,
  resolveObjectHeaders,
  taggingHeader,
  taggingXml,
  type ObjectHeaderPolicy,
  type ObjectHeaderRequest,
} from "../../src/signing/object-headers";
import type { Provider } from "../../src/s3/providers";
import { gatewayErrorOf } from "../helpers";

const Fields = v.strictObject(ObjectHeaderFields);
const valid = (input: Record<string, unknown>) => v.safeParse(Fields, input).success;

const bucketOf = (provider: Provider = "generic") => ({ provider });

function resolve(
  request: ObjectHeaderRequest,
  policy: ObjectHeaderPolicy = {},
  provider: Provider = "generic",
) {
  return resolveObjectHeaders(policy, bucketOf(provider), request);
}

async function refusal(
  request: ObjectHeaderRequest,
  policy: ObjectHeaderPolicy = {},
  provider: Provider = "generic",
) {
  const error = await gatewayErrorOf(
    Promise.resolve().then(() => resolve(request, policy, provider)),
  );
  return { code: error.code, status: error.status, field: error.field, detail: error.message };
}

describe("field values (RFC 9111 §5.2, RFC 9110 §8.4 and §8.5 lists)", () => {
  it("takes Cache-Control directive lists and refuses anything else", () => {
    for (const value of [
      "no-cache",
      "public, max-age=31536000, immutable",
      'private="set-cookie", max-age=0',
      "max-age=60,s-maxage=120",
    ]) {
      expect(isCacheControl(value), value).toBe(true);
    }
    for (const value of [
      "",
      " max-age=60",
      "max-age=60,",
      "a,,b",
      "max-age = 60",
      "max-age=60\r\nSet-Cookie: x=1",
      'max-age="unterminated',
      "public; max-age=1",
      "caché",
    ]) {
      expect(isCacheControl(value), value).toBe(false);
    }
  });

  it("takes content codings and language tags, comma-separated", () => {
    expect(isContentEncoding("gzip")).toBe(true);
    expect(isContentEncoding("gzip, br")).toBe(true);
    expect(isContentEncoding("gzip;q=1")).toBe(false);
    expect(isContentEncoding("gzip,")).toBe(false);
    expect(isContentLanguage("en")).toBe(true);
    expect(isContentLanguage("de-CH, zh-Hant-TW")).toBe(true);
    expect(isContentLanguage("en_US")).toBe(false);
    expect(isContentLanguage("toolonglanguage")).toBe(false);
    expect(isContentLanguage("en-")).toBe(false);
  });

  it("validates each request field", () => {
    expect(valid({ cacheControl: "no-store" })).toBe(true);
    expect(valid({ cacheControl: "no store" })).toBe(false);
    expect(valid({ cacheControl: "x".repeat(257) })).toBe(false);
    expect(valid({ contentDisposition: "inline" })).toBe(true);
    expect(valid({ contentDisposition: "attachment; filename*=UTF-8''%E2%82%AC.pdf" })).toBe(true);
    expect(valid({ contentDisposition: 'attachment; filename="a", inline' })).toBe(false);
    expect(valid({ contentDisposition: "attachment; filename=a; filename=b" })).toBe(false);
    expect(valid({ storageClass: "STANDARD_IA" })).toBe(true);
    expect(valid({ storageClass: "standard" })).toBe(false);
    expect(valid({ sse: "aws:kms", kmsKeyId: "alias/uploads" })).toBe(true);
    expect(valid({ sse: "SSE-C" })).toBe(false);
    expect(valid({ kmsKeyId: "has space" })).toBe(false);
  });

  it("holds tags to S3's limits: 1 to 10 tags, key ≤ 128 and value ≤ 256 characters, S3's characters", () => {
    const tags = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    expect(valid({ tagging: tags(10) })).toBe(true);
    expect(valid({ tagging: tags(11) })).toBe(false);
    expect(valid({ tagging: {} })).toBe(false);
    // Characters, not bytes or UTF-16 units: 128 'é' (256 bytes) and 256 '日' are within the limits.
    expect(valid({ tagging: { ["é".repeat(128)]: "日".repeat(256) } })).toBe(true);
    expect(valid({ tagging: { ["é".repeat(129)]: "v" } })).toBe(false);
    expect(valid({ tagging: { k: "日".repeat(257) } })).toBe(false);
    expect(valid({ tagging: { "team name": "a+b-c=d.e_f:g/h@i", empty: "" } })).toBe(true);
    expect(valid({ tagging: { "a&b": "v" } })).toBe(false);
    expect(valid({ tagging: { k: "v?x" } })).toBe(false);
    expect(valid({ tagging: { "": "v" } })).toBe(false);
    expect(valid({ tagging: { "aws:owner": "v" } })).toBe(false);
  });
});

describe("resolveObjectHeaders: the caller's values", () => {
  it("passes through what the caller asks for", () => {
    expect(
      resolve({
        cacheControl: "max-age=60",
        contentDisposition: "inline",
        contentEncoding: "gzip",
        contentLanguage: "en",
        storageClass: "STANDARD",
        tagging: { a: "1" },
        sse: "aws:kms",
        kmsKeyId: "alias/k",
      }),
    ).toEqual({
      cacheControl: "max-age=60",
      contentDisposition: "inline",
      contentEncoding: "gzip",
      contentLanguage: "en",
      storageClass: "STANDARD",
      tagging: { a: "1" },
      sse: { mode: "aws:kms", kmsKeyId: "alias/k" },
    });
    expect(resolve({})).toEqual({});
  });

  it("builds the disposition of a filename as links do (RFC 6266 with RFC 8187 filename*)", () => {
    expect(resolve({ filename: "Q3 résumé.pdf" }).contentDisposition).toBe(
      `attachment; filename="Q3 r_sum_.pdf"; filename*=UTF-8''Q3%20r%C3%A9sum%C3%A9.pdf`,
    );
  });

  it("refuses filename with contentDisposition, and kmsKeyId without aws:kms", async () => {
    expect(await refusal({ filename: "a.txt", contentDisposition: "inline" })).toMatchObject({
      status: 400,
      field: "filename",
    });
    expect(await refusal({ kmsKeyId: "alias/k" })).toMatchObject({
      status: 400,
      field: "kmsKeyId",
    });
    expect(await refusal({ sse: "AES256", kmsKeyId: "alias/k" })).toMatchObject({
      status: 400,
      field: "kmsKeyId",
    });
  });
});

describe("resolveObjectHeaders: the tenant's policy", () => {
  it("applies a forced value when the caller sends none, and accepts the same value", () => {
    const policy: ObjectHeaderPolicy = {
      cacheControl: "private, max-age=0",
      sse: { mode: "aws:kms", kmsKeyId: "alias/tenant" },
      tagging: { tenant: "acme" },
    };
    const forced = {
      cacheControl: "private, max-age=0",
      sse: { mode: "aws:kms", kmsKeyId: "alias/tenant" },
      tagging: { tenant: "acme" },
    };
    expect(resolve({}, policy)).toEqual(forced);
    expect(
      resolve(
        {
          cacheControl: "private, max-age=0",
          sse: "aws:kms",
          kmsKeyId: "alias/tenant",
          tagging: { tenant: "acme" },
        },
        policy,
      ),
    ).toEqual(forced);
  });

  it("refuses (403) a value other than the forced one, naming the field", async () => {
    const sse: ObjectHeaderPolicy = { sse: { mode: "aws:kms", kmsKeyId: "alias/tenant" } };
    expect(await refusal({ sse: "AES256" }, sse)).toMatchObject({ status: 403, field: "sse" });
    // Another key, or none where the tenant names one, is a change too.
    expect(await refusal({ sse: "aws:kms", kmsKeyId: "alias/mine" }, sse)).toMatchObject({
      status: 403,
      field: "sse",
    });
    expect(await refusal({ sse: "aws:kms" }, sse)).toMatchObject({ status: 403, field: "sse" });
    const refused = await refusal({ cacheControl: "no-store" }, { cacheControl: "max-age=60" });
    expect(refused).toMatchObject({ code: "forbidden", field: "cacheControl" });
    expect(refused.detail).toContain("'max-age=60'");
    expect(
      await refusal({ tagging: { tenant: "acme", extra: "x" } }, { tagging: { tenant: "acme" } }),
    ).toMatchObject({ status: 403, field: "tagging" });
    // A filename is a disposition: compared as the value it builds, named as filename.
    expect(
      await refusal({ filename: "a.txt" }, { contentDisposition: "attachment" }),
    ).toMatchObject({ status: 403, field: "filename" });
    expect(
      resolve({ filename: "a.txt" }, { contentDisposition: 'attachment; filename="a.txt"' }),
    ).toEqual({ contentDisposition: 'attachment; filename="a.txt"' });
  });

  it("refuses (403) a forbidden field, and a filename when the disposition is forbidden", async () => {
    const policy: ObjectHeaderPolicy = { forbid: ["tagging", "contentDisposition", "sse"] };
    expect(await refusal({ tagging: { a: "b" } }, policy)).toMatchObject({
      status: 403,
      field: "tagging",
    });
    expect(await refusal({ filename: "a.txt" }, policy)).toMatchObject({
      status: 403,
      field: "filename",
    });
    expect(await refusal({ sse: "AES256" }, policy)).toMatchObject({ status: 403, field: "sse" });
    expect(resolve({ cacheControl: "no-cache" }, policy)).toEqual({ cacheControl: "no-cache" });
  });

  it("holds storage classes to the tenant's list (403)", async () => {
    const policy: ObjectHeaderPolicy = { storageClasses: ["STANDARD", "STANDARD_IA"] };
    expect(resolve({ storageClass: "STANDARD_IA" }, policy)).toEqual({
      storageClass: "STANDARD_IA",
    });
    expect(await refusal({ storageClass: "GLACIER" }, policy)).toMatchObject({
      status: 403,
      field: "storageClass",
    });
  });
});

describe("resolveObjectHeaders: the provider (409 unsupported_by_provider)", () => {
  it("refuses tags, SSE and unknown storage classes on r2, before anything is signed", async () => {
    expect(await refusal({ tagging: { a: "b" } }, {}, "r2")).toMatchObject({
      code: "unsupported_by_provider",
      field: "tagging",
    });
    expect(await refusal({ sse: "AES256" }, {}, "r2")).toMatchObject({
      code: "unsupported_by_provider",
      field: "sse",
    });
    expect(await refusal({ storageClass: "GLACIER" }, {}, "r2")).toMatchObject({
      code: "unsupported_by_provider",
      field: "storageClass",
    });
    expect(resolve({ storageClass: "STANDARD_IA" }, {}, "r2")).toEqual({
      storageClass: "STANDARD_IA",
    });
  });

  it("checks a forced value against the provider too", async () => {
    expect(await refusal({}, { sse: { mode: "AES256" } }, "r2")).toMatchObject({
      code: "unsupported_by_provider",
    });
  });

  it("leaves storage classes unchecked where the provider's list is unknown (ceph)", () => {
    expect(resolve({ storageClass: "COLD" }, {}, "ceph")).toEqual({ storageClass: "COLD" });
  });
});

describe("writing the headers", () => {
  const all = resolve({
    cacheControl: "max-age=60",
    filename: "naïve.txt",
    contentEncoding: "gzip",
    storageClass: "STANDARD",
    tagging: { "team name": "a/b", project: "日本" },
    sse: "aws:kms",
    kmsKeyId: "alias/k",
  });

  it("as signed headers for PutObject and CreateMultipartUpload", () => {
    expect(headersOf({ ...all, contentLanguage: "en" })).toEqual({
      "cache-control": "max-age=60",
      "content-disposition": `attachment; filename="na_ve.txt"; filename*=UTF-8''na%C3%AFve.txt`,
      "content-encoding": "gzip",
      "content-language": "en",
      "x-amz-storage-class": "STANDARD",
      "x-amz-tagging": "team%20name=a%2Fb&project=%E6%97%A5%E6%9C%AC",
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": "alias/k",
    });
  });

  it("encodes x-amz-tagging as URL query parameters that decode to the tags", () => {
    const tags = { "a=b": "c&d", "e f": "g+h" };
    expect(Object.fromEntries(new URLSearchParams(taggingHeader(tags)))).toEqual(tags);
  });

  it("as POST form fields, tags as an XML Tagging document with escaped text", () => {
    expect(postFieldsOf(all)).toEqual({
      "Cache-Control": "max-age=60",
      "Content-Disposition": `attachment; filename="na_ve.txt"; filename*=UTF-8''na%C3%AFve.txt`,
      "Content-Encoding": "gzip",
      "x-amz-storage-class": "STANDARD",
      tagging:
        "<Tagging><TagSet><Tag><Key>team name</Key><Value>a/b</Value></Tag>" +
        "<Tag><Key>project</Key><Value>日本</Value></Tag></TagSet></Tagging>",
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": "alias/k",
    });
    expect(taggingXml({ k: "<&>" })).toBe(
      "<Tagging><TagSet><Tag><Key>k</Key><Value>&#60;&#38;&#62;</Value></Tag></TagSet></Tagging>",
    );
  });

  it("refuses (409) a forced Content-Language on a POST form, which has no such field", async () => {
    const error = await gatewayErrorOf(
      Promise.resolve().then(() => postFieldsOf(resolve({}, { contentLanguage: "en" }))),
    );
    expect(error.code).toBe("conflict");
  });
});
