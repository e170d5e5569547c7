/** Request and response bodies of `POST /v1/presign` and `/v1/presign/batch` (docs/api.md). */
import * as v from "valibot";
import { component, documented, integer, integerIn, type SchemaDoc } from "../openapi/route";
import { ObjectHeaderFields } from "./object-headers";
import { ConditionFields } from "./conditions";
import { ChecksumFields } from "./checksums";
import type { Operation } from "../tenants/schema";
import { MAX_EXPIRES_IN } from "./presign";

/** S3 limits user metadata to 2 KB in total; names are sent lower-case by S3 anyway. */
const MAX_METADATA_BYTES = 2048;
/** Printable ASCII only: header values outside it need RFC 2047 and are mangled by proxies. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const HeaderValue = v.pipe(v.string(), v.regex(PRINTABLE_ASCII, "printable ASCII only"));

/**
 * A relative object key. Its rules (docs/api.md, "Keys and prefixes") live in src/keys, which answers
 * `invalid_key` for every broken one, the empty key included; the schema only bounds the size.
 */
export function objectKey(doc: SchemaDoc = {}) {
  return v.pipe(
    v.string(),
    v.maxLength(4096),
    documented({
      description: "the relative key: 1..1024 UTF-8 bytes; an empty key is 400 invalid_key",
      example: "photos/cat.jpg",
      ...doc,
    }),
  );
}
export const ObjectKey = objectKey();

/** A bucket alias of the tenant, as requests name it. */
export const BucketAlias = v.optional(
  v.pipe(v.string(), v.maxLength(64), documented({ description: "bucket alias of the tenant" })),
);

/** A `Content-Type` a client asks to have signed (its rules: src/signing/content-type.ts). */
export const ContentTypeField = v.optional(
  v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(256),
    v.regex(PRINTABLE_ASCII, "printable ASCII only"),
    documented({ example: "image/jpeg" }),
  ),
);

/**
 * A download name, sent as `Content-Disposition: attachment` (src/http/content-disposition.ts):
 * no control characters, and no path separators a browser would have to strip.
 */
export const DownloadFilename = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(255),
  v.regex(/^[^\u0000-\u001f\u007f/\\]+$/, "no control characters, '/' or '\\'"),
);

/** S3 user metadata: signed `x-amz-meta-<name>` headers. */
export const Metadata = v.optional(
  v.pipe(
    v.record(
      v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,128}$/, "lower-case a-z 0-9 '-'")),
      HeaderValue,
    ),
    v.check(
      (metadata) =>
        Object.entries(metadata).reduce((n, [k, value]) => n + k.length + value.length, 0) <=
        MAX_METADATA_BYTES,
      `metadata is limited to ${MAX_METADATA_BYTES} bytes`,
    ),
  ),
);

/** `expiresIn` of a request: 1 s up to SigV4's 7 days (the tenant's maximum is checked later). */
export const ExpiresIn = v.optional(integerIn(1, MAX_EXPIRES_IN));

const Method = v.picklist(["GET", "HEAD", "PUT", "DELETE"]);

/** The tenant operation (grant) each presign method needs. */
export const OPERATION_OF_METHOD = {
  GET: "get",
  HEAD: "head",
  PUT: "put",
  DELETE: "delete",
} as const satisfies Record<v.InferOutput<typeof Method>, Operation>;

export const PresignRequest = component(
  "PresignRequest",
  v.pipe(
    v.strictObject({
      method: Method,
      key: ObjectKey,
      bucket: BucketAlias,
      expiresIn: ExpiresIn,
      contentType: ContentTypeField,
      contentLength: v.optional(integerIn(0, Number.MAX_SAFE_INTEGER)),
      checksumSha256: v.optional(
        v.pipe(
          v.string(),
          v.regex(/^[A-Za-z0-9+/]{43}=$/, "the base64 of a 32-byte SHA-256 digest"),
          documented({ description: "the same as checksumAlgorithm SHA256 with checksum" }),
        ),
      ),
      ...ChecksumFields,
      metadata: Metadata,
      ...ObjectHeaderFields,
      ...ConditionFields,
      filename: v.optional(
        v.pipe(
          DownloadFilename,
          documented({
            description:
              "GET and HEAD: download name, signed as an attachment response-content-disposition " +
              "(as links do); not with responseContentDisposition. PUT: the same disposition, " +
              "stored with the object; not with contentDisposition",
            example: "Q3 report.pdf",
          }),
        ),
      ),
      responseContentDisposition: v.optional(
        v.pipe(
          v.string(),
          v.minLength(1),
          v.maxLength(1024),
          documented({ description: "GET and HEAD: an RFC 6266 Content-Disposition value" }),
        ),
      ),
      responseContentType: v.optional(
        v.pipe(
          v.string(),
          v.minLength(1),
          v.maxLength(256),
          documented({
            description:
              "GET and HEAD: one media type; held to the tenant's upload.contentTypes when it has them",
          }),
        ),
      ),
      responseCacheControl: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
    }),
    documented({
      example: {
        method: "PUT",
        key: "photos/cat.jpg",
        contentType: "image/jpeg",
        contentLength: 12345,
      },
    }),
  ),
);
export type PresignRequest = v.InferOutput<typeof PresignRequest>;

/** Response members, with what the document says of them. */
export const AliasUsed = v.pipe(v.string(), documented({ description: "the bucket alias used" }));
export const FullKey = v.pipe(v.string(), documented({ description: "the full object key" }));
export const DateTime = v.pipe(v.string(), documented({ format: "date-time" }));
/** Present (true) when the lifetime was cut to what the bucket's credentials have left. */
export const ExpiresInCapped = v.optional(
  v.pipe(
    v.literal(true),
    documented({
      description:
        "present (true) when the URL's lifetime was cut short because the bucket's temporary " +
        "credentials expire sooner than asked",
    }),
  ),
);

export const PresignResultEntries = {
  url: v.string(),
  method: Method,
  headers: v.record(v.string(), v.string()),
  bucket: AliasUsed,
  key: FullKey,
  expiresIn: integer(),
  expiresAt: DateTime,
  expiresInCapped: ExpiresInCapped,
  serverTime: DateTime,
};
export const PresignResult = component("PresignResult", v.object(PresignResultEntries));
export type PresignResult = v.InferOutput<typeof PresignResult>;

export const MAX_BATCH = 100;

export const BatchRequest = component(
  "PresignBatchRequest",
  v.pipe(
    v.strictObject({
      requests: v.pipe(
        v.array(
          v.pipe(
            v.unknown(),
            documented({ type: "object", description: "a PresignRequest, validated per item" }),
          ),
        ),
        v.minLength(1),
        v.maxLength(MAX_BATCH),
      ),
    }),
    documented({
      example: {
        requests: [
          { method: "GET", key: "a.txt" },
          { method: "HEAD", key: "b.txt" },
        ],
      },
    }),
  ),
);
