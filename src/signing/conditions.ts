/**
 * Conditional writes (AWS S3 User Guide, "How to prevent object overwrites with conditional
 * writes"): `If-None-Match: *` makes S3 refuse a write when the key already exists, `If-Match:
 * <etag>` one that would replace any version but the one the caller read. S3 takes them on
 * PutObject and CompleteMultipartUpload (never on CreateMultipartUpload or UploadPart), and a
 * POST form has no field for them (S3 API reference, "POST Object": its form fields).
 *
 * The tenant's `upload.overwrite: "deny"` makes every upload no-overwrite: the header is signed
 * whether or not the caller asked, a caller cannot send `ifMatch` (that replaces an object), and
 * an upload that cannot carry the condition (a POST form, a provider without the cell) is refused
 * instead of being issued able to overwrite. Pure: request, tenant and bucket in, headers out.
 */
import * as v from "valibot";
import { GatewayError } from "../errors";
import { documented } from "../openapi/route";
import { capabilitiesOf, requireCapability, type ProviderOf } from "../s3/providers";
import type { TenantRecord } from "../tenants/schema";

/**
 * An entity tag as RFC 9110 §8.8.3 writes it (`"` etagc* `"`, etagc = %x21 / %x23-7E), quoted or
 * not: clients often strip the quotes S3 sends. Weak tags (`W/"…"`) are refused: If-Match uses the
 * strong comparison (RFC 9110 §13.1.1), so a weak tag could never match.
 */
const ENTITY_TAG = /^("?)[\x21\x23-\x7e]{1,256}\1$/;

export const ConditionFields = {
  ifNoneMatch: v.optional(
    v.pipe(
      v.literal("*"),
      documented({
        description:
          "PUT, multipart complete: `*` signs If-None-Match: S3 refuses the upload (412) when " +
          "the key already exists",
        example: "*",
      }),
    ),
  ),
  ifMatch: v.optional(
    v.pipe(
      v.string(),
      v.regex(ENTITY_TAG, "an entity tag: printable ASCII, no spaces, optionally in double quotes"),
      v.check(
        (etag) => etag !== "*" && etag !== '"*"',
        'ifMatch takes an ETag; use ifNoneMatch "*"',
      ),
      documented({
        description:
          "PUT, multipart complete: signs If-Match: S3 replaces the object only while its ETag " +
          "is this one (412 otherwise)",
        example: '"b54357faf0632cce46e942fa68356b38"',
      }),
    ),
  ),
};

/** What a request may ask for: the fields above. */
export interface ConditionRequest {
  ifNoneMatch?: "*" | undefined;
  ifMatch?: string | undefined;
}

/** Which S3 request carries the condition, and so which provider cell it needs. */
export type ConditionalWrite = "PutObject" | "CompleteMultipartUpload";

const CELL = {
  PutObject: "conditionalPut",
  CompleteMultipartUpload: "conditionalComplete",
} as const satisfies Record<ConditionalWrite, "conditionalPut" | "conditionalComplete">;

/**
 * The conditional header `write` must sign for this tenant and request (lower-case names), or
 * none. Refuses `ifNoneMatch` with `ifMatch` (400: one condition per write), `ifMatch` under
 * `upload.overwrite: "deny"` (409 conflict), and any condition the bucket's provider cannot
 * honour (409 unsupported_by_provider), before anything is signed.
 */
export function conditionHeaders(
  tenant: TenantRecord,
  bucket: ProviderOf,
  request: ConditionRequest,
  write: ConditionalWrite,
): Record<string, string> {
  const { ifNoneMatch, ifMatch } = request;
  if (ifNoneMatch !== undefined && ifMatch !== undefined) {
    throw new GatewayError(
      "invalid_request",
      "ifNoneMatch and ifMatch are two conditions for one write: send one",
      { field: "ifMatch" },
    );
  }
  const deny = tenant.upload.overwrite === "deny";
  if (ifMatch !== undefined && deny) {
    throw new GatewayError(
      "conflict",
      "the tenant forbids overwriting objects (upload.overwrite: deny), and ifMatch replaces one",
      { field: "ifMatch" },
    );
  }
  const supported = capabilitiesOf(bucket)[CELL[write]];
  if (ifMatch !== undefined) {
    requireCapability(bucket, supported, `conditional ${write} (ifMatch)`, "ifMatch");
    const bare = capabilitiesOf(bucket).ifMatchEtag === "bare";
    return { "if-match": bare ? ifMatch.replaceAll('"', "") : quoted(ifMatch) };
  }
  if (ifNoneMatch !== undefined) {
    requireCapability(bucket, supported, `conditional ${write} (ifNoneMatch)`, "ifNoneMatch");
    return { "if-none-match": "*" };
  }
  if (deny) {
    requireNoOverwrite(bucket, write);
    return { "if-none-match": "*" };
  }
  return {};
}

/**
 * For a tenant with `upload.overwrite: "deny"`: refuses (409 unsupported_by_provider) a write
 * whose S3 request the bucket's provider cannot make conditional. Multipart create calls it too,
 * so that an upload that could not be completed without overwriting is not started.
 */
export function requireNoOverwrite(bucket: ProviderOf, write: ConditionalWrite): void {
  requireCapability(
    bucket,
    capabilitiesOf(bucket)[CELL[write]],
    `conditional ${write} (the tenant's upload.overwrite: deny needs If-None-Match)`,
  );
}

/** Whether the tenant forbids overwrites (`upload.overwrite: "deny"`). */
export function overwriteDenied(tenant: TenantRecord): boolean {
  return tenant.upload.overwrite === "deny";
}

/**
 * A POST form cannot carry If-None-Match or If-Match (S3 POST Object has no such form field, and
 * no policy condition stands for one), so it cannot be no-overwrite: refuse it (409 conflict),
 * naming what to use `instead`, when the tenant's `upload.overwrite` is "deny" or the request
 * asked for a condition, rather than issue a form that can overwrite.
 */
export function refuseConditionalPostForm(
  tenant: TenantRecord,
  request: ConditionRequest,
  instead: string,
): void {
  const asked = request.ifNoneMatch !== undefined || request.ifMatch !== undefined;
  if (!asked && !overwriteDenied(tenant)) return;
  const why = asked
    ? "the request asks for a conditional write"
    : "the tenant forbids overwriting objects (upload.overwrite: deny)";
  throw new GatewayError(
    "conflict",
    `${why}, and an S3 POST form cannot carry If-None-Match or If-Match; ${instead}`,
  );
}

/** The header form of an entity tag: in double quotes (RFC 9110 §8.8.3). */
function quoted(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}
