/** Request and response bodies of `POST /v1/presign` and `/v1/presign/batch` (docs/api.md). */
import * as z from "zod/mini";
import { docs, type SchemaDoc } from "../openapi/route";
import { MAX_EXPIRES_IN } from "./presign";

/** S3 limits user metadata to 2 KB in total; names are sent lower-case by S3 anyway. */
const MAX_METADATA_BYTES = 2048;
/** Printable ASCII only: header values outside it need RFC 2047 and are mangled by proxies. */
const PRINTABLE_ASCII = z.regex(/^[\x20-\x7e]*$/, "printable ASCII only");
const HeaderValue = z.string().check(PRINTABLE_ASCII);

/**
 * A relative object key. Its rules (docs/api.md, "Keys and prefixes") live in src/keys, which answers
 * `invalid_key` for every broken one, the empty key included; the schema only bounds the size.
 */
export function objectKey(doc: Omit<SchemaDoc, "id"> = {}) {
  return z
    .string()
    .check(z.maxLength(4096))
    .register(docs, {
      description: "the relative key: 1..1024 UTF-8 bytes; an empty key is 400 invalid_key",
      example: "photos/cat.jpg",
      ...doc,
    });
}
export const ObjectKey = objectKey();

/** A bucket alias of the tenant, as requests name it. */
export const BucketAlias = z
  .optional(z.string().check(z.maxLength(64)))
  .register(docs, { description: "bucket alias of the tenant" });

/** A `Content-Type` a client asks to have signed (its rules: src/signing/content-type.ts). */
export const ContentTypeField = z
  .optional(z.string().check(z.minLength(1), z.maxLength(256), PRINTABLE_ASCII))
  .register(docs, { example: "image/jpeg" });

/**
 * A download name, sent as `Content-Disposition: attachment` (src/http/content-disposition.ts):
 * no control characters, and no path separators a browser would have to strip.
 */
export const DownloadFilename = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(255),
    z.regex(/^[^\u0000-\u001f\u007f/\\]+$/, "no control characters, '/' or '\\'"),
  );

/** S3 user metadata: signed `x-amz-meta-<name>` headers. */
export const Metadata = z.optional(
  z
    .record(z.string().check(z.regex(/^[a-z0-9-]{1,128}$/, "lower-case a-z 0-9 '-'")), HeaderValue)
    .check(
      z.refine(
        (metadata) =>
          Object.entries(metadata).reduce((n, [k, v]) => n + k.length + v.length, 0) <=
          MAX_METADATA_BYTES,
        `metadata is limited to ${MAX_METADATA_BYTES} bytes`,
      ),
    ),
);

/** `expiresIn` of a request: 1 s up to SigV4's 7 days (the tenant's maximum is checked later). */
export const ExpiresIn = z.optional(z.int().check(z.minimum(1), z.maximum(MAX_EXPIRES_IN)));

export const PresignRequest = z
  .strictObject({
    method: z.enum(["GET", "HEAD", "PUT", "DELETE"]),
    key: ObjectKey,
    bucket: BucketAlias,
    expiresIn: ExpiresIn,
    contentType: ContentTypeField,
    contentLength: z.optional(z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER))),
    checksumSha256: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, "the base64 of a 32-byte SHA-256 digest")),
    ),
    metadata: Metadata,
    filename: z.optional(DownloadFilename).register(docs, {
      description:
        "GET and HEAD: download name, signed as an attachment response-content-disposition " +
        "(as links do); not with responseContentDisposition",
      example: "Q3 report.pdf",
    }),
    responseContentDisposition: z
      .optional(z.string().check(z.minLength(1), z.maxLength(1024)))
      .register(docs, { description: "GET and HEAD: an RFC 6266 Content-Disposition value" }),
    responseContentType: z
      .optional(z.string().check(z.minLength(1), z.maxLength(256)))
      .register(docs, {
        description:
          "GET and HEAD: one media type; held to the tenant's upload.contentTypes when it has them",
      }),
    responseCacheControl: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  })
  .register(docs, {
    id: "PresignRequest",
    example: {
      method: "PUT",
      key: "photos/cat.jpg",
      contentType: "image/jpeg",
      contentLength: 12345,
    },
  });
export type PresignRequest = z.infer<typeof PresignRequest>;

/** Response members, with what the document says of them. */
export const AliasUsed = z.string().register(docs, { description: "the bucket alias used" });
export const FullKey = z.string().register(docs, { description: "the full object key" });
export const DateTime = z.string().register(docs, { format: "date-time" });

export const PresignResult = z
  .object({
    url: z.string(),
    method: z.enum(["GET", "HEAD", "PUT", "DELETE"]),
    headers: z.record(z.string(), z.string()),
    bucket: AliasUsed,
    key: FullKey,
    expiresIn: z.int(),
    expiresAt: DateTime,
    serverTime: DateTime,
  })
  .register(docs, { id: "PresignResult" });
export type PresignResult = z.infer<typeof PresignResult>;

export const MAX_BATCH = 100;

export const BatchRequest = z
  .strictObject({
    requests: z
      .array(
        z
          .unknown()
          .register(docs, { type: "object", description: "a PresignRequest, validated per item" }),
      )
      .check(z.minLength(1), z.maxLength(MAX_BATCH)),
  })
  .register(docs, {
    id: "PresignBatchRequest",
    example: {
      requests: [
        { method: "GET", key: "a.txt" },
        { method: "HEAD", key: "b.txt" },
      ],
    },
  });
