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

/** `POST /v1/presign` */
export interface PresignInput {
  method: "GET" | "HEAD" | "PUT" | "DELETE";
  /** The relative key. */
  key: string;
  bucket?: Opt<string>;
  expiresIn?: Opt<number>;
  contentType?: Opt<string>;
  contentLength?: Opt<number>;
  checksumSha256?: Opt<string>;
  metadata?: Opt<Record<string, string>>;
  /** GET and HEAD: download name, signed as `Content-Disposition: attachment` (as links do). */
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
  serverTime: string;
}

/** One item of a batch answer: a presigned URL, or the problem of that item alone. */
export type BatchItem = ({ ok: true } & Presigned) | { ok: false; error: Problem };

/** `POST /v1/uploads/post` */
export interface PostInput {
  key: string;
  bucket?: Opt<string>;
  contentType?: Opt<string>;
  maxBytes?: Opt<number>;
  expiresIn?: Opt<number>;
  metadata?: Opt<Record<string, string>>;
  successActionStatus?: Opt<200 | 201 | 204>;
}

export interface PostForm {
  url: string;
  /** Form fields in order; the file goes last. */
  fields: Record<string, string>;
  expiresAt: string;
  maxBytes: number;
  bucket: string;
  key: string;
}

/** `POST /v1/uploads/multipart` */
export interface MultipartCreateInput {
  key: string;
  bucket?: Opt<string>;
  contentType?: Opt<string>;
  size?: Opt<number>;
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
  expiresIn?: Opt<number>;
}

export interface SignedParts {
  parts: { partNumber: number; url: string }[];
  expiresAt: string;
}

/** `POST /v1/uploads/multipart/complete` */
export interface CompleteInput {
  key: string;
  bucket?: Opt<string>;
  uploadId: string;
  parts: { partNumber: number; etag: string }[];
}

export interface Completed {
  key: string;
  bucket: string;
  etag: string;
  size: number;
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
  parts: { partNumber: number; etag: string; size: number }[];
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
export interface S3RequestInput {
  method: "PUT" | "POST" | "GET" | "DELETE";
  key: string;
  uploadId?: Opt<string>;
  partNumber?: Opt<number>;
  contentType?: Opt<string>;
  expiresIn?: Opt<number>;
  bucket?: Opt<string>;
}

export interface S3RequestSigned {
  url: string;
  method: "PUT" | "POST" | "GET" | "DELETE";
  key: string;
  headers?: Opt<Record<string, string>>;
  fields?: Opt<Record<string, string>>;
  expiresAt: string;
}
