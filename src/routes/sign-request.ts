/**
 * `POST /v1/uploads/sign-request`: presign one S3 request a client such as Uppy's `@uppy/aws-s3`
 * makes itself (its `signRequest` option). The rules live in src/uploads/sign-request.ts.
 */
import { createRoute } from "../openapi/route";
import { signS3RequestForCaller } from "../uploads/sign-request";
import { SignS3Request, SignS3Result } from "../uploads/sign-request-schema";
import { BEARER, callOf, chargeCaller, jsonBodyOf, newRouter, problemResponses } from "./common";

const signRequestRoute = createRoute({
  method: "post",
  path: "/v1/uploads/sign-request",
  summary: "Presign an S3 request made by the client (Uppy's signRequest): PUT, DELETE, multipart",
  description:
    "PutObject and CreateMultipartUpload take a relative key and return the full key; every " +
    "later request (parts, list, complete, abort, delete) must send that full key, which is " +
    "refused (403) unless it lies below the caller's prefix. With the tenant's upload.maxBytes " +
    "a PutObject is answered with a POST policy (`fields`) and CompleteMultipartUpload is signed " +
    "only for the parts the gateway has listed within the limit (413 and aborted otherwise).",
  security: BEARER,
  request: { body: jsonBodyOf(SignS3Request) },
  responses: {
    200: {
      description: "The presigned URL, in the shape @uppy/aws-s3 expects from signRequest",
      content: { "application/json": { schema: SignS3Result } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429, 502, 503),
  },
});

/** One rate-limit unit per URL, as every other presign; a checked complete costs no more. */
export const signRequest = newRouter().openapi(signRequestRoute, async (c) => {
  const body = c.req.valid("json");
  await chargeCaller(c, 1);
  return c.json(await signS3RequestForCaller(callOf(c), body), 200);
});
