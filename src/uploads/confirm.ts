/**
 * `POST /v1/uploads/confirm` (docs/webhooks.md): a single PUT or POST form goes to S3 directly,
 * so the gateway never sees it finish. The client confirms it: the gateway asks S3 for the
 * object itself (HeadObject, with the tenant's credentials) and reports what S3 holds, never what
 * the client claims; then counts `uploads.completed` and emits `upload.completed`.
 */
import * as v from "valibot";
import { GatewayError } from "../errors";
import { eventSubject } from "../events/emit";
import { component, documented, integer } from "../openapi/route";
import { headObject, s3Client } from "../s3/multipart";
import { CHECKSUM_ALGORITHMS } from "../s3/providers";
import { signerFor, callerKey, resolveBucket, type CallContext } from "../signing/service";
import { BucketAlias, FullKey, ObjectKey } from "../signing/schema";
import { requireUnexpired } from "../signing/expiry";
import { logInfo } from "../log";

export const ConfirmRequest = component(
  "UploadConfirmRequest",
  v.strictObject({ key: ObjectKey, bucket: BucketAlias }),
);
export type ConfirmRequest = v.InferOutput<typeof ConfirmRequest>;

export const ConfirmResult = component(
  "UploadConfirmResult",
  v.object({
    key: FullKey,
    bucket: v.string(),
    size: v.pipe(
      integer(),
      documented({ description: "the object's size in bytes, as S3 has it" }),
    ),
    etag: v.string(),
    contentType: v.optional(v.string()),
    checksum: v.optional(
      v.object({ algorithm: v.picklist(CHECKSUM_ALGORITHMS), value: v.string() }),
    ),
  }),
);
export type ConfirmResult = v.InferOutput<typeof ConfirmResult>;

export async function confirmForCaller(
  call: CallContext,
  body: ConfirmRequest,
): Promise<ConfirmResult> {
  const { principal } = call;
  const { tenant } = principal;
  // The grants of the uploads that need confirming: a single PUT or a POST form.
  if (!principal.operations.has("put") && !principal.operations.has("post")) {
    throw new GatewayError(
      "forbidden",
      "the token grants neither the 'put' nor the 'post' operation",
    );
  }
  const key = callerKey(principal, body.key);
  const [alias, bucket] = resolveBucket(tenant, body.bucket);
  const signer = signerFor(call.env, bucket.credentials);
  requireUnexpired(signer, call.now, {
    requestId: call.requestId,
    tenant: tenant.id,
    secret: bucket.credentials,
  });
  const object = await headObject({
    client: s3Client(signer, bucket.region),
    bucket,
    fullKey: key,
    log: { requestId: call.requestId, tenant: tenant.id },
  });
  await call.meter({ "uploads.completed": 1 });
  const result: ConfirmResult = {
    key,
    bucket: alias,
    size: object.size,
    etag: object.etag,
    ...(object.contentType === undefined ? {} : { contentType: object.contentType }),
    ...(object.checksum === undefined ? {} : { checksum: object.checksum }),
  };
  call.emit({
    type: "upload.completed",
    data: { ...eventSubject(call), ...result, via: "confirm" },
  });
  logInfo("upload_confirmed", {
    requestId: call.requestId,
    tenant: tenant.id,
    sub: principal.sub,
    bucket: alias,
    key,
    size: object.size,
  });
  return result;
}
