/**
 * What each URL-issuing call counts (docs/usage.md), as pure functions of the request, so that
 * the services add one line each: `await call.meter(presignCounts(body))`.
 */
import { GatewayError } from "../errors";
import { MAX_POST_BYTES } from "../s3/limits";
import { OPERATION_OF_METHOD, type PresignRequest } from "../signing/schema";
import type { CallContext } from "../signing/service";
import type { Operation, TenantRecord } from "../tenants/schema";
import { addCounts, hasQuota, type Counts } from "./metrics";

/** `POST /v1/presign` (and each batch item): one URL; a PUT authorizes its content-length. */
export function presignCounts(body: Pick<PresignRequest, "method" | "contentLength">): Counts {
  const counts: Counts = { [`urls.${OPERATION_OF_METHOD[body.method]}`]: 1 };
  if (body.method === "PUT" && body.contentLength !== undefined) {
    counts["bytes.put"] = body.contentLength;
  }
  return counts;
}

/**
 * A whole batch at once, for a tenant with a quota: every item is reserved before any is signed
 * (as the rate limit charges every item), so one round trip admits or refuses the batch. Items
 * that are not presign requests count as GETs; a PUT counts the content-length it names.
 */
export function batchCounts(items: readonly unknown[]): Counts {
  const counts: Counts = {};
  for (const item of items) {
    const method =
      typeof item === "object" && item !== null && "method" in item ? item.method : undefined;
    const length =
      typeof item === "object" && item !== null && "contentLength" in item
        ? item.contentLength
        : undefined;
    const known = typeof method === "string" && Object.hasOwn(OPERATION_OF_METHOD, method);
    const itemCounts = presignCounts({
      method: known ? (method as PresignRequest["method"]) : "GET",
      contentLength: typeof length === "number" && length >= 0 ? length : undefined,
    });
    addCounts(counts, itemCounts);
  }
  return counts;
}

/**
 * For a tenant with a quota, reserves the whole batch in one round trip and returns the context
 * its items are signed with, whose counts are already made; otherwise each item counts itself.
 */
export async function reserveBatch(call: CallContext, items: readonly unknown[]) {
  if (!hasQuota(call.principal.tenant.quota)) return call;
  await call.meter(batchCounts(items));
  return { ...call, meter: () => Promise.resolve() } satisfies CallContext;
}

/** Whether the tenant limits upload bytes (so every upload's size must be known to count it). */
export function hasByteQuota(tenant: TenantRecord): boolean {
  return (
    tenant.quota?.uploadBytesPerDay !== undefined || tenant.quota?.uploadBytesPerMonth !== undefined
  );
}

/**
 * `POST /v1/uploads/sign-request` under a byte quota: a PutObject without `upload.maxBytes` is a
 * PUT of any size, and a CompleteMultipartUpload without it is signed without the gateway
 * listing the parts: neither size could be counted, so both are refused before anything is signed.
 */
export function requireCountableSize(kind: string, tenant: TenantRecord): void {
  if (!hasByteQuota(tenant) || tenant.upload.maxBytes !== undefined) return;
  if (kind === "PutObject" || kind === "CompleteMultipartUpload") {
    throw new GatewayError(
      "conflict",
      "the tenant has an upload byte quota, which needs upload.maxBytes for uploads signed " +
        "through sign-request (their size is counted from it); use POST /v1/presign with " +
        "contentLength or the multipart routes",
    );
  }
}

/** The POST form's maximum for `sign-request`'s PutObject under `upload.maxBytes`. */
export function signRequestPostBytes(maxBytes: number): number {
  return Math.min(maxBytes, MAX_POST_BYTES);
}

/**
 * One URL of `operation`; a PutObject under `upload.maxBytes` is a POST form that authorizes its
 * maximum. (CompleteMultipartUpload counts its listed size itself, once the parts are listed.)
 */
export function signRequestCounts(
  kind: string,
  tenant: TenantRecord,
  operation: Operation,
): Counts {
  const counts: Counts = { [`urls.${operation}`]: 1 };
  if (kind === "PutObject" && tenant.upload.maxBytes !== undefined) {
    counts["bytes.post"] = signRequestPostBytes(tenant.upload.maxBytes);
  }
  return counts;
}
