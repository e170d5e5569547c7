/**
 * The client's hand-written types (src/client/types.ts) against the valibot schemas the routes
 * validate with: whatever the client may send is a valid request shape, and whatever a route
 * answers fits the client's type. Checked by tsc (`npm run typecheck`); the test body only runs
 * the no-op assertions.
 */
import type * as v from "valibot";
import { describe, expectTypeOf, it } from "vitest";
import type * as client from "../../src/client/types";
import type { Problem } from "../../src/errors";
import type { CreateLinkRequest, CreateLinkResult } from "../../src/links/schema";
import type { PresignRequest, PresignResult } from "../../src/signing/schema";
import type { SignS3Request, SignS3Result } from "../../src/uploads/sign-request-schema";
import type * as uploads from "../../src/uploads/schema";
import type { ConfirmRequest, ConfirmResult } from "../../src/uploads/confirm";

describe("client types match the gateway's schemas", () => {
  it("requests: every client value is a valid input, and back", () => {
    expectTypeOf<client.PresignInput>().toEqualTypeOf<v.InferInput<typeof PresignRequest>>();
    expectTypeOf<client.PostInput>().toEqualTypeOf<
      v.InferInput<typeof uploads.PostUploadRequest>
    >();
    expectTypeOf<client.MultipartCreateInput>().toEqualTypeOf<
      v.InferInput<typeof uploads.MultipartCreateRequest>
    >();
    expectTypeOf<client.SignPartsInput>().toEqualTypeOf<
      v.InferInput<typeof uploads.SignPartsRequest>
    >();
    expectTypeOf<client.CompleteInput>().toEqualTypeOf<
      v.InferInput<typeof uploads.CompleteRequest>
    >();
    expectTypeOf<client.AbortInput>().toEqualTypeOf<v.InferInput<typeof uploads.AbortRequest>>();
    expectTypeOf<client.ListPartsInput>().toEqualTypeOf<
      v.InferInput<typeof uploads.ListPartsQuery>
    >();
    expectTypeOf<client.LinkInput>().toEqualTypeOf<v.InferInput<typeof CreateLinkRequest>>();
    expectTypeOf<client.S3RequestInput>().toEqualTypeOf<v.InferInput<typeof SignS3Request>>();
    expectTypeOf<client.ConfirmInput>().toEqualTypeOf<v.InferInput<typeof ConfirmRequest>>();
  });

  it("answers: every route output fits the client's type, and back", () => {
    expectTypeOf<client.Presigned>().toEqualTypeOf<v.InferOutput<typeof PresignResult>>();
    expectTypeOf<client.PostForm>().toEqualTypeOf<v.InferOutput<typeof uploads.PostUploadResult>>();
    expectTypeOf<client.MultipartCreated>().toEqualTypeOf<
      v.InferOutput<typeof uploads.MultipartCreateResult>
    >();
    expectTypeOf<client.SignedParts>().toEqualTypeOf<
      v.InferOutput<typeof uploads.SignPartsResult>
    >();
    expectTypeOf<client.Completed>().toEqualTypeOf<v.InferOutput<typeof uploads.CompleteResult>>();
    expectTypeOf<client.UploadedParts>().toEqualTypeOf<
      v.InferOutput<typeof uploads.ListPartsResult>
    >();
    expectTypeOf<client.Link>().toEqualTypeOf<v.InferOutput<typeof CreateLinkResult>>();
    expectTypeOf<client.S3RequestSigned>().toEqualTypeOf<v.InferOutput<typeof SignS3Result>>();
    expectTypeOf<client.Confirmed>().toEqualTypeOf<v.InferOutput<typeof ConfirmResult>>();
    expectTypeOf<client.Problem>().toEqualTypeOf<Problem>();
  });
});
