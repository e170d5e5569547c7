/**
 * Uploads that S3 enforces (docs/api.md, presigned POST and multipart): from a verified caller and a
 * request body to a signed POST form or an S3 multipart call. Grants, key, bucket, expiry and
 * the tenant's upload policy are checked here; signing lives in src/signing/, the S3 calls in
 * src/s3/, the upload records in ./records. Knows nothing of Hono; src/routes/uploads.ts calls it.
 */
import type { AwsClient } from "aws4fetch";
import { requireOperation } from "../auth/verify";
import { readCredentials } from "../env";
import { GatewayError } from "../errors";
import { logInfo } from "../log";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  listUpload,
  s3Client,
  suggestPartSize,
  type S3Target,
  type UploadedPart,
} from "../s3/multipart";
import { capabilitiesOf, requireCapability, type ChecksumAlgorithm } from "../s3/providers";
import {
  checksumHeaders,
  completedChecksums,
  multipartChecksum,
  partChecksums,
  uploadChecksum,
} from "../signing/checksums";
import {
  conditionHeaders,
  overwriteDenied,
  refuseConditionalPostForm,
  requireNoOverwrite,
} from "../signing/conditions";
import { createPostPolicy, MAX_POST_BYTES } from "../signing/post-policy";
import { clientFor, presign } from "../signing/presign";
import { allowedContentType } from "../signing/content-type";
import { headersOf, postFieldsOf, resolveObjectHeaders } from "../signing/object-headers";
import { lifetimeOf, requireUnexpired, type CredentialsUse } from "../signing/expiry";
import { eventSubject } from "../events/emit";
import {
  callerKey,
  resolveBucket,
  resolveExpiresIn,
  signerFor,
  type CallContext,
} from "../signing/service";
import { deleteUploadRecord, getUploadRecord, putUploadRecord } from "./records";
import type {
  AbortRequest,
  CompleteRequest,
  ListPartsQuery,
  MultipartCreateRequest,
  PostUploadRequest,
  PostUploadResult,
  SignPartsRequest,
} from "./schema";

const FORM_STATUS = { 200: "200", 201: "201", 204: "204" } as const;

/** `POST /v1/uploads/post`: a SigV4 POST policy S3 checks against the form it receives. */
export async function postUploadForCaller(
  call: CallContext,
  body: PostUploadRequest,
): Promise<PostUploadResult> {
  const { principal, now } = call;
  const { tenant } = principal;
  requireOperation(principal, "post");

  const key = callerKey(principal, body.key);
  const [alias, bucket] = resolveBucket(tenant, body.bucket);
  requireCapability(
    bucket,
    capabilitiesOf(bucket).postPolicy,
    `bucket '${alias}': browser POST uploads (use a presigned PUT: POST /v1/presign with method PUT)`,
  );
  refuseConditionalPostForm(
    tenant,
    {},
    "use a presigned PUT (POST /v1/presign with method PUT) or a multipart upload",
  );
  const checksum = uploadChecksum(tenant, bucket, body);
  const asked = resolveExpiresIn(tenant, body.expiresIn);
  const contentType = allowedContentType(tenant, body.contentType, "contentType");
  const exactFields = postFieldsOf(resolveObjectHeaders(tenant.upload, bucket, body));
  const maxBytes = Math.min(
    body.maxBytes ?? MAX_POST_BYTES,
    tenant.upload.maxBytes ?? MAX_POST_BYTES,
    MAX_POST_BYTES,
  );

  const { raw, creds } = readCredentials(call.env, bucket.credentials);
  const client = clientFor(raw, creds);
  const { expiresIn, capped } = lifetimeOf(client, asked, now, {
    requestId: call.requestId,
    tenant: tenant.id,
    secret: bucket.credentials,
  });
  await call.meter({ "urls.post": 1, "bytes.post": maxBytes });
  const policy = await createPostPolicy({
    credentials: creds,
    bucket,
    fullKey: key,
    expiresIn,
    now,
    // Empty files are ordinary uploads, as with a presigned PUT of contentLength 0.
    minBytes: 0,
    maxBytes,
    contentType,
    metadata: body.metadata,
    exactFields,
    checksum,
    // S3's own default is 204 (empty body); 201 returns an XML document with the key and ETag.
    successActionStatus: FORM_STATUS[body.successActionStatus ?? 204],
    cache: client.cache,
  });

  logInfo("url_issued", {
    requestId: call.requestId,
    tenant: tenant.id,
    sub: principal.sub,
    operation: "post",
    bucket: alias,
    key,
    maxBytes,
    expiresAt: policy.expiresAt,
  });
  return {
    url: policy.url,
    fields: policy.fields,
    expiresAt: policy.expiresAt,
    ...capped,
    maxBytes,
    bucket: alias,
    key,
  };
}

/** `POST /v1/uploads/multipart`: CreateMultipartUpload, recorded in KV for this caller's key. */
export async function createMultipartForCaller(call: CallContext, body: MultipartCreateRequest) {
  const upload = uploadOf(call, body.key, body.bucket);
  const { tenant } = call.principal;
  const checksum = multipartChecksum(tenant, upload.target.bucket, body);
  // Refused now rather than at complete: the parts would be uploaded for nothing.
  if (overwriteDenied(tenant)) requireNoOverwrite(upload.target.bucket, "CompleteMultipartUpload");
  const contentType = allowedContentType(tenant, body.contentType, "contentType");
  const { maxBytes } = tenant.upload;
  if (body.size !== undefined && maxBytes !== undefined && body.size > maxBytes) {
    throw new GatewayError(
      "payload_too_large",
      `size exceeds the tenant's upload limit of ${maxBytes} bytes`,
      { field: "size" },
    );
  }

  const objectHeaders = resolveObjectHeaders(tenant.upload, upload.target.bucket, body);
  const uploadId = await createMultipartUpload(
    upload.target,
    contentType,
    headersOf(objectHeaders),
    checksum,
  );
  try {
    await putUploadRecord(call.env.KV, tenant, uploadId, {
      fullKey: upload.key,
      sub: call.principal.sub,
      bucket: upload.alias,
      createdAt: call.now.toISOString(),
      ...(checksum === undefined
        ? {}
        : { checksumAlgorithm: checksum.algorithm, checksumType: checksum.type }),
    });
  } catch (error) {
    // Without its record the upload would still be usable (S3 ties it to the key), but the
    // client was told it failed: do not leave an upload nobody knows about.
    await abortQuietly(upload.target, uploadId);
    throw error;
  }

  logUpload(call, "upload_created", upload, uploadId, { size: body.size });
  return {
    uploadId,
    key: upload.key,
    bucket: upload.alias,
    partSize: suggestPartSize(body.size ?? maxBytes),
  };
}

/** `POST /v1/uploads/multipart/sign-parts`: presigned UploadPart URLs for an upload of the caller. */
export async function signPartsForCaller(call: CallContext, body: SignPartsRequest) {
  const upload = uploadOf(call, body.key, body.bucket);
  const { expiresIn, expiresAt, capped } = lifetimeOf(
    upload.signer,
    resolveExpiresIn(call.principal.tenant, body.expiresIn),
    call.now,
    upload.credentialsUse,
  );
  // No S3 call follows that would refuse a foreign upload id, so prove it now (record or S3).
  const { checksumAlgorithm } = await assertUploadOfCaller(call, upload, body.uploadId, {
    proveWithS3: true,
  });
  const checksums = partChecksums(
    call.principal.tenant,
    checksumAlgorithm,
    body.partNumbers,
    body.checksums,
  );
  await call.meter({ "urls.multipart": body.partNumbers.length });

  const parts = await Promise.all(
    body.partNumbers.map(async (partNumber) => {
      const checksum = checksums.get(partNumber);
      const { url, headers } = await presign(upload.signer, {
        method: "PUT",
        bucket: upload.target.bucket,
        fullKey: upload.key,
        expiresIn,
        now: call.now,
        query: { partNumber: String(partNumber), uploadId: body.uploadId },
        ...(checksum === undefined ? {} : { signedHeaders: checksumHeaders(checksum) }),
      });
      return checksum === undefined ? { partNumber, url } : { partNumber, url, headers };
    }),
  );
  logUpload(call, "url_issued", upload, body.uploadId, {
    operation: "multipart",
    parts: parts.length,
    expiresAt,
  });
  return { parts, expiresAt, ...capped };
}

/**
 * `POST /v1/uploads/multipart/complete`. ListParts first: the parts named must add up to at most
 * the tenant's `upload.maxBytes`, or the upload is aborted (413). Part URLs cannot carry a size
 * limit the way a POST policy does, so this is where the limit is enforced.
 */
export async function completeForCaller(call: CallContext, body: CompleteRequest) {
  const upload = uploadOf(call, body.key, body.bucket);
  const { tenant } = call.principal;
  const conditions = conditionHeaders(
    tenant,
    upload.target.bucket,
    body,
    "CompleteMultipartUpload",
  );
  const recorded = await assertUploadOfCaller(call, upload, body.uploadId, { proveWithS3: false });

  const listed = await listUpload(upload.target, body.uploadId);
  const size = sizeOfRequested(body.parts, listed.parts);
  const checksumAlgorithm = recorded.checksumAlgorithm ?? listed.checksumAlgorithm;
  const checksums = completedChecksums(checksumAlgorithm, body.parts, listed.parts);

  const { maxBytes } = tenant.upload;
  if (maxBytes !== undefined && size > maxBytes) {
    await abortQuietly(upload.target, body.uploadId);
    await deleteUploadRecord(call.env.KV, tenant, body.uploadId);
    logUpload(call, "upload_refused", upload, body.uploadId, { size, maxBytes });
    throw new GatewayError(
      "payload_too_large",
      `the parts add up to ${size} bytes, over the tenant's upload limit of ${maxBytes} bytes; ` +
        "the upload was aborted",
      { field: "parts" },
    );
  }

  // S3 wants ascending part numbers (InvalidPartOrder otherwise); the order is not the client's
  // concern.
  const ascending = body.parts
    .map((part, index) => ({ ...part, checksum: checksums[index] }))
    .sort((a, b) => a.partNumber - b.partNumber);
  await call.meter({ "bytes.multipart": size });
  const etag = await completeMultipartUpload(
    upload.target,
    body.uploadId,
    ascending,
    conditions,
    checksumAlgorithm,
  );
  await call.meter({ "uploads.completed": 1 });
  await deleteUploadRecord(call.env.KV, tenant, body.uploadId);
  logUpload(call, "upload_completed", upload, body.uploadId, { size });
  call.emit({
    type: "upload.completed",
    data: {
      ...eventSubject(call),
      bucket: upload.alias,
      key: upload.key,
      size,
      etag,
      via: "multipart",
    },
  });
  return { key: upload.key, bucket: upload.alias, etag, size };
}

/** `POST /v1/uploads/multipart/abort`. */
export async function abortForCaller(call: CallContext, body: AbortRequest): Promise<void> {
  const upload = uploadOf(call, body.key, body.bucket);
  await assertUploadOfCaller(call, upload, body.uploadId, { proveWithS3: false });
  await abortMultipartUpload(upload.target, body.uploadId);
  await deleteUploadRecord(call.env.KV, call.principal.tenant, body.uploadId);
  logUpload(call, "upload_aborted", upload, body.uploadId, {});
}

/** `GET /v1/uploads/multipart/parts`: every uploaded part (ListParts, all pages). */
export async function listPartsForCaller(call: CallContext, query: ListPartsQuery) {
  const upload = uploadOf(call, query.key, query.bucket);
  await assertUploadOfCaller(call, upload, query.uploadId, { proveWithS3: false });
  const parts = await listParts(upload.target, query.uploadId);
  return { parts };
}

/** The caller's object for a multipart call: grant, full key, bucket, signer and S3 client. */
interface CallerUpload {
  key: string;
  alias: string;
  /** The cached aws4fetch client: presigns part URLs. */
  signer: AwsClient;
  /** The gateway's own S3 calls (no retries, same derived-key cache). */
  target: S3Target;
  /** For the log line of expired credentials. */
  credentialsUse: CredentialsUse;
}

function uploadOf(
  call: CallContext,
  relativeKey: string,
  bucketAlias: string | undefined,
): CallerUpload {
  const { principal } = call;
  requireOperation(principal, "multipart");
  const key = callerKey(principal, relativeKey);
  const [alias, bucket] = resolveBucket(principal.tenant, bucketAlias);
  const signer = signerFor(call.env, bucket.credentials);
  const credentialsUse = {
    requestId: call.requestId,
    tenant: principal.tenant.id,
    secret: bucket.credentials,
  };
  // Every multipart route makes an S3 call or signs: expired credentials are 503 for all of them.
  requireUnexpired(signer, call.now, credentialsUse);
  return {
    key,
    alias,
    signer,
    credentialsUse,
    target: {
      client: s3Client(signer, bucket.region),
      bucket,
      fullKey: key,
      log: { requestId: call.requestId, tenant: principal.tenant.id },
    },
  };
}

/**
 * Refuses (404, as S3's NoSuchUpload) an upload id whose record names another key or bucket.
 * Records are per tenant, so another tenant's upload id is never found: without a record (KV is
 * eventually consistent), `proveWithS3` asks S3 for one part of the upload under the caller's
 * key, which S3 refuses for an upload id of any other key. Returns the upload's checksum
 * algorithm as the record (or that ListParts) names it.
 */
async function assertUploadOfCaller(
  call: CallContext,
  upload: CallerUpload,
  uploadId: string,
  options: { proveWithS3: boolean },
): Promise<{ checksumAlgorithm: ChecksumAlgorithm | undefined }> {
  const record = await getUploadRecord(call.env.KV, call.principal.tenant, uploadId);
  if (record !== null) {
    if (record.fullKey !== upload.key || record.bucket !== upload.alias) {
      throw new GatewayError("not_found", "no such upload for this key (NoSuchUpload)");
    }
    return { checksumAlgorithm: record.checksumAlgorithm };
  }
  if (!options.proveWithS3) return { checksumAlgorithm: undefined };
  return { checksumAlgorithm: (await listUpload(upload.target, uploadId, 1)).checksumAlgorithm };
}

/**
 * The size of the object the requested parts make. Every part must be one S3 lists with the same
 * ETag, or the call is refused before completing: a part we cannot size could otherwise slip past
 * the limit (if it was re-uploaded after ListParts, its new ETag differs from the listed one, and
 * completing with the old ETag makes S3 refuse with InvalidPart).
 */
function sizeOfRequested(
  requested: readonly { partNumber: number; etag: string }[],
  uploaded: readonly UploadedPart[],
): number {
  const byNumber = new Map(uploaded.map((part) => [part.partNumber, part]));
  let total = 0;
  for (const [index, part] of requested.entries()) {
    const held = byNumber.get(part.partNumber);
    if (held === undefined || unquote(held.etag) !== unquote(part.etag)) {
      throw new GatewayError(
        "invalid_request",
        `part ${part.partNumber} is not uploaded with this ETag (S3 would answer InvalidPart)`,
        { field: `parts.${index}` },
      );
    }
    total += held.size;
  }
  return total;
}

/** ETags travel quoted (`"…"`) in headers and XML, and clients may strip the quotes. */
function unquote(etag: string): string {
  return etag.replace(/^"(.*)"$/, "$1");
}

async function abortQuietly(target: S3Target, uploadId: string): Promise<void> {
  try {
    await abortMultipartUpload(target, uploadId);
  } catch {
    // Already logged by the S3 layer; the original failure is what the client must hear.
  }
}

function logUpload(
  call: CallContext,
  event: string,
  upload: CallerUpload,
  uploadId: string,
  fields: Record<string, string | number | undefined>,
): void {
  logInfo(event, {
    requestId: call.requestId,
    tenant: call.principal.tenant.id,
    sub: call.principal.sub,
    bucket: upload.alias,
    key: upload.key,
    uploadId,
    ...fields,
  });
}
