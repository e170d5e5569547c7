/**
 * The S3 calls the gateway makes itself, with the tenant's credentials (S3 API reference,
 * "Uploading and copying objects using multipart upload"): CreateMultipartUpload, ListParts,
 * CompleteMultipartUpload and AbortMultipartUpload. Requests are header-signed by aws4fetch;
 * answers are read with src/s3/xml.ts.
 *
 * Every failure is logged as one JSON line (operation, status, S3 code and request id, the key;
 * never a URL, a header or a secret) and thrown as a GatewayError: a missing upload is `404
 * not_found`, a client mistake S3 names (InvalidPart…) is a 4xx, anything else `502
 * upstream_error`. The S3 code is always in the problem's `detail`.
 */
import { AwsClient } from "aws4fetch";
import { sha256Hex } from "../bytes";
import { GatewayError, type ProblemCode } from "../errors";
import { logError } from "../log";
import { checksumElementName, type MultipartChecksum } from "../signing/checksums";
import { objectUrl } from "../signing/presign";
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from "./providers";
import type { BucketConfig } from "../tenants/schema";
import {
  CompleteMultipartUploadXml,
  escapeXml,
  InitiateMultipartUploadXml,
  ListPartsXml,
  parseXmlAs,
  s3ErrorCode,
} from "./xml";

const MiB = 1024 ** 2;

/** S3 multipart limits ("Amazon S3 multipart upload limits"). */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;

/**
 * The part count `partSize` aims for. S3 allows 10,000, but the complete call lists every part
 * in a JSON body limited to 64 KiB (docs/api.md), which holds about 1,000 `{partNumber, etag}` pairs.
 */
export const SUGGESTED_MAX_PARTS = 1000;

/** How long one S3 call may take before the gateway answers 502. */
export const S3_TIMEOUT_MS = 10_000;

/** ListParts page size: S3's maximum, so 10,000 parts take at most 10 pages. */
const LIST_PAGE_SIZE = 1000;

export type S3Operation =
  | "CreateMultipartUpload"
  | "ListParts"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "HeadObject";

/** One upload's object in one bucket, and how to sign for it. */
export interface S3Target {
  client: AwsClient;
  bucket: BucketConfig;
  fullKey: string;
  /** Facts for the failure log line. */
  log: { requestId: string; tenant: string };
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  /** The part's checksum, when the upload has an algorithm and the server lists it. */
  checksum?: string;
}

/**
 * A client for the gateway's own S3 calls: the credentials and derived-key cache of `signer`
 * (see `clientFor`), the bucket's region, and no retries. aws4fetch retries 5xx ten times by
 * default; a retried CreateMultipartUpload would leave an orphan upload, and the client that
 * called us can retry as well as we can.
 */
export function s3Client(signer: AwsClient, region: string): AwsClient {
  return new AwsClient({
    accessKeyId: signer.accessKeyId,
    secretAccessKey: signer.secretAccessKey,
    ...(signer.sessionToken === undefined ? {} : { sessionToken: signer.sessionToken }),
    service: "s3",
    region,
    cache: signer.cache,
    retries: 0,
  });
}

/**
 * The suggested part size for an object of `size` bytes: at least 5 MiB (S3's minimum but for
 * the last part), at most SUGGESTED_MAX_PARTS parts, rounded up to a whole MiB, at most 5 GiB.
 */
export function suggestPartSize(size: number | undefined): number {
  const forCount = Math.ceil((size ?? 0) / SUGGESTED_MAX_PARTS / MiB) * MiB;
  return Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, forCount));
}

/**
 * CreateMultipartUpload; `contentType` and `objectHeaders` (Cache-Control, tags, SSE…) are
 * signed and stored with the object, `checksum` fixes the upload's algorithm and type
 * (`x-amz-checksum-algorithm`, `x-amz-checksum-type`).
 */
export async function createMultipartUpload(
  target: S3Target,
  contentType: string | undefined,
  objectHeaders: Record<string, string> = {},
  checksum?: MultipartChecksum,
): Promise<string> {
  const operation = "CreateMultipartUpload";
  const headers: Record<string, string> = { ...objectHeaders };
  if (contentType !== undefined) headers["Content-Type"] = contentType;
  if (checksum !== undefined) {
    headers["x-amz-checksum-algorithm"] = checksum.algorithm;
    headers["x-amz-checksum-type"] = checksum.type;
  }
  const text = await s3Call(target, operation, "uploads", { method: "POST", headers });
  const result = parseXmlAs(InitiateMultipartUploadXml, text);
  if (result === undefined) throw unreadable(target, operation);
  return result.InitiateMultipartUploadResult.UploadId;
}

/**
 * ListParts, following `NextPartNumberMarker` until S3 says the list is complete or `limit`
 * parts are read. A page that does not move the marker forward is an upstream error, not a loop.
 */
export async function listParts(
  target: S3Target,
  uploadId: string,
  limit = MAX_PARTS,
): Promise<UploadedPart[]> {
  return (await listUpload(target, uploadId, limit)).parts;
}

/** ListParts with the upload's checksum algorithm, when the server names one. */
export async function listUpload(
  target: S3Target,
  uploadId: string,
  limit = MAX_PARTS,
): Promise<{ parts: UploadedPart[]; checksumAlgorithm: ChecksumAlgorithm | undefined }> {
  const operation = "ListParts";
  const parts: UploadedPart[] = [];
  let checksumAlgorithm: ChecksumAlgorithm | undefined;
  let marker = 0;
  for (;;) {
    const pageSize = Math.min(LIST_PAGE_SIZE, limit - parts.length);
    const text = await s3Call(
      target,
      operation,
      query({ "max-parts": String(pageSize), "part-number-marker": String(marker), uploadId }),
      { method: "GET" },
    );
    const page = parseXmlAs(ListPartsXml, text)?.ListPartsResult;
    if (page === undefined) throw unreadable(target, operation);
    checksumAlgorithm = CHECKSUM_ALGORITHMS.find((name) => name === page.ChecksumAlgorithm);
    for (const part of page.Part ?? []) {
      const listed = { partNumber: part.PartNumber, etag: part.ETag, size: part.Size };
      const checksum = CHECKSUM_ALGORITHMS.map((name) => part[checksumElementName(name)]).find(
        (value) => value !== undefined && value !== "",
      );
      parts.push(checksum === undefined ? listed : { ...listed, checksum });
    }
    if (page.IsTruncated !== "true" || parts.length >= limit) {
      return { parts: parts.slice(0, limit), checksumAlgorithm };
    }
    const next = page.NextPartNumberMarker;
    if (next === undefined || next <= marker || parts.length > MAX_PARTS) {
      throw unreadable(target, operation);
    }
    marker = next;
  }
}

/**
 * CompleteMultipartUpload with `parts` (ascending part numbers); returns the object's ETag.
 * `conditions` are signed headers such as `if-none-match: *` (src/signing/conditions.ts). A
 * part's `checksum` is sent as `<Checksum<algorithm>>`: S3 wants every part's checksum of an
 * upload created with an algorithm.
 */
export async function completeMultipartUpload(
  target: S3Target,
  uploadId: string,
  parts: readonly { partNumber: number; etag: string; checksum?: string | undefined }[],
  conditions: Record<string, string> = {},
  checksumAlgorithm?: ChecksumAlgorithm,
): Promise<string> {
  const operation = "CompleteMultipartUpload";
  const checksumXml = (checksum: string | undefined) => {
    if (checksum === undefined || checksumAlgorithm === undefined) return "";
    const name = checksumElementName(checksumAlgorithm);
    return `<${name}>${escapeXml(checksum)}</${name}>`;
  };
  const body =
    "<CompleteMultipartUpload>" +
    parts
      .map(
        (part) =>
          `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(part.etag)}</ETag>` +
          `${checksumXml(part.checksum)}</Part>`,
      )
      .join("") +
    "</CompleteMultipartUpload>";
  const text = await s3Call(target, operation, query({ uploadId }), {
    method: "POST",
    headers: {
      ...conditions,
      "Content-Type": "application/xml",
      "X-Amz-Content-Sha256": await sha256Hex(body),
    },
    body,
  });
  const result = parseXmlAs(CompleteMultipartUploadXml, text);
  if (result !== undefined) {
    const etag = result.CompleteMultipartUploadResult.ETag ?? "";
    // radosgw 16 completes the object but leaves <ETag> empty: ask the object itself.
    return etag !== "" ? etag : headObjectEtag(target);
  }
  // S3 may answer 200 and still fail: the error is then in the body ("CompleteMultipartUpload",
  // "Special errors"), since the status line went out before the parts were assembled.
  const code = s3ErrorCode(text);
  if (code !== undefined) throw s3Failure(target, operation, 200, code, null);
  throw unreadable(target, operation);
}

/** HeadObject's ETag (of the object just completed: S3 reads are strongly consistent). */
async function headObjectEtag(target: S3Target): Promise<string> {
  const { headers } = await s3Request(target, "HeadObject", "", { method: "HEAD" });
  const etag = headers.get("etag");
  if (etag === null || etag === "") throw unreadable(target, "HeadObject");
  return etag;
}

/** What HeadObject says of an object (`POST /v1/uploads/confirm`). */
export interface HeadedObject {
  size: number;
  etag: string;
  contentType: string | undefined;
  /** The stored checksum, when the server keeps one and names it (`x-amz-checksum-mode`). */
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
}

/** HeadObject, asking for the stored checksum; a missing object is `404 not_found`. */
export async function headObject(target: S3Target): Promise<HeadedObject> {
  const { headers } = await s3Request(target, "HeadObject", "", {
    method: "HEAD",
    headers: { "x-amz-checksum-mode": "ENABLED" },
  });
  const size = Number(headers.get("content-length"));
  const etag = headers.get("etag") ?? "";
  if (!Number.isSafeInteger(size) || size < 0 || etag === "") {
    throw unreadable(target, "HeadObject");
  }
  const algorithm = CHECKSUM_ALGORITHMS.find((name) =>
    headers.has(`x-amz-checksum-${name.toLowerCase()}`),
  );
  return {
    size,
    etag,
    contentType: headers.get("content-type") ?? undefined,
    checksum:
      algorithm === undefined
        ? undefined
        : { algorithm, value: headers.get(`x-amz-checksum-${algorithm.toLowerCase()}`) ?? "" },
  };
}

/** AbortMultipartUpload: the parts are deleted and the upload id stops working. */
export async function abortMultipartUpload(target: S3Target, uploadId: string): Promise<void> {
  await s3Call(target, "AbortMultipartUpload", query({ uploadId }), { method: "DELETE" });
}

/** One signed request; the body of a 2xx answer, or a thrown (and logged) GatewayError. */
async function s3Call(
  target: S3Target,
  operation: S3Operation,
  search: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<string> {
  return (await s3Request(target, operation, search, init)).text;
}

async function s3Request(
  target: S3Target,
  operation: S3Operation,
  search: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<{ text: string; headers: Headers }> {
  const url = objectUrl(target.bucket, target.fullKey) + (search === "" ? "" : `?${search}`);
  let status = 0;
  try {
    const res = await target.client.fetch(url, {
      ...init,
      signal: AbortSignal.timeout(S3_TIMEOUT_MS),
      // Sign Content-Type too (aws4fetch leaves it out by default): S3 stores what we checked.
      aws: { allHeaders: true },
    });
    status = res.status;
    const text = await res.text();
    if (res.ok) return { text, headers: res.headers };
    throw s3Failure(
      target,
      operation,
      status,
      s3ErrorCode(text),
      res.headers.get("x-amz-request-id"),
    );
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // Network failure or timeout: log the error's kind, not its text (which may hold the URL).
    const name = error instanceof Error ? error.name : "Error";
    logError("s3_call_failed", { ...logFields(target, operation), status, error: name });
    throw new GatewayError("upstream_error", `S3 did not answer ${operation} (${name})`, {
      cause: name,
    });
  }
}

/** S3 codes that mean the client sent something wrong, and the problem code they become. */
const CLIENT_CODES: Record<string, ProblemCode> = {
  InvalidPart: "invalid_request",
  InvalidPartOrder: "invalid_request",
  EntityTooSmall: "invalid_request",
  EntityTooLarge: "payload_too_large",
  // A conditional complete (src/signing/conditions.ts): the key exists (If-None-Match) or holds
  // another version (If-Match); or a concurrent write raced it, and the upload must start over.
  PreconditionFailed: "precondition_failed",
  ConditionalRequestConflict: "conflict",
};

/**
 * An S3 error as a logged GatewayError. 404s (NoSuchUpload; radosgw says NoSuchKey for an
 * unknown upload id) are `not_found`, except NoSuchBucket, which is the operator's
 * misconfiguration and so an upstream error like every other failure.
 */
export function s3Failure(
  target: S3Target,
  operation: S3Operation,
  status: number,
  code: string | undefined,
  s3RequestId: string | null,
): GatewayError {
  logError("s3_call_failed", {
    ...logFields(target, operation),
    status,
    s3Code: code ?? null,
    s3RequestId,
  });
  const named = code ?? `HTTP ${status}`;
  const mapped =
    code !== undefined && Object.hasOwn(CLIENT_CODES, code)
      ? CLIENT_CODES[code]
      : status === 412
        ? "precondition_failed"
        : undefined;
  if (mapped !== undefined) {
    return new GatewayError(mapped, `S3 refused ${operation}: ${named}`);
  }
  if (status === 404 && code !== "NoSuchBucket") {
    const what = operation === "HeadObject" ? "object" : "upload for this key";
    return new GatewayError("not_found", `no such ${what} (S3 ${operation}: ${named})`);
  }
  return new GatewayError("upstream_error", `S3 ${operation} failed: ${named} (HTTP ${status})`);
}

function unreadable(target: S3Target, operation: S3Operation): GatewayError {
  logError("s3_call_failed", { ...logFields(target, operation), error: "unreadable answer" });
  return new GatewayError("upstream_error", `S3 ${operation} answered with an unreadable body`);
}

function logFields(target: S3Target, operation: S3Operation) {
  return {
    requestId: target.log.requestId,
    tenant: target.log.tenant,
    operation,
    bucket: target.bucket.bucket,
    key: target.fullKey,
  };
}

/** A query string encoded the way SigV4 canonicalises it (RFC 3986; never `+` for space). */
function query(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
    .join("&");
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
