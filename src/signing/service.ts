/**
 * From a verified caller and a presign body to a signed URL: grants, key, bucket, expiry,
 * upload policy, then the signer. Knows nothing of Hono; the routes call it.
 */
import type { AwsClient } from "aws4fetch";
import { requireOperation, type Principal } from "../auth/verify";
import { readCredentials, readSecret, type Env } from "../env";
import { GatewayError } from "../errors";
import { expandSubjectPrefix, fullKey } from "../keys";
import { attachmentDisposition, parseContentDisposition } from "../http/content-disposition";
import { logInfo } from "../log";
import type { BucketConfig, TenantRecord } from "../tenants/schema";
import { conditionHeaders } from "./conditions";
import { checksumHeaders, uploadChecksum } from "./checksums";
import type { GatewayEvent } from "../events/schema";
import type { Counts } from "../usage/metrics";
import { presignCounts } from "../usage/counts";
import { allowedContentType } from "./content-type";
import { headersOf, OBJECT_HEADERS, resolveObjectHeaders } from "./object-headers";
import { lifetimeOf } from "./expiry";
import { cachedClient, clientFor, presign } from "./presign";
import { OPERATION_OF_METHOD, type PresignRequest, type PresignResult } from "./schema";

export interface CallContext {
  env: Env;
  principal: Principal;
  requestId: string;
  now: Date;
  /** Counts what the call is about to issue; reserves it first under a quota (src/usage/). */
  meter: (counts: Counts) => Promise<void>;
  /** Enqueues an event for the tenant's webhooks, after the response (src/events/emit.ts). */
  emit: (event: GatewayEvent) => void;
}

export async function presignForCaller(
  call: CallContext,
  body: PresignRequest,
): Promise<PresignResult> {
  const { principal, now } = call;
  const { tenant } = principal;
  requireOperation(principal, OPERATION_OF_METHOD[body.method]);

  const key = callerKey(principal, body.key);
  const [alias, bucket] = resolveBucket(tenant, body.bucket);
  const asked = resolveExpiresIn(tenant, body.expiresIn);
  refuseMisplacedFields(body);
  const signedHeaders =
    body.method === "PUT"
      ? {
          ...uploadHeaders(tenant, bucket, body),
          ...conditionHeaders(tenant, bucket, body, "PutObject"),
        }
      : {};
  await call.meter(presignCounts(body));

  const signer = signerFor(call.env, bucket.credentials);
  const { expiresIn, expiresAt, capped } = lifetimeOf(signer, asked, now, {
    requestId: call.requestId,
    tenant: tenant.id,
    secret: bucket.credentials,
  });
  const presigned = await presign(signer, {
    method: body.method,
    bucket,
    fullKey: key,
    expiresIn,
    now,
    signedHeaders,
    // On PUT, `filename` is the stored disposition (uploadHeaders), not a response override.
    query: body.method === "PUT" ? {} : responseOverrides(tenant, body),
  });

  logInfo("url_issued", {
    requestId: call.requestId,
    tenant: tenant.id,
    sub: principal.sub,
    operation: OPERATION_OF_METHOD[body.method],
    bucket: alias,
    key,
    expiresAt,
  });
  return {
    url: presigned.url,
    method: body.method,
    headers: presigned.headers,
    bucket: alias,
    key,
    expiresIn,
    expiresAt,
    ...capped,
    serverTime: now.toISOString(),
  };
}

/**
 * The signer of the credential set named `credentials` (a secret): one cached AwsClient per
 * distinct secret value, so derived signing keys are reused across requests. A secret value
 * seen before was valid then and is the same string now: its client is reused without parsing
 * the JSON again; a new value (rotation, first use) is parsed and validated.
 */
export function signerFor(env: Env, credentials: string): AwsClient {
  const raw = readSecret(env, credentials);
  const cached = raw === undefined ? undefined : cachedClient(raw);
  if (cached !== undefined) return cached;
  const parsed = readCredentials(env, credentials);
  return clientFor(parsed.raw, parsed.creds);
}

/** The caller's full key for `relativeKey`: always below tenant + subject + token prefix. */
export function callerKey(principal: Principal, relativeKey: string): string {
  const { tenant, sub, tokenPrefix } = principal;
  return fullKey(
    {
      tenantPrefix: tenant.prefix,
      subjectPrefix: expandSubjectPrefix(tenant.subjectPrefix, sub),
      tokenPrefix,
    },
    relativeKey,
  );
}

export function resolveBucket(
  tenant: TenantRecord,
  alias: string | undefined,
): [string, BucketConfig] {
  const name = alias ?? tenant.defaultBucket;
  const bucket = Object.hasOwn(tenant.buckets, name) ? tenant.buckets[name] : undefined;
  if (bucket === undefined) {
    throw new GatewayError("forbidden", `the tenant has no bucket '${name}'`, { field: "bucket" });
  }
  return [name, bucket];
}

export function resolveExpiresIn(
  tenant: TenantRecord,
  expiresIn: number | undefined,
  field = "expiresIn",
): number {
  const seconds = expiresIn ?? tenant.defaultExpiresIn;
  if (seconds > tenant.maxExpiresIn) {
    throw new GatewayError(
      "invalid_request",
      `${field} must be at most ${tenant.maxExpiresIn} s for this tenant`,
      { field },
    );
  }
  return seconds;
}

/**
 * The headers a presigned PUT signs, so S3 itself refuses an upload that breaks the tenant's
 * policy: content-length (required when `upload.maxBytes` is set), content-type (required and
 * matched when `upload.contentTypes` is set), the checksum (./checksums.ts), user metadata and
 * the object headers of ./object-headers.ts (the tenant's forced ones included).
 */
function uploadHeaders(
  tenant: TenantRecord,
  bucket: BucketConfig,
  body: PresignRequest,
): Record<string, string> {
  const policy = tenant.upload;
  const headers: Record<string, string> = {};

  if (body.contentLength !== undefined) {
    if (policy.maxBytes !== undefined && body.contentLength > policy.maxBytes) {
      throw new GatewayError(
        "payload_too_large",
        `contentLength exceeds the tenant's upload limit of ${policy.maxBytes} bytes`,
        { field: "contentLength" },
      );
    }
    headers["content-length"] = String(body.contentLength);
  } else if (policy.maxBytes !== undefined) {
    throw new GatewayError("invalid_request", "contentLength is required for uploads", {
      field: "contentLength",
    });
  }

  const contentType = allowedContentType(tenant, body.contentType, "contentType");
  if (contentType !== undefined) headers["content-type"] = contentType;

  const checksum = uploadChecksum(tenant, bucket, body);
  if (checksum !== undefined) Object.assign(headers, checksumHeaders(checksum));

  for (const [name, value] of Object.entries(body.metadata ?? {})) {
    headers[`x-amz-meta-${name}`] = value;
  }
  Object.assign(headers, headersOf(resolveObjectHeaders(policy, bucket, body)));
  return headers;
}

const UPLOAD_FIELDS = [
  "contentType",
  "contentLength",
  "checksumSha256",
  "checksumAlgorithm",
  "checksum",
  "metadata",
  ...OBJECT_HEADERS,
  "kmsKeyId",
  "filename",
  "ifNoneMatch",
  "ifMatch",
] as const;
const READ_FIELDS = [
  "filename",
  "responseContentDisposition",
  "responseContentType",
  "responseCacheControl",
] as const;
const FIELDS_OF_METHOD: Record<PresignRequest["method"], readonly string[]> = {
  GET: READ_FIELDS,
  HEAD: READ_FIELDS,
  PUT: UPLOAD_FIELDS,
  DELETE: [],
};

/** Upload fields only make sense on PUT, response overrides only on GET/HEAD: say so. */
function refuseMisplacedFields(body: PresignRequest): void {
  const allowed = FIELDS_OF_METHOD[body.method];
  const misplaced = [...UPLOAD_FIELDS, ...READ_FIELDS].find(
    (field) => body[field] !== undefined && !allowed.includes(field),
  );
  if (misplaced !== undefined) {
    throw new GatewayError("invalid_request", `${misplaced} is not used with ${body.method}`, {
      field: misplaced,
    });
  }
}

/**
 * GET/HEAD `response-*` overrides, signed as query parameters (S3 GetObject). S3 answers with
 * them as given, so they are held to the rules a stored object is: the content type to the
 * tenant's (src/signing/content-type.ts), or a reader could serve the tenant's objects as
 * text/html; the disposition must parse (RFC 6266). `filename` is the disposition links use.
 */
function responseOverrides(tenant: TenantRecord, body: PresignRequest): Record<string, string> {
  const query: Record<string, string> = {};
  if (body.filename !== undefined) {
    if (body.responseContentDisposition !== undefined) {
      throw new GatewayError(
        "invalid_request",
        "filename and responseContentDisposition both set the disposition: send one",
        { field: "filename" },
      );
    }
    query["response-content-disposition"] = attachmentDisposition(body.filename);
  }
  if (body.responseContentDisposition !== undefined) {
    if (parseContentDisposition(body.responseContentDisposition) === undefined) {
      throw new GatewayError(
        "invalid_request",
        "responseContentDisposition must be a Content-Disposition value (RFC 6266): " +
          "inline or attachment, then '; name=value' parameters (filename*: RFC 8187)",
        { field: "responseContentDisposition" },
      );
    }
    query["response-content-disposition"] = body.responseContentDisposition;
  }
  if (body.responseContentType !== undefined) {
    query["response-content-type"] = allowedContentType(
      tenant,
      body.responseContentType,
      "responseContentType",
    );
  }
  if (body.responseCacheControl !== undefined) {
    query["response-cache-control"] = body.responseCacheControl;
  }
  return query;
}
