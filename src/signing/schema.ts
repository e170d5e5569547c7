/** Request and response bodies of `POST /v1/presign` and `/v1/presign/batch` (docs/api.md). */
import { z } from "@hono/zod-openapi";
import { MAX_EXPIRES_IN } from "./presign";

/** S3 limits user metadata to 2 KB in total; names are sent lower-case by S3 anyway. */
const MAX_METADATA_BYTES = 2048;
/** Printable ASCII only: header values outside it need RFC 2047 and are mangled by proxies. */
const HeaderValue = z.string().regex(/^[\x20-\x7e]*$/, "printable ASCII only");

/**
 * A relative object key. Its rules (docs/api.md, "Keys and prefixes") live in src/keys, which answers
 * `invalid_key` for every broken one, the empty key included; the schema only bounds the size.
 */
export const ObjectKey = z.string().max(4096).openapi({
  description: "the relative key: 1..1024 UTF-8 bytes; an empty key is 400 invalid_key",
  example: "photos/cat.jpg",
});

/**
 * A download name, sent as `Content-Disposition: attachment` (src/http/content-disposition.ts):
 * no control characters, and no path separators a browser would have to strip.
 */
export const DownloadFilename = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\u0000-\u001f\u007f/\\]+$/, "no control characters, '/' or '\\'");

export const PresignRequest = z
  .strictObject({
    method: z.enum(["GET", "HEAD", "PUT", "DELETE"]),
    key: ObjectKey,
    bucket: z.string().max(64).optional().openapi({ description: "bucket alias of the tenant" }),
    expiresIn: z.number().int().min(1).max(MAX_EXPIRES_IN).optional(),
    contentType: HeaderValue.min(1).max(256).optional().openapi({ example: "image/jpeg" }),
    contentLength: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    checksumSha256: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/, "the base64 of a 32-byte SHA-256 digest")
      .optional(),
    metadata: z
      .record(z.string().regex(/^[a-z0-9-]{1,128}$/, "lower-case a-z 0-9 '-'"), HeaderValue)
      .refine(
        (metadata) =>
          Object.entries(metadata).reduce((n, [k, v]) => n + k.length + v.length, 0) <=
          MAX_METADATA_BYTES,
        `metadata is limited to ${MAX_METADATA_BYTES} bytes`,
      )
      .optional(),
    filename: DownloadFilename.optional().openapi({
      description:
        "GET and HEAD: download name, signed as an attachment response-content-disposition " +
        "(as links do); not with responseContentDisposition",
      example: "Q3 report.pdf",
    }),
    responseContentDisposition: z.string().min(1).max(1024).optional().openapi({
      description: "GET and HEAD: an RFC 6266 Content-Disposition value",
    }),
    responseContentType: z.string().min(1).max(256).optional().openapi({
      description:
        "GET and HEAD: one media type; held to the tenant's upload.contentTypes when it has them",
    }),
    responseCacheControl: z.string().min(1).max(256).optional(),
  })
  .openapi("PresignRequest", {
    example: {
      method: "PUT",
      key: "photos/cat.jpg",
      contentType: "image/jpeg",
      contentLength: 12345,
    },
  });
export type PresignRequest = z.infer<typeof PresignRequest>;

export const PresignResult = z
  .object({
    url: z.string(),
    method: z.enum(["GET", "HEAD", "PUT", "DELETE"]),
    headers: z.record(z.string(), z.string()),
    bucket: z.string().openapi({ description: "the bucket alias used" }),
    key: z.string().openapi({ description: "the full object key" }),
    expiresIn: z.number().int(),
    expiresAt: z.string().openapi({ format: "date-time" }),
    serverTime: z.string().openapi({ format: "date-time" }),
  })
  .openapi("PresignResult");
export type PresignResult = z.infer<typeof PresignResult>;

export const MAX_BATCH = 100;

export const BatchRequest = z
  .strictObject({
    requests: z
      .array(
        z
          .unknown()
          .openapi({ type: "object", description: "a PresignRequest, validated per item" }),
      )
      .min(1)
      .max(MAX_BATCH),
  })
  .openapi("PresignBatchRequest", {
    example: {
      requests: [
        { method: "GET", key: "a.txt" },
        { method: "HEAD", key: "b.txt" },
      ],
    },
  });
