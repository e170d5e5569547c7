/**
 * Request and response bodies of `/v1/uploads/*` (docs/api.md, "Uploads that S3 enforces":
 * presigned POST and multipart). Field rules shared with `/v1/presign` (key, bucket, content type, metadata,
 * expiresIn) are the same schemas (src/signing/schema.ts), so one rule has one definition.
 */
import * as v from "valibot";
import { component, documented, integer, integerIn } from "../openapi/route";
import { MAX_PARTS, MAX_PART_SIZE } from "../s3/multipart";
import { ObjectHeaderFields, PostObjectHeaderFields } from "../signing/object-headers";
import { ConditionFields } from "../signing/conditions";
import {
  ChecksumFields,
  CompletedPartChecksumField,
  MultipartChecksumFields,
  PartChecksumsField,
} from "../signing/checksums";
import { MAX_POST_BYTES } from "../signing/post-policy";
import {
  AliasUsed,
  BucketAlias as bucket,
  ContentTypeField as contentType,
  DateTime,
  DownloadFilename,
  ExpiresIn as expiresIn,
  ExpiresInCapped,
  FullKey,
  Metadata as metadata,
  ObjectKey as key,
} from "../signing/schema";

/** A download name stored with the object (src/signing/object-headers.ts). */
export const filename = v.optional(
  v.pipe(
    DownloadFilename,
    documented({
      description:
        "download name, stored as Content-Disposition: attachment (RFC 6266, RFC 8187 " +
        "filename* for non-ASCII); not with contentDisposition",
      example: "Q3 report.pdf",
    }),
  ),
);

/** S3's largest object (5 TiB), the same bound as the tenant's `upload.maxBytes`. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** Part URLs one sign-parts call returns, as many as a presign batch. */
export const MAX_SIGN_PARTS = 100;

/**
 * An S3 upload id: opaque printable ASCII. Bounded so `upload:<tenant>:<generation>:<id>` stays
 * under KV's 512-byte key limit (AWS ids are ~100-200 characters, radosgw's ~35).
 */
const UploadId = v.pipe(
  v.string(),
  v.regex(/^[\x21-\x7e]{1,400}$/, "an upload id from POST /v1/uploads/multipart"),
  documented({ example: "2~l-rJHmIWkXqyAwfSgjNmTNsLKmL55xa" }),
);

const PartNumber = integerIn(1, MAX_PARTS);

/** An ETag as S3 returned it for a part, quotes included or not. */
const ETag = v.pipe(
  v.string(),
  v.regex(/^[\x20-\x7e]{1,512}$/, "printable ASCII"),
  documented({ example: '"b54357faf0632cce46e942fa68356b38"' }),
);

/** A list whose items' `numberOf(item)` must not repeat; the issue names the repeated item. */
function unique<T>(numberOf: (item: T) => number, what: string) {
  return v.rawCheck<T[]>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const seen = new Set<number>();
    dataset.value.forEach((item, index) => {
      const n = numberOf(item);
      if (seen.has(n)) {
        addIssue({
          message: `${what} ${n} appears twice`,
          path: [{ type: "array", origin: "value", input: dataset.value, key: index, value: item }],
        });
      }
      seen.add(n);
    });
  });
}

export const PostUploadRequest = component(
  "PostUploadRequest",
  v.pipe(
    v.strictObject({
      key,
      bucket,
      contentType,
      maxBytes: v.optional(
        v.pipe(
          integerIn(1, MAX_POST_BYTES),
          documented({
            description: "largest file accepted; capped by the tenant's upload.maxBytes",
          }),
        ),
      ),
      expiresIn,
      metadata,
      ...PostObjectHeaderFields,
      filename,
      ...ChecksumFields,
      successActionStatus: v.optional(
        v.pipe(
          v.union([v.literal(200), v.literal(201), v.literal(204)]),
          documented({ description: "status S3 answers a successful upload with (default 204)" }),
        ),
      ),
    }),
    documented({ example: { key: "avatar.png", contentType: "image/png", maxBytes: 1048576 } }),
  ),
);
export type PostUploadRequest = v.InferOutput<typeof PostUploadRequest>;

export const PostUploadResult = component(
  "PostUploadResult",
  v.object({
    url: v.pipe(v.string(), documented({ description: "the form's action (the bucket URL)" })),
    fields: v.pipe(
      v.record(v.string(), v.string()),
      documented({
        description: "form fields to send in this order, followed by the file as the last field",
      }),
    ),
    expiresAt: DateTime,
    expiresInCapped: ExpiresInCapped,
    maxBytes: v.pipe(integer(), documented({ description: "largest file S3 will accept" })),
    bucket: AliasUsed,
    key: FullKey,
  }),
);
export type PostUploadResult = v.InferOutput<typeof PostUploadResult>;

export const MultipartCreateRequest = component(
  "MultipartCreateRequest",
  v.pipe(
    v.strictObject({
      key,
      bucket,
      contentType,
      size: v.optional(
        v.pipe(
          integerIn(0, MAX_OBJECT_BYTES),
          documented({ description: "expected object size in bytes: checked, and sets partSize" }),
        ),
      ),
      ...ObjectHeaderFields,
      filename,
      ...MultipartChecksumFields,
    }),
    documented({ example: { key: "video.mp4", contentType: "video/mp4", size: 1073741824 } }),
  ),
);
export type MultipartCreateRequest = v.InferOutput<typeof MultipartCreateRequest>;

export const MultipartCreateResult = component(
  "MultipartCreateResult",
  v.object({
    uploadId: v.string(),
    key: FullKey,
    bucket: AliasUsed,
    partSize: v.pipe(
      integerIn(1, MAX_PART_SIZE),
      documented({ description: "suggested size of every part but the last (≥ 5 MiB, whole MiB)" }),
    ),
  }),
);

export const SignPartsRequest = component(
  "SignPartsRequest",
  v.strictObject({
    key,
    bucket,
    uploadId: UploadId,
    partNumbers: v.pipe(
      v.array(PartNumber),
      v.minLength(1),
      v.maxLength(MAX_SIGN_PARTS),
      unique<number>((n) => n, "part number"),
    ),
    ...PartChecksumsField,
    expiresIn,
  }),
);
export type SignPartsRequest = v.InferOutput<typeof SignPartsRequest>;

export const SignPartsResult = component(
  "SignPartsResult",
  v.object({
    parts: v.array(
      v.object({
        partNumber: integer(),
        url: v.string(),
        headers: v.optional(
          v.pipe(
            v.record(v.string(), v.string()),
            documented({ description: "signed headers to send with this part (its checksum)" }),
          ),
        ),
      }),
    ),
    expiresAt: DateTime,
    expiresInCapped: ExpiresInCapped,
  }),
);

const CompletedPart = v.strictObject({
  partNumber: PartNumber,
  etag: ETag,
  ...CompletedPartChecksumField,
});

export const CompleteRequest = component(
  "MultipartCompleteRequest",
  v.strictObject({
    key,
    bucket,
    uploadId: UploadId,
    parts: v.pipe(
      v.array(CompletedPart),
      v.minLength(1),
      v.maxLength(MAX_PARTS),
      unique<v.InferOutput<typeof CompletedPart>>((part) => part.partNumber, "part number"),
    ),
    ...ConditionFields,
  }),
);
export type CompleteRequest = v.InferOutput<typeof CompleteRequest>;

export const CompleteResult = component(
  "MultipartCompleteResult",
  v.object({
    key: FullKey,
    bucket: v.string(),
    etag: v.string(),
    size: v.pipe(integer(), documented({ description: "the object's size in bytes" })),
  }),
);

export const AbortRequest = component(
  "MultipartAbortRequest",
  v.strictObject({ key, bucket, uploadId: UploadId }),
);
export type AbortRequest = v.InferOutput<typeof AbortRequest>;

export const ListPartsQuery = v.strictObject({ key, bucket, uploadId: UploadId });
export type ListPartsQuery = v.InferOutput<typeof ListPartsQuery>;

export const ListPartsResult = component(
  "MultipartPartsResult",
  v.object({
    parts: v.array(
      v.object({
        partNumber: integer(),
        etag: v.string(),
        size: integer(),
        checksum: v.optional(
          v.pipe(
            v.string(),
            documented({ description: "the part's checksum as S3 lists it (upload's algorithm)" }),
          ),
        ),
      }),
    ),
  }),
);
