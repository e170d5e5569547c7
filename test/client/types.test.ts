/**
 * The client's hand-written types (src/client/types.ts) against the zod schemas the routes
 * validate with: whatever the client may send is a valid request shape, and whatever a route
 * answers fits the client's type. Checked by tsc (`npm run typecheck`); the test body only runs
 * the no-op assertions.
 */
import type * as z from "zod/mini";
import { describe, expectTypeOf, it } from "vitest";
import type * as client from "../../src/client/types";
import type { Problem } from "../../src/errors";
import type { CreateLinkRequest, CreateLinkResult } from "../../src/links/schema";
import type { PresignRequest, PresignResult } from "../../src/signing/schema";
import type { SignS3Request, SignS3Result } from "../../src/uploads/sign-request-schema";
import type * as uploads from "../../src/uploads/schema";

describe("client types match the gateway's schemas", () => {
  it("requests: every client value is a valid input, and back", () => {
    expectTypeOf<client.PresignInput>().toEqualTypeOf<z.input<typeof PresignRequest>>();
    expectTypeOf<client.PostInput>().toEqualTypeOf<z.input<typeof uploads.PostUploadRequest>>();
    expectTypeOf<client.MultipartCreateInput>().toEqualTypeOf<
      z.input<typeof uploads.MultipartCreateRequest>
    >();
    expectTypeOf<client.SignPartsInput>().toEqualTypeOf<z.input<typeof uploads.SignPartsRequest>>();
    expectTypeOf<client.CompleteInput>().toEqualTypeOf<z.input<typeof uploads.CompleteRequest>>();
    expectTypeOf<client.AbortInput>().toEqualTypeOf<z.input<typeof uploads.AbortRequest>>();
    expectTypeOf<client.ListPartsInput>().toEqualTypeOf<z.input<typeof uploads.ListPartsQuery>>();
    expectTypeOf<client.LinkInput>().toEqualTypeOf<z.input<typeof CreateLinkRequest>>();
    expectTypeOf<client.S3RequestInput>().toEqualTypeOf<z.input<typeof SignS3Request>>();
  });

  it("answers: every route output fits the client's type, and back", () => {
    expectTypeOf<client.Presigned>().toEqualTypeOf<z.output<typeof PresignResult>>();
    expectTypeOf<client.PostForm>().toEqualTypeOf<z.output<typeof uploads.PostUploadResult>>();
    expectTypeOf<client.MultipartCreated>().toEqualTypeOf<
      z.output<typeof uploads.MultipartCreateResult>
    >();
    expectTypeOf<client.SignedParts>().toEqualTypeOf<z.output<typeof uploads.SignPartsResult>>();
    expectTypeOf<client.Completed>().toEqualTypeOf<z.output<typeof uploads.CompleteResult>>();
    expectTypeOf<client.UploadedParts>().toEqualTypeOf<z.output<typeof uploads.ListPartsResult>>();
    expectTypeOf<client.Link>().toEqualTypeOf<z.output<typeof CreateLinkResult>>();
    expectTypeOf<client.S3RequestSigned>().toEqualTypeOf<z.output<typeof SignS3Result>>();
    expectTypeOf<client.Problem>().toEqualTypeOf<Problem>();
  });
});
