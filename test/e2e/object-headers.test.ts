/**
 * Object headers set at upload, against a real radosgw (16.2): what a presigned PUT, a POST form
 * and a multipart upload sign is what the server stores and answers GET/HEAD with, and a changed
 * signed header or form field is refused (403). Tags and storage classes are read with the
 * operator's own credentials (GetObjectTagging, ListObjectsV2), which no gateway route signs.
 */
import { AwsClient } from "aws4fetch";
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createTenant,
  GATEWAY_URL,
  postForm,
  presign,
  RUN,
  S3,
  s3Request,
  type TestTenant,
} from "./support";

/** The operator's client, for the reads no presigned URL of the gateway covers. */
const operator = new AwsClient({
  accessKeyId: process.env.S3_ACCESS_KEY_ID ?? "",
  secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? "",
  service: "s3",
  region: S3.region,
  retries: 0,
});

const objectUrl = (fullKey: string) =>
  `${S3.endpoint}/${S3.bucket}/${fullKey.split("/").map(encodeURIComponent).join("/")}`;

const unescapeXml = (text: string) =>
  text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

/** GetObjectTagging, as `{ key: value }`. */
async function tagsOf(fullKey: string): Promise<Record<string, string>> {
  const res = await operator.fetch(`${objectUrl(fullKey)}?tagging=`);
  const xml = await res.text();
  expect(res.status, xml).toBe(200);
  const tags: Record<string, string> = {};
  for (const match of xml.matchAll(
    /<Tag>\s*<Key>(.*?)<\/Key>\s*<Value>(.*?)<\/Value>\s*<\/Tag>/g,
  )) {
    tags[unescapeXml(match[1] ?? "")] = unescapeXml(match[2] ?? "");
  }
  return tags;
}

/** The storage class ListObjectsV2 reports for the object. */
async function storageClassOf(fullKey: string): Promise<string | undefined> {
  const query = new URLSearchParams({ "list-type": "2", prefix: fullKey });
  const res = await operator.fetch(`${S3.endpoint}/${S3.bucket}?${query.toString()}`);
  const xml = await res.text();
  expect(res.status, xml).toBe(200);
  return /<StorageClass>(.*?)<\/StorageClass>/.exec(xml)?.[1];
}

const FILENAME = "Zürich € report.pdf";
const DISPOSITION =
  `attachment; filename="Z_rich _ report.pdf"; ` +
  `filename*=UTF-8''Z%C3%BCrich%20%E2%82%AC%20report.pdf`;
const TAGS = { project: "apollo", "team name": "rocket/ops", stage: "raw+1" };

let tenant: TestTenant;
let token: string;

beforeAll(async () => {
  tenant = await createTenant(`e2e-oh-${RUN}`, S3.bucket);
  token = await tenant.token();
});

describe("presigned PUT: radosgw stores the signed object headers", () => {
  it("Cache-Control, Content-Disposition (non-ASCII filename), Content-Encoding, Content-Language, tags and STANDARD come back", async () => {
    const signed = await presign(token, {
      method: "PUT",
      key: `oh/put-${RUN}.pdf`,
      // Tags: the ceph buckets refuse them (radosgw 16 drops them on multipart,
      // docs/providers.md); the generic one signs them for the same server.
      bucket: "generic",
      contentType: "application/pdf",
      cacheControl: "public, max-age=600",
      filename: FILENAME,
      contentEncoding: "gzip",
      contentLanguage: "de-CH, en",
      storageClass: "STANDARD",
      tagging: TAGS,
    });
    expect(signed.headers["content-disposition"]).toBe(DISPOSITION);
    const put = await s3Request(signed.url, {
      method: "PUT",
      headers: signed.headers,
      body: "not really gzip",
    });
    expect(put.status, put.body.toString()).toBe(200);

    for (const method of ["GET", "HEAD"] as const) {
      const read = await s3Request(
        (await presign(token, { method, key: `oh/put-${RUN}.pdf` })).url,
        {
          method,
        },
      );
      expect(read.status).toBe(200);
      expect(read.headers["cache-control"], method).toBe("public, max-age=600");
      expect(read.headers["content-disposition"], method).toBe(DISPOSITION);
      expect(read.headers["content-encoding"], method).toBe("gzip");
      expect(read.headers["content-language"], method).toBe("de-CH, en");
    }
    expect(await tagsOf(signed.key)).toEqual(TAGS);
    expect(await storageClassOf(signed.key)).toBe("STANDARD");
  });

  it("a changed signed header is refused with 403 and nothing is stored", async () => {
    const key = `oh/changed-${RUN}.txt`;
    const signed = await presign(token, {
      method: "PUT",
      key,
      bucket: "generic",
      cacheControl: "max-age=60",
      tagging: { owner: "alice" },
    });
    for (const [name, value] of [
      ["cache-control", "public, max-age=31536000"],
      ["x-amz-tagging", "owner=mallory"],
    ] as const) {
      const put = await s3Request(signed.url, {
        method: "PUT",
        headers: { ...signed.headers, [name]: value },
        body: "x",
      });
      expect(put.status, name).toBe(403);
    }
    const read = await s3Request((await presign(token, { method: "HEAD", key })).url, {
      method: "HEAD",
    });
    expect(read.status).toBe(404);
  });

  it("SSE (AES256) on radosgw without a KMS configuration: the answer is recorded", async () => {
    const key = `oh/sse-${RUN}.txt`;
    const signed = await presign(token, { method: "PUT", key, sse: "AES256" });
    expect(signed.headers["x-amz-server-side-encryption"]).toBe("AES256");
    const put = await s3Request(signed.url, { method: "PUT", headers: signed.headers, body: "x" });
    const code = /<Code>(.*?)<\/Code>/.exec(put.body.toString())?.[1];
    // What radosgw does depends on its crypt settings; the test proves the request was signed
    // well (never SignatureDoesNotMatch) and records the server's answer for docs/providers.md.
    console.log(`radosgw SSE AES256 over http: HTTP ${put.status} ${code ?? ""}`);
    expect(code).not.toBe("SignatureDoesNotMatch");
    if (put.status === 200) {
      const head = await s3Request((await presign(token, { method: "HEAD", key })).url, {
        method: "HEAD",
      });
      expect(head.headers["x-amz-server-side-encryption"]).toBe("AES256");
    } else {
      expect(put.status).toBeGreaterThanOrEqual(400);
    }
  });
});

describe("POST form: radosgw checks the exact conditions", () => {
  it("tags and the storage class are stored; a changed field is refused (403)", async () => {
    const key = `oh/post-${RUN}.txt`;
    const form = await api(token, "/v1/uploads/post", {
      key,
      bucket: "generic",
      contentType: "text/plain",
      cacheControl: "max-age=60",
      filename: FILENAME,
      storageClass: "STANDARD",
      tagging: TAGS,
    });
    expect(form.status, JSON.stringify(form.json)).toBe(200);
    const file = Buffer.from("posted with headers");
    for (const [name, value] of [
      ["tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"],
      ["Cache-Control", "no-store"],
    ] as const) {
      const changed = await postForm(form.json, file, { [name]: value });
      expect(changed.status, `${name}: ${changed.text}`).toBe(403);
    }
    const posted = await postForm(form.json, file);
    expect(posted.status, posted.text).toBe(204);
    expect(await tagsOf(form.json.key)).toEqual(TAGS);
    expect(await storageClassOf(form.json.key)).toBe("STANDARD");
    // radosgw 16 keeps only some POST form fields as object headers: recorded, not asserted.
    const head = await s3Request((await presign(token, { method: "HEAD", key })).url, {
      method: "HEAD",
    });
    console.log(
      `radosgw POST form: cache-control=${String(head.headers["cache-control"])} ` +
        `content-disposition=${String(head.headers["content-disposition"])}`,
    );
  });
});

describe("multipart create: the gateway's CreateMultipartUpload carries the headers", () => {
  it("the completed object has the headers; tags are refused on a ceph bucket (409)", async () => {
    const key = `oh/multi-${RUN}.bin`;
    const request = {
      key,
      contentType: "application/octet-stream",
      cacheControl: "no-cache",
      filename: FILENAME,
      contentLanguage: "en",
    };
    // radosgw 16 drops x-amz-tagging on CreateMultipartUpload (test/e2e/providers.test.ts).
    const tagged = await api(token, "/v1/uploads/multipart", { ...request, tagging: { k: "v" } });
    expect(tagged.status).toBe(409);
    expect(tagged.json.code).toBe("unsupported_by_provider");
    const created = await api(token, "/v1/uploads/multipart", request);
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const { uploadId } = created.json;
    const parts = await api(token, "/v1/uploads/multipart/sign-parts", {
      key,
      uploadId,
      partNumbers: [1],
    });
    const uploaded = await s3Request(parts.json.parts[0].url, {
      method: "PUT",
      body: Buffer.from("one small last part"),
    });
    expect(uploaded.status).toBe(200);
    const done = await api(token, "/v1/uploads/multipart/complete", {
      key,
      uploadId,
      parts: [{ partNumber: 1, etag: String(uploaded.headers.etag) }],
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);

    const head = await s3Request((await presign(token, { method: "HEAD", key })).url, {
      method: "HEAD",
    });
    expect(head.headers["cache-control"]).toBe("no-cache");
    expect(head.headers["content-disposition"]).toBe(DISPOSITION);
    expect(head.headers["content-language"]).toBe("en");
  });
});

describe("browsers: the bucket CORS rules of `edgesign cors` allow the object headers", () => {
  it("a preflight naming every object header is allowed for the app's origin", async () => {
    const preflight = await fetch(objectUrl(`${tenant.id}/users/alice/oh/cors-${RUN}`), {
      method: "OPTIONS",
      headers: {
        Origin: GATEWAY_URL,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers":
          "cache-control,content-disposition,content-encoding,content-language," +
          "x-amz-storage-class,x-amz-tagging,x-amz-server-side-encryption," +
          "x-amz-server-side-encryption-aws-kms-key-id",
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(GATEWAY_URL);
  });
});
