/**
 * Request and response of `POST /v1/uploads/sign-request` (see ./sign-request.ts): the shape of
 * Uppy's `signRequest(request)` and of its answer: the validation, the OpenAPI components and the
 * types (test/client/types.test.ts holds the typed client's copies to them).
 */
import * as z from "zod/mini";
import { docs } from "../openapi/route";
import { DateTime, FullKey, objectKey, PresignRequest } from "../signing/schema";

const { bucket, contentType, expiresIn } = PresignRequest.shape;

/** The type S3 gives an object created without one; signed when the tenant restricts types. */
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export const SignS3Request = z
  .strictObject({
    method: z.enum(["PUT", "POST", "GET", "DELETE"]),
    key: objectKey({
      description:
        "PutObject and CreateMultipartUpload: the relative key; every other request: the full " +
        "key returned by those",
      example: "3f1c-cat.jpg",
    }),
    uploadId: z.optional(z.string().check(z.regex(/^[\x21-\x7e]{1,400}$/, "an S3 upload id"))),
    partNumber: z.optional(z.int().check(z.minimum(1), z.maximum(10_000))),
    contentType,
    expiresIn,
    bucket,
  })
  .register(docs, {
    id: "SignS3Request",
    description: "One S3 request to presign, as @uppy/aws-s3 passes it to `signRequest`",
  });
export type SignS3Request = z.infer<typeof SignS3Request>;

export const SignS3Result = z
  .object({
    url: z.string(),
    method: z.enum(["PUT", "POST", "GET", "DELETE"]),
    key: FullKey,
    headers: z.optional(z.record(z.string(), z.string())).register(docs, {
      description: "signed headers to send with the request (never browser-forbidden ones)",
    }),
    fields: z.optional(z.record(z.string(), z.string())).register(docs, {
      description: "PutObject only: POST policy form fields; upload with a form POST to url",
    }),
    expiresAt: DateTime,
  })
  .register(docs, { id: "SignS3Result" });
export type SignS3Result = z.infer<typeof SignS3Result>;
