/**
 * `POST /v1/uploads/sign-request`: presigns one S3 request that a client makes itself, in the
 * shape of Uppy's `signRequest(request)` (`@uppy/aws-s3` 6.x, `src/s3-client/types.ts`):
 * PutObject, DeleteObject, and every multipart call — CreateMultipartUpload (`POST ?uploads`),
 * UploadPart, ListParts (`GET ?uploadId`), CompleteMultipartUpload (`POST ?uploadId`) and
 * AbortMultipartUpload (`DELETE ?uploadId`). The answer is Uppy's `{ url, key, headers, fields }`.
 *
 * Why this is safe although the client drives the upload:
 * - Keys. Requests that start an object (PutObject, CreateMultipartUpload) name a relative key and
 *   get the full key back; every later request names that full key, which must lie below the
 *   caller's granted prefix (tenant + subject + token prefix) and is rebuilt from it, so nothing
 *   outside the prefix is ever signed. S3 ties an upload id to its key, so a foreign upload id is
 *   useless with the caller's keys.
 * - Sizes. Uppy's requests carry no size, so `content-length` cannot be signed. With the tenant's
 *   `upload.maxBytes`, a PutObject is answered with a POST policy (`fields`) whose
 *   `content-length-range` S3 enforces; a CompleteMultipartUpload is signed only after the gateway
 *   has listed the parts and found them within the limit, and it signs `x-amz-content-sha256` of
 *   exactly the body Uppy will send for those parts (SigV4: the payload hash is part of the
 *   canonical request), so completing with any other part — a re-uploaded, larger one has another
 *   ETag — is refused by S3.
 * - Types. The tenant's `upload.contentTypes` is checked and the type signed, as for a presigned PUT.
 */
import { AwsV4Signer, type AwsClient } from "aws4fetch";
import { sha256Hex } from "../bytes";
import { requireOperation, type Principal } from "../auth/verify";
import { readCredentials } from "../env";
import { GatewayError } from "../errors";
import { assertValidKey, expandSubjectPrefix, fullKey, grantedPrefix } from "../keys";
import { logInfo } from "../log";
import { abortMultipartUpload, listParts, s3Client, type S3Target } from "../s3/multipart";
import { capabilitiesOf } from "../s3/providers";
import {
  conditionHeaders,
  overwriteDenied,
  refuseConditionalPostForm,
  requireNoOverwrite,
} from "../signing/conditions";
import { createPostPolicy, MAX_POST_BYTES } from "../signing/post-policy";
import { amzDate, clientFor, objectUrl } from "../signing/presign";
import { requiredChecksum } from "../signing/checksums";
import { allowedContentType } from "../signing/content-type";
import {
  headersOf,
  OBJECT_HEADERS,
  postFieldsOf,
  resolveObjectHeaders,
} from "../signing/object-headers";
import { lifetimeOf } from "../signing/expiry";
import { callerKey, resolveBucket, resolveExpiresIn, type CallContext } from "../signing/service";
import type { BucketConfig, Operation, TenantRecord } from "../tenants/schema";
import { requireCountableSize, signRequestCounts, signRequestPostBytes } from "../usage/counts";
import { DEFAULT_CONTENT_TYPE, type SignS3Request, type SignS3Result } from "./sign-request-schema";

/** The S3 operation a sign request names, from its method and whether it has an upload id. */
export type S3RequestKind =
  | "PutObject"
  | "DeleteObject"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "ListParts"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload";

/** The tenant operation each kind needs (docs/api.md, "Authentication": operations). */
const OPERATION_OF: Record<S3RequestKind, Operation> = {
  PutObject: "put",
  DeleteObject: "delete",
  CreateMultipartUpload: "multipart",
  UploadPart: "multipart",
  ListParts: "multipart",
  CompleteMultipartUpload: "multipart",
  AbortMultipartUpload: "multipart",
};

/** Fields that describe the object, for the two requests that create one. */
const CREATE_FIELDS = ["contentType", ...OBJECT_HEADERS, "kmsKeyId", "filename"] as const;

/**
 * Which S3 request this is (pure). `partNumber` belongs to UploadPart only and `contentType` to
 * the requests that create an object (so do the object headers); anything else is a 400 naming the field.
 */
export function kindOf(request: SignS3Request): S3RequestKind {
  const { method, uploadId, partNumber } = request;
  const kind = ((): S3RequestKind | undefined => {
    if (uploadId === undefined) {
      if (method === "PUT") return "PutObject";
      if (method === "POST") return "CreateMultipartUpload";
      if (method === "DELETE") return "DeleteObject";
      return undefined;
    }
    if (method === "PUT") return partNumber === undefined ? undefined : "UploadPart";
    if (method === "POST") return "CompleteMultipartUpload";
    if (method === "GET") return "ListParts";
    return "AbortMultipartUpload";
  })();
  if (kind === undefined) {
    const field = method === "PUT" ? "partNumber" : "uploadId";
    throw new GatewayError(
      "invalid_request",
      `${method} ${uploadId === undefined ? "without" : "with"} an upload id is not an S3 ` +
        "request this route signs (use POST /v1/presign for GET and HEAD)",
      { field },
    );
  }
  if (partNumber !== undefined && kind !== "UploadPart") {
    throw new GatewayError("invalid_request", `partNumber is not used with ${kind}`, {
      field: "partNumber",
    });
  }
  const misplaced = CREATE_FIELDS.find((field) => request[field] !== undefined);
  if (misplaced !== undefined && kind !== "PutObject" && kind !== "CreateMultipartUpload") {
    throw new GatewayError("invalid_request", `${misplaced} is not used with ${kind}`, {
      field: misplaced,
    });
  }
  const condition = request.ifNoneMatch !== undefined ? "ifNoneMatch" : "ifMatch";
  if (
    request[condition] !== undefined &&
    kind !== "PutObject" &&
    kind !== "CompleteMultipartUpload"
  ) {
    // S3 takes the conditions on the two requests that write the object, nowhere else.
    throw new GatewayError("invalid_request", `${condition} is not used with ${kind}`, {
      field: condition,
    });
  }
  return kind;
}

/**
 * The full key of a request that names one returned earlier: it must start with the caller's
 * granted prefix, and the rest must be a valid relative key, so the key rebuilt from the prefix
 * is the one given. Anything else is outside the grant (403) or not a key (400).
 */
export function ownedFullKey(principal: Principal, givenKey: string): string {
  const { tenant, sub, tokenPrefix } = principal;
  const scope = {
    tenantPrefix: tenant.prefix,
    subjectPrefix: expandSubjectPrefix(tenant.subjectPrefix, sub),
    tokenPrefix,
  };
  // A full key is a key: an empty or malformed one is 400 invalid_key, not "outside the prefix".
  assertValidKey(givenKey);
  const prefix = grantedPrefix(scope);
  if (!givenKey.startsWith(prefix)) {
    throw new GatewayError(
      "forbidden",
      "the key is outside the caller's prefix: send the full key this route returned",
      { field: "key" },
    );
  }
  return fullKey(scope, givenKey.slice(prefix.length));
}

/**
 * The body @uppy/aws-s3 sends to complete an upload (`S3mini._buildCompleteMultipartUploadXml`):
 * parts ascending, ETags without quotes (`sanitizeETag`), no XML declaration or whitespace.
 */
export function completeBodyOf(parts: readonly { partNumber: number; etag: string }[]): string {
  const ascending = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const items = ascending.map(
    (part) =>
      `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${unquote(part.etag)}</ETag></Part>`,
  );
  return `<CompleteMultipartUpload>${items.join("")}</CompleteMultipartUpload>`;
}

function unquote(etag: string): string {
  return etag.replace(/^"+|"+$/g, "");
}

interface S3PresignInput {
  method: "PUT" | "POST" | "GET" | "DELETE";
  bucket: BucketConfig;
  fullKey: string;
  expiresIn: number;
  now: Date;
  signedHeaders: Record<string, string>;
  query: Record<string, string>;
}

/**
 * A SigV4 query-signed URL for any S3 request method. The same steps as `presign()` in
 * src/signing/presign.ts, which is typed for the object methods of `/v1/presign` only; the
 * multipart control requests are POSTs (`?uploads`, `?uploadId`).
 */
async function presignS3Request(client: AwsClient, input: S3PresignInput): Promise<string> {
  const query = new URLSearchParams(input.query);
  query.set("X-Amz-Expires", String(input.expiresIn));
  const signer = new AwsV4Signer({
    method: input.method,
    url: `${objectUrl(input.bucket, input.fullKey)}?${query.toString()}`,
    headers: input.signedHeaders,
    accessKeyId: client.accessKeyId,
    secretAccessKey: client.secretAccessKey,
    ...(client.sessionToken === undefined ? {} : { sessionToken: client.sessionToken }),
    service: "s3",
    region: input.bucket.region,
    cache: client.cache,
    datetime: amzDate(input.now),
    signQuery: true,
    allHeaders: true,
  });
  const signature = await signer.signature();
  return `${signer.url.origin}${signer.encodedPath}?${signer.encodedSearch}&X-Amz-Signature=${signature}`;
}

/** Presigns `request` for the caller; see the module comment for the rules. */
export async function signS3RequestForCaller(
  call: CallContext,
  request: SignS3Request,
): Promise<SignS3Result> {
  const { principal, now } = call;
  const { tenant } = principal;
  const kind = kindOf(request);
  requireOperation(principal, OPERATION_OF[kind]);

  const creates = kind === "PutObject" || kind === "CreateMultipartUpload";
  const key = creates ? callerKey(principal, request.key) : ownedFullKey(principal, request.key);
  const [alias, bucketConfig] = resolveBucket(tenant, request.bucket);
  const asked = resolveExpiresIn(tenant, request.expiresIn);
  const required = requiredChecksum(tenant);
  if (creates && required !== undefined) {
    throw new GatewayError(
      "conflict",
      `the tenant requires a ${required} checksum on uploads, which this client does not send; ` +
        "use POST /v1/presign with checksumAlgorithm and checksum, or the multipart routes",
    );
  }
  requireCountableSize(kind, tenant);
  if (kind !== "CompleteMultipartUpload") {
    await call.meter(signRequestCounts(kind, tenant, OPERATION_OF[kind]));
  }
  const { raw, creds } = readCredentials(call.env, bucketConfig.credentials);
  const client = clientFor(raw, creds);
  const {
    expiresIn: seconds,
    expiresAt,
    capped,
  } = lifetimeOf(client, asked, now, {
    requestId: call.requestId,
    tenant: tenant.id,
    secret: bucketConfig.credentials,
  });
  const sign = (
    method: S3PresignInput["method"],
    query: Record<string, string>,
    signedHeaders: Record<string, string> = {},
  ) =>
    presignS3Request(client, {
      method,
      bucket: bucketConfig,
      fullKey: key,
      expiresIn: seconds,
      now,
      signedHeaders,
      query,
    });

  let result: SignS3Result;
  const uploadId = request.uploadId ?? "";
  switch (kind) {
    case "PutObject": {
      const type = allowedContentType(tenant, request.contentType, "contentType");
      const objectHeaders = resolveObjectHeaders(tenant.upload, bucketConfig, request);
      const conditions = conditionHeaders(tenant, bucketConfig, request, "PutObject");
      const { maxBytes } = tenant.upload;
      if (maxBytes === undefined) {
        const headers = {
          ...headersOf(objectHeaders),
          ...(type === undefined ? {} : { "content-type": type }),
          ...conditions,
        };
        result = { url: await sign("PUT", {}, headers), method: "PUT", key, headers, expiresAt };
        break;
      }
      refuseConditionalPostForm(
        tenant,
        request,
        `the tenant's upload.maxBytes needs one for a PUT without a size: use multipart ` +
          "(Uppy: shouldUseMultipart: true)",
      );
      // A PUT without a signed content-length could store any size; a POST policy's
      // content-length-range is checked by S3 itself.
      if (!capabilitiesOf(bucketConfig).postPolicy) {
        throw new GatewayError(
          "unsupported_by_provider",
          `the tenant limits uploads to ${maxBytes} bytes and bucket '${alias}' has no POST ` +
            "uploads, so a PUT without a size cannot be limited: use multipart " +
            "(Uppy: shouldUseMultipart: true) or POST /v1/presign with contentLength",
        );
      }
      const policy = await createPostPolicy({
        credentials: creds,
        bucket: bucketConfig,
        fullKey: key,
        expiresIn: seconds,
        now,
        minBytes: 0,
        maxBytes: signRequestPostBytes(maxBytes),
        contentType: type,
        exactFields: postFieldsOf(objectHeaders),
        successActionStatus: "204",
        cache: client.cache,
      });
      result = { url: policy.url, method: "POST", key, fields: policy.fields, expiresAt };
      break;
    }
    case "CreateMultipartUpload": {
      // Refused now rather than at complete: the parts would be uploaded for nothing.
      if (overwriteDenied(tenant)) requireNoOverwrite(bucketConfig, "CompleteMultipartUpload");
      // Uppy names no type here (it sends the file's type unsigned); a tenant that restricts
      // types gets the neutral one signed, which Uppy then sends instead.
      const type = allowedContentType(
        tenant,
        request.contentType ??
          (tenant.upload.contentTypes === undefined ? undefined : DEFAULT_CONTENT_TYPE),
        "contentType",
      );
      const headers = {
        ...headersOf(resolveObjectHeaders(tenant.upload, bucketConfig, request)),
        ...(type === undefined ? {} : { "content-type": type }),
      };
      result = {
        url: await sign("POST", { uploads: "" }, headers),
        method: "POST",
        key,
        headers,
        expiresAt,
      };
      break;
    }
    case "UploadPart":
      result = {
        url: await sign("PUT", { partNumber: String(request.partNumber), uploadId }),
        method: "PUT",
        key,
        expiresAt,
      };
      break;
    case "ListParts":
      result = { url: await sign("GET", { uploadId }), method: "GET", key, expiresAt };
      break;
    case "CompleteMultipartUpload": {
      const conditions = conditionHeaders(tenant, bucketConfig, request, "CompleteMultipartUpload");
      const pinned = await pinnedCompleteHeaders(call, {
        client,
        bucket: bucketConfig,
        fullKey: key,
        uploadId,
      });
      const headers = { ...pinned.headers, ...conditions };
      await call.meter(
        pinned.size === undefined
          ? { "urls.multipart": 1 }
          : { "urls.multipart": 1, "bytes.multipart": pinned.size },
      );
      result = {
        url: await sign("POST", { uploadId }, headers),
        method: "POST",
        key,
        headers,
        expiresAt,
      };
      break;
    }
    case "AbortMultipartUpload":
      result = { url: await sign("DELETE", { uploadId }), method: "DELETE", key, expiresAt };
      break;
    case "DeleteObject":
      result = { url: await sign("DELETE", {}), method: "DELETE", key, expiresAt };
      break;
  }

  if (result.headers !== undefined && Object.keys(result.headers).length === 0) {
    delete result.headers;
  }
  Object.assign(result, capped);
  logInfo("url_issued", {
    requestId: call.requestId,
    tenant: tenant.id,
    sub: principal.sub,
    operation: OPERATION_OF[kind],
    s3Request: kind,
    bucket: alias,
    key,
    ...(request.uploadId === undefined ? {} : { uploadId: request.uploadId }),
    expiresAt,
  });
  return result;
}

/**
 * With `upload.maxBytes`: list the parts (the gateway's own ListParts), refuse and abort when
 * they add up to more (413), else pin the complete body by its SHA-256. Without a limit there is
 * nothing to pin and no S3 call is made.
 */
async function pinnedCompleteHeaders(
  call: CallContext,
  upload: { client: AwsClient; bucket: BucketConfig; fullKey: string; uploadId: string },
): Promise<{ headers: Record<string, string>; size?: number }> {
  const { tenant } = call.principal;
  const { maxBytes } = tenant.upload;
  if (maxBytes === undefined) return { headers: {} };
  const target: S3Target = {
    client: s3Client(upload.client, upload.bucket.region),
    bucket: upload.bucket,
    fullKey: upload.fullKey,
    log: { requestId: call.requestId, tenant: tenant.id },
  };
  const parts = await listParts(target, upload.uploadId);
  const size = parts.reduce((total, part) => total + part.size, 0);
  if (size > maxBytes) {
    try {
      await abortMultipartUpload(target, upload.uploadId);
    } catch {
      // Logged by the S3 layer; the refusal is what the client must hear.
    }
    throw new GatewayError(
      "payload_too_large",
      `the parts add up to ${size} bytes, over the tenant's upload limit of ${maxBytes} bytes; ` +
        "the upload was aborted",
    );
  }
  if (parts.length === 0) {
    throw new GatewayError("invalid_request", "the upload has no parts to complete", {
      field: "uploadId",
    });
  }
  return { headers: { "x-amz-content-sha256": await sha256Hex(completeBodyOf(parts)) }, size };
}
