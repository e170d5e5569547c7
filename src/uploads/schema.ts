/**
 * Request and response bodies of `/v1/uploads/*` (docs/api.md, "Uploads that S3 enforces":
 * presigned POST and multipart). Field rules shared with `/v1/presign` (key, bucket, content type, metadata,
 * expiresIn) are taken from PresignRequest, so one rule has one definition.
 */
import * as z from "zod/mini";
import { docs } from "../openapi/route";
import { MAX_PARTS, MAX_PART_SIZE } from "../s3/multipart";
import { MAX_POST_BYTES } from "../signing/post-policy";
import { AliasUsed, DateTime, FullKey, PresignRequest } from "../signing/schema";

const { key, bucket, contentType, metadata, expiresIn } = PresignRequest.shape;

/** S3's largest object (5 TiB), the same bound as the tenant's `upload.maxBytes`. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** Part URLs one sign-parts call returns, as many as a presign batch. */
export const MAX_SIGN_PARTS = 100;

/**
 * An S3 upload id: opaque printable ASCII. Bounded so `upload:<tenant>:<generation>:<id>` stays
 * under KV's 512-byte key limit (AWS ids are ~100-200 characters, radosgw's ~35).
 */
const UploadId = z
  .string()
  .check(z.regex(/^[\x21-\x7e]{1,400}$/, "an upload id from POST /v1/uploads/multipart"))
  .register(docs, { example: "2~l-rJHmIWkXqyAwfSgjNmTNsLKmL55xa" });

const PartNumber = z.int().check(z.minimum(1), z.maximum(MAX_PARTS));

/** An ETag as S3 returned it for a part, quotes included or not. */
const ETag = z
  .string()
  .check(z.regex(/^[\x20-\x7e]{1,512}$/, "printable ASCII"))
  .register(docs, { example: '"b54357faf0632cce46e942fa68356b38"' });

/** A list whose items' `numberOf(item)` must not repeat; the issue names the repeated item. */
function unique<T>(numberOf: (item: T) => number, what: string) {
  return z.superRefine<T[]>((items, ctx) => {
    const seen = new Set<number>();
    items.forEach((item, index) => {
      const n = numberOf(item);
      if (seen.has(n)) {
        ctx.addIssue({ code: "custom", path: [index], message: `${what} ${n} appears twice` });
      }
      seen.add(n);
    });
  });
}

export const PostUploadRequest = z
  .strictObject({
    key,
    bucket,
    contentType,
    maxBytes: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_POST_BYTES))).register(docs, {
      description: "largest file accepted; capped by the tenant's upload.maxBytes",
    }),
    expiresIn,
    metadata,
    successActionStatus: z
      .optional(z.union([z.literal(200), z.literal(201), z.literal(204)]))
      .register(docs, { description: "status S3 answers a successful upload with (default 204)" }),
  })
  .register(docs, {
    id: "PostUploadRequest",
    example: { key: "avatar.png", contentType: "image/png", maxBytes: 1048576 },
  });
export type PostUploadRequest = z.infer<typeof PostUploadRequest>;

export const PostUploadResult = z
  .object({
    url: z.string().register(docs, { description: "the form's action (the bucket URL)" }),
    fields: z.record(z.string(), z.string()).register(docs, {
      description: "form fields to send in this order, followed by the file as the last field",
    }),
    expiresAt: DateTime,
    maxBytes: z.int().register(docs, { description: "largest file S3 will accept" }),
    bucket: AliasUsed,
    key: FullKey,
  })
  .register(docs, { id: "PostUploadResult" });
export type PostUploadResult = z.infer<typeof PostUploadResult>;

export const MultipartCreateRequest = z
  .strictObject({
    key,
    bucket,
    contentType,
    size: z
      .optional(z.int().check(z.minimum(0), z.maximum(MAX_OBJECT_BYTES)))
      .register(docs, { description: "expected object size in bytes: checked, and sets partSize" }),
  })
  .register(docs, {
    id: "MultipartCreateRequest",
    example: { key: "video.mp4", contentType: "video/mp4", size: 1073741824 },
  });
export type MultipartCreateRequest = z.infer<typeof MultipartCreateRequest>;

export const MultipartCreateResult = z
  .object({
    uploadId: z.string(),
    key: FullKey,
    bucket: AliasUsed,
    partSize: z.int().check(z.minimum(1), z.maximum(MAX_PART_SIZE)).register(docs, {
      description: "suggested size of every part but the last (≥ 5 MiB, whole MiB)",
    }),
  })
  .register(docs, { id: "MultipartCreateResult" });

export const SignPartsRequest = z
  .strictObject({
    key,
    bucket,
    uploadId: UploadId,
    partNumbers: z.array(PartNumber).check(
      z.minLength(1),
      z.maxLength(MAX_SIGN_PARTS),
      unique<number>((n) => n, "part number"),
    ),
    expiresIn,
  })
  .register(docs, { id: "SignPartsRequest" });
export type SignPartsRequest = z.infer<typeof SignPartsRequest>;

export const SignPartsResult = z
  .object({
    parts: z.array(z.object({ partNumber: z.int(), url: z.string() })),
    expiresAt: DateTime,
  })
  .register(docs, { id: "SignPartsResult" });

const CompletedPart = z.strictObject({ partNumber: PartNumber, etag: ETag });

export const CompleteRequest = z
  .strictObject({
    key,
    bucket,
    uploadId: UploadId,
    parts: z.array(CompletedPart).check(
      z.minLength(1),
      z.maxLength(MAX_PARTS),
      unique<z.infer<typeof CompletedPart>>((part) => part.partNumber, "part number"),
    ),
  })
  .register(docs, { id: "MultipartCompleteRequest" });
export type CompleteRequest = z.infer<typeof CompleteRequest>;

export const CompleteResult = z
  .object({
    key: FullKey,
    bucket: z.string(),
    etag: z.string(),
    size: z.int().register(docs, { description: "the object's size in bytes" }),
  })
  .register(docs, { id: "MultipartCompleteResult" });

export const AbortRequest = z
  .strictObject({ key, bucket, uploadId: UploadId })
  .register(docs, { id: "MultipartAbortRequest" });
export type AbortRequest = z.infer<typeof AbortRequest>;

export const ListPartsQuery = z.strictObject({ key, bucket, uploadId: UploadId });
export type ListPartsQuery = z.infer<typeof ListPartsQuery>;

export const ListPartsResult = z
  .object({
    parts: z.array(z.object({ partNumber: z.int(), etag: z.string(), size: z.int() })),
  })
  .register(docs, { id: "MultipartPartsResult" });
