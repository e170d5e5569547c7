/**
 * Request and response of `POST /v1/uploads/sign-request` (see ./sign-request.ts): the shape of
 * Uppy's `signRequest(request)` and of its answer: the validation, the OpenAPI components and the
 * types (test/client/types.test.ts holds the typed client's copies to them).
 */
import * as v from "valibot";
import { component, documented, integerIn } from "../openapi/route";
import { ConditionFields } from "../signing/conditions";
import {
  BucketAlias,
  ContentTypeField,
  DateTime,
  ExpiresIn,
  ExpiresInCapped,
  FullKey,
  objectKey,
} from "../signing/schema";
import { ObjectHeaderFields } from "../signing/object-headers";
import { filename } from "./schema";

/** The type S3 gives an object created without one; signed when the tenant restricts types. */
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

const S3Method = v.picklist(["PUT", "POST", "GET", "DELETE"]);

export const SignS3Request = component(
  "SignS3Request",
  v.pipe(
    v.strictObject({
      method: S3Method,
      key: objectKey({
        description:
          "PutObject and CreateMultipartUpload: the relative key; every other request: the full " +
          "key returned by those",
        example: "3f1c-cat.jpg",
      }),
      uploadId: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,400}$/, "an S3 upload id"))),
      partNumber: v.optional(integerIn(1, 10_000)),
      contentType: ContentTypeField,
      expiresIn: ExpiresIn,
      bucket: BucketAlias,
      ...ObjectHeaderFields,
      filename,
      ...ConditionFields,
    }),
    v.description("One S3 request to presign, as @uppy/aws-s3 passes it to `signRequest`"),
  ),
);
export type SignS3Request = v.InferOutput<typeof SignS3Request>;

export const SignS3Result = component(
  "SignS3Result",
  v.object({
    url: v.string(),
    method: S3Method,
    key: FullKey,
    headers: v.optional(
      v.pipe(
        v.record(v.string(), v.string()),
        documented({
          description: "signed headers to send with the request (never browser-forbidden ones)",
        }),
      ),
    ),
    fields: v.optional(
      v.pipe(
        v.record(v.string(), v.string()),
        documented({
          description: "PutObject only: POST policy form fields; upload with a form POST to url",
        }),
      ),
    ),
    expiresAt: DateTime,
    expiresInCapped: ExpiresInCapped,
  }),
);
export type SignS3Result = v.InferOutput<typeof SignS3Result>;
