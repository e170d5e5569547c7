/**
 * Upload records in KV (`upload:<tenantId>:<generation>:<uploadId>`): which full key and bucket a multipart
 * upload was created for, so a later call naming that upload id with another key is refused
 * before any URL is signed.
 *
 * They are a second line of defence, not the first: keys always come from the caller's token, and
 * S3 ties an upload id to its key (NoSuchUpload for any other). KV is eventually consistent (a
 * record written in one location may be missing elsewhere for ~60 s), so a missing record is not a
 * refusal: callers then ask S3 itself (ListParts) whether the upload exists under the key.
 */
import * as v from "valibot";
import { GatewayError } from "../errors";
import { parseJsonAs } from "../json";
import { logError } from "../log";
import { CHECKSUM_ALGORITHMS, CHECKSUM_TYPES } from "../s3/providers";

/** Records outlive any sane multipart upload; older uploads fall back to the S3 check. */
export const UPLOAD_RECORD_TTL_S = 7 * 86_400;

export const UploadRecord = v.strictObject({
  fullKey: v.string(),
  sub: v.string(),
  /** The tenant's bucket alias. */
  bucket: v.string(),
  /** RFC 3339. */
  createdAt: v.string(),
  /** The upload's checksum algorithm and type, when it was created with one. */
  checksumAlgorithm: v.optional(v.picklist(CHECKSUM_ALGORITHMS)),
  checksumType: v.optional(v.picklist(CHECKSUM_TYPES)),
});
export type UploadRecord = v.InferOutput<typeof UploadRecord>;

/** Whose upload: a record made under one generation of a tenant is not seen by the next. */
export interface UploadOwner {
  id: string;
  generation: string;
}

/**
 * The tenant id is `[a-z0-9_-]` and the generation hex, so the first two `:` end them whatever
 * the upload id holds.
 */
export function uploadRecordKey(owner: UploadOwner, uploadId: string): string {
  return `upload:${owner.id}:${owner.generation}:${uploadId}`;
}

/** Stores the record; a failed write is a 503 (the caller then aborts the S3 upload). */
export async function putUploadRecord(
  kv: KVNamespace,
  owner: UploadOwner,
  uploadId: string,
  record: UploadRecord,
): Promise<void> {
  const key = uploadRecordKey(owner, uploadId);
  try {
    await kv.put(key, JSON.stringify(record), { expirationTtl: UPLOAD_RECORD_TTL_S });
  } catch (cause) {
    logError("kv_write_failed", { key, error: String(cause) });
    throw new GatewayError("unavailable", "the upload could not be recorded; nothing was created", {
      cause,
    });
  }
}

/**
 * The record, or `null` when there is none or it cannot be read: either way the caller proves the
 * upload with S3 instead, so a KV outage degrades to an extra S3 call, not to a refusal.
 */
export async function getUploadRecord(
  kv: KVNamespace,
  owner: UploadOwner,
  uploadId: string,
): Promise<UploadRecord | null> {
  const key = uploadRecordKey(owner, uploadId);
  try {
    const raw = await kv.get(key);
    if (raw === null) return null;
    const record = parseJsonAs(UploadRecord, raw);
    if (record === undefined) logError("upload_record_corrupt", { key });
    return record ?? null;
  } catch (cause) {
    logError("kv_read_failed", { key, error: String(cause) });
    return null;
  }
}

/** Best effort: a record left behind expires on its own and names an upload that is gone. */
export async function deleteUploadRecord(
  kv: KVNamespace,
  owner: UploadOwner,
  uploadId: string,
): Promise<void> {
  const key = uploadRecordKey(owner, uploadId);
  try {
    await kv.delete(key);
  } catch (cause) {
    logError("kv_write_failed", { key, error: String(cause) });
  }
}
