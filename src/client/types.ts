/**
 * The gateway's request and response bodies as the client sees them. Written out by hand, not
 * imported from the valibot schemas, so the client (and what a browser app type-checks against it)
 * depends on nothing of the gateway; test/client/types.test.ts proves at compile time that each
 * matches the schema the route validates with (z.input for requests, z.output for answers).
 */

/** Every problem `code` (src/errors.ts, PROBLEMS). */
export type ProblemCode =
  | "invalid_request"
  | "invalid_key"
  | "invalid_token"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "unsupported_by_provider"
  | "precondition_failed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "quota_exceeded"
  | "internal"
  | "upstream_error"
  | "unavailable";

/** RFC 9457 problem details, as every gateway error is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  requestId: string;
  /** The request field at fault (dotted path), for 400s caused by one field. */
  field?: string;
}

type Opt<T> = T | undefined;

/** S3's checksum algorithms (docs/api.md, "Checksums"). */
export type ChecksumAlgorithm = "CRC64NVME" | "CRC32" | "CRC32C" | "SHA1" | "SHA256";

/**
 * Headers stored with an uploaded object (docs/api.md, "Object headers"), on PUT, POST forms
 * (not `contentLanguage`), multipart create and the Uppy route's PutObject and
 * CreateMultipartUpload. The tenant may force or forbid each.
 */
export interface PostObjectHeaderInput {
  /** `Cache-Control`, e.g. `public, max-age=31536000, immutable`. */
  cacheControl?: Opt<string>;
  /** An RFC 6266 `Content-Disposition` value, e.g. `inline`; not with `filename`. */
  contentDisposition?: Opt<string>;
  /** Stored as `Content-Disposition: attachment; filename…` (RFC 8187 for non-ASCII). */
  filename?: Opt<string>;
  /** Content codings, e.g. `gzip`. */
  contentEncoding?: Opt<string>;
  /** e.g. `STANDARD`; the provider's and the tenant's lists apply. */
  storageClass?: Opt<string>;
  /** Up to 10 tags. */
  tagging?: Opt<Record<string, string>>;
  sse?: Opt<"AES256" | "aws:kms">;
  /** With `sse: "aws:kms"` only. */
  kmsKeyId?: Opt<string>;
}

export interface ObjectHeaderInput extends PostObjectHeaderInput {
  /** Language tags, e.g. `en, de-CH`. */
  contentLanguage?: Opt<string>;
}

/** `POST /v1/presign` (object headers: PUT only; `filename` on PUT is the stored disposition) */
export interface PresignInput extends ObjectHeaderInput {
  method: "GET" | "HEAD" | "PUT" | "DELETE";
  /** The relative key. */
  key: string;
  bucket?: Opt<string>;
  expiresIn?: Opt<number>;
  contentType?: Opt<string>;
  contentLength?: Opt<number>;
  /** The same as `checksumAlgorithm: "SHA256"` with `checksum`. */
  checksumSha256?: Opt<string>;
  checksumAlgorithm?: Opt<ChecksumAlgorithm>;
  /** Base64 digest of the whole object, signed as `x-amz-checksum-<algorithm>`. */
  checksum?: Opt<string>;
  metadata?: Opt<Record<string, string>>;
  /** PUT: `*`, and S3 refuses the upload (412) when the key exists. */
  ifNoneMatch?: Opt<"*">;
  /** PUT: an ETag, and S3 replaces the object only while it has that ETag (412 otherwise). */
  ifMatch?: Opt<string>;
  /**
   * GET and HEAD: download name, signed as `response-content-disposition: attachment` (as links
   * do). PUT: the same disposition, stored with the object.
   */
  filename?: Opt<string>;
  responseContentDisposition?: Opt<string>;
  responseContentType?: Opt<string>;
  responseCacheControl?: Opt<string>;
}

export interface Presigned {
  url: string;
  method: "GET" | "HEAD" | "PUT" | "DELETE";
  /** Send exactly these with the request (a browser sets `content-length` itself). */
  headers: Record<string, string>;
  /** The bucket alias. */
  bucket: string;
  /** The full key. */
  key: string;
  expiresIn: number;
  expiresAt: string;
  /** Present when the lifetime was cut to what the bucket's temporary credentials have left. */
  expiresInCapped?: Opt<true>;
  serverTime: string;
}

/** One item of a batch answer: a presigned URL, or the problem of that item alone. */
export type BatchItem = ({ ok: true } & Presigned) | { ok: false; error: Problem };

/** `POST /v1/uploads/post` */
export interface PostInput extends PostObjectHeaderInput {
  key: string;
  bucket?: Opt<string>;
  contentType?: Opt<string>;
  maxBytes?: Opt<number>;
  expiresIn?: Opt<number>;
  metadata?: Opt<Record<string, string>>;
  checksumAlgorithm?: Opt<ChecksumAlgorithm>;
  checksum?: Opt<string>;
  successActionStatus?: Opt<200 | 201 | 204>;
}

export interface PostForm {
  url: string;
  /** Form fields in order; the file goes last. */
  fields: Record<string, string>;
  expiresAt: string;
  expiresInCapped?: Opt<true>;
  maxBytes: number;
  bucket: string;
  key: string;
}

/** `POST /v1/uploads/multipart` */
export interface MultipartCreateInput extends ObjectHeaderInput {
  key: string;
  bucket?: Opt<string>;
  contentType?: Opt<string>;
  size?: Opt<number>;
  /** Fixed for the upload: every part then carries a checksum of this algorithm. */
  checksumAlgorithm?: Opt<ChecksumAlgorithm>;
  checksumType?: Opt<"FULL_OBJECT" | "COMPOSITE">;
}

export interface MultipartCreated {
  uploadId: string;
  key: string;
  bucket: string;
  partSize: number;
}

/** `POST /v1/uploads/multipart/sign-parts` */
export interface SignPartsInput {
  key: string;
  bucket?: Opt<string>;
  uploadId: string;
  partNumbers: number[];
  /** Part number → base64 digest of that part, in the upload's algorithm. */
  checksums?: Opt<Record<string, string>>;
  expiresIn?: Opt<number>;
}

export interface SignedParts {
  /** `headers`: signed headers to send with that part (its checksum). */
  parts: { partNumber: number; url: string; headers?: Opt<Record<string, string>> }[];
  expiresAt: string;
  expiresInCapped?: Opt<true>;
}

/** `POST /v1/uploads/multipart/complete` */
export interface CompleteInput {
  key: string;
  bucket?: Opt<string>;
  uploadId: string;
  parts: { partNumber: number; etag: string; checksum?: Opt<string> }[];
  /** `*`: S3 refuses to complete (412) when the key exists. */
  ifNoneMatch?: Opt<"*">;
  /** S3 completes only while the object has this ETag (412 otherwise). */
  ifMatch?: Opt<string>;
}

export interface Completed {
  key: string;
  bucket: string;
  etag: string;
  size: number;
}

/** `POST /v1/uploads/confirm` */
export interface ConfirmInput {
  key: string;
  bucket?: Opt<string>;
}

/** The object as S3 holds it, read by the gateway (docs/webhooks.md). */
export interface Confirmed {
  key: string;
  bucket: string;
  size: number;
  etag: string;
  contentType?: Opt<string>;
  checksum?: Opt<{ algorithm: ChecksumAlgorithm; value: string }>;
}

/** `POST /v1/uploads/multipart/abort` */
export interface AbortInput {
  key: string;
  bucket?: Opt<string>;
  uploadId: string;
}

/** `GET /v1/uploads/multipart/parts` */
export interface ListPartsInput {
  key: string;
  bucket?: Opt<string>;
  uploadId: string;
}

export interface UploadedParts {
  parts: { partNumber: number; etag: string; size: number; checksum?: Opt<string> }[];
}

/** `POST /v1/links` */
export interface LinkInput {
  key: string;
  bucket?: Opt<string>;
  ttl: number;
  urlExpiresIn?: Opt<number>;
  maxUses?: Opt<number>;
  exactUses?: Opt<boolean>;
  filename?: Opt<string>;
}

export interface Link {
  code: string;
  url: string;
  expiresAt: string;
}

/** `POST /v1/uploads/sign-request` (Uppy's `signRequest`). */
export interface S3RequestInput extends ObjectHeaderInput {
  method: "PUT" | "POST" | "GET" | "DELETE";
  key: string;
  uploadId?: Opt<string>;
  partNumber?: Opt<number>;
  contentType?: Opt<string>;
  expiresIn?: Opt<number>;
  bucket?: Opt<string>;
  /** PutObject and CompleteMultipartUpload only. */
  ifNoneMatch?: Opt<"*">;
  ifMatch?: Opt<string>;
}

export interface S3RequestSigned {
  url: string;
  method: "PUT" | "POST" | "GET" | "DELETE";
  key: string;
  headers?: Opt<Record<string, string>>;
  fields?: Opt<Record<string, string>>;
  expiresAt: string;
  expiresInCapped?: Opt<true>;
}
