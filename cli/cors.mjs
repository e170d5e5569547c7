// The S3 bucket CORS configuration a browser upload through edgesign needs (`edgesign cors`).
// Shared by the CLI, `npm start` (demo bucket) and the e2e/browser harness, so what is tested is
// what users are told to apply.
import { createHash } from "node:crypto";

/** Methods browsers use with edgesign URLs: uploads (PUT, POST forms), downloads (GET, HEAD), and
 * DELETE, which Uppy sends to abort a cancelled multipart upload (and to delete objects). */
export const CORS_METHODS = ["PUT", "POST", "GET", "HEAD", "DELETE"];

/** Every header edgesign signs and a browser script sends (docs/api.md, "Uploads that S3 enforces"). */
export const CORS_HEADERS = [
  "content-type",
  // Checksums of PUTs and parts, one header per S3 algorithm (src/signing/checksums.ts).
  "x-amz-checksum-crc32",
  "x-amz-checksum-crc32c",
  "x-amz-checksum-crc64nvme",
  "x-amz-checksum-sha1",
  "x-amz-checksum-sha256",
  "x-amz-sdk-checksum-algorithm",
  "x-amz-content-sha256",
  "x-amz-meta-*",
  // Object headers stored at upload (docs/api.md, "Object headers").
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "x-amz-storage-class",
  "x-amz-tagging",
  "x-amz-server-side-encryption",
  "x-amz-server-side-encryption-aws-kms-key-id",
  // Conditional writes (docs/api.md, "Conditional writes"): signed into PUTs and completes.
  "if-none-match",
  "if-match",
];

/** Uploads must read the part ETags that CompleteMultipartUpload needs. */
export const CORS_EXPOSE = ["ETag"];

/** `*`, or an origin: scheme, host and port only (what a browser sends in `Origin`). */
export function originProblem(origin) {
  if (origin === "*") return undefined;
  let url;
  try {
    url = new URL(origin);
  } catch {
    return `'${origin}' is not an origin such as https://app.example`;
  }
  if (!["http:", "https:"].includes(url.protocol)) return `'${origin}' is not http(s)`;
  if (url.origin !== origin.replace(/\/$/, "")) {
    return `'${origin}' is not an origin: drop the path, query or credentials (${url.origin})`;
  }
  return undefined;
}

/** One CORS rule, in the AWS CLI's `put-bucket-cors --cors-configuration` JSON shape. */
export function corsConfiguration({ origins, maxAgeSeconds = 3600 }) {
  return {
    CORSRules: [
      {
        AllowedOrigins: origins.map((origin) => origin.replace(/\/$/, "")),
        AllowedMethods: CORS_METHODS,
        AllowedHeaders: CORS_HEADERS,
        ExposeHeaders: CORS_EXPOSE,
        MaxAgeSeconds: maxAgeSeconds,
      },
    ],
  };
}

const escapeXml = (text) => String(text).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The same configuration as the XML body of S3's PutBucketCors. */
export function corsXml(configuration) {
  const rules = configuration.CORSRules.map((rule) => {
    const items = [
      ...rule.AllowedOrigins.map((v) => `<AllowedOrigin>${escapeXml(v)}</AllowedOrigin>`),
      ...rule.AllowedMethods.map((v) => `<AllowedMethod>${v}</AllowedMethod>`),
      ...rule.AllowedHeaders.map((v) => `<AllowedHeader>${escapeXml(v)}</AllowedHeader>`),
      ...rule.ExposeHeaders.map((v) => `<ExposeHeader>${escapeXml(v)}</ExposeHeader>`),
      `<MaxAgeSeconds>${rule.MaxAgeSeconds}</MaxAgeSeconds>`,
    ];
    return `  <CORSRule>\n${items.map((item) => `    ${item}`).join("\n")}\n  </CORSRule>`;
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n' +
    `${rules.join("\n")}\n</CORSConfiguration>\n`
  );
}

/**
 * Applies `configuration` to a bucket with PutBucketCors (S3 requires Content-MD5 on it).
 * `client` is an aws4fetch AwsClient for the bucket's credentials; `bucketUrl` is path style
 * (`http://127.0.0.1:7480/edgesign-demo`).
 */
export async function putBucketCors(client, bucketUrl, configuration) {
  const body = corsXml(configuration);
  const res = await client.fetch(`${bucketUrl}?cors=`, {
    method: "PUT",
    headers: {
      "Content-Type": "application/xml",
      "Content-MD5": createHash("md5").update(body).digest("base64"),
    },
    body,
  });
  if (!res.ok)
    throw new Error(`PutBucketCors ${bucketUrl}: HTTP ${res.status} ${await res.text()}`);
}
