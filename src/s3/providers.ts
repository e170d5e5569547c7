/**
 * What each kind of S3 server can do, so that a request needing a feature the bucket's server
 * lacks is refused with `409 unsupported_by_provider` before anything is signed, instead of an S3
 * error (or, worse, a silently ignored header) later. A bucket names its server in `provider`;
 * `supportsPost` still overrides the POST cell. Sources of each cell: docs/providers.md.
 */
import { GatewayError } from "../errors";

export const PROVIDERS = ["aws", "r2", "ceph", "minio", "generic"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** The checksum algorithms of S3 (AWS S3 User Guide, "Checking object integrity"). */
export const CHECKSUM_ALGORITHMS = ["CRC64NVME", "CRC32", "CRC32C", "SHA1", "SHA256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** How a multipart upload's checksum covers the object: one over the whole, or over the parts. */
export const CHECKSUM_TYPES = ["FULL_OBJECT", "COMPOSITE"] as const;
export type ChecksumType = (typeof CHECKSUM_TYPES)[number];

export const SSE_MODES = ["AES256", "aws:kms"] as const;
export type SseMode = (typeof SSE_MODES)[number];

export interface Capabilities {
  /** Browser POST uploads with a SigV4 POST policy. */
  postPolicy: boolean;
  /** Per algorithm, the multipart checksum types the server takes (a single PUT takes any listed). */
  checksums: Readonly<Partial<Record<ChecksumAlgorithm, readonly ChecksumType[]>>>;
  /** `If-None-Match: *` and `If-Match: <etag>` on PutObject. */
  conditionalPut: boolean;
  /** The same on CompleteMultipartUpload. */
  conditionalComplete: boolean;
  /** `x-amz-tagging` on upload. */
  tagging: boolean;
  /** `x-amz-server-side-encryption` values the server takes. */
  sse: readonly SseMode[];
  /** `x-amz-storage-class` values; `undefined`: the server's own list, not checked here. */
  storageClasses: readonly string[] | undefined;
  /** The longest presigned URL lifetime, s (SigV4 allows 7 days). */
  maxExpiresIn: number;
  /** Virtual-host style (`bucket.host`) addressing. */
  virtualHost: boolean;
  /**
   * How `If-Match` must write the ETag: `quoted` as RFC 9110 §8.8.3 (and the ETag header) has it,
   * or `bare` for a server that compares the value without its quotes (radosgw 16).
   */
  ifMatchEtag: "quoted" | "bare";
}

/** SigV4 presigned URLs live at most 7 days (AWS S3 API reference, "Authenticating Requests: Using Query Parameters"). */
const WEEK = 604_800;
/** AWS's checksum types per algorithm (AWS S3 User Guide, "Checking object integrity", "Checksum types"). */
const ALL_CHECKSUMS = {
  CRC64NVME: ["FULL_OBJECT"],
  CRC32: ["FULL_OBJECT", "COMPOSITE"],
  CRC32C: ["FULL_OBJECT", "COMPOSITE"],
  SHA1: ["COMPOSITE"],
  SHA256: ["COMPOSITE"],
} as const;

/**
 * A cell is `true` (or lists a value) only when every server of that kind either does what is
 * asked or refuses it loudly with an S3 error. A server that silently ignores the header (the
 * upload succeeds without the checksum checked, the condition evaluated or the tag stored) gets
 * `false`: there the gateway's 409 is the only warning anyone would get. Features that work once
 * the server is configured for them (a KMS for SSE, storage classes, a DNS name for virtual
 * hosts) are claimed: an unconfigured server refuses them with 400. Sources: docs/providers.md.
 */
export const CAPABILITIES: Readonly<Record<Provider, Capabilities>> = {
  /**
   * Amazon S3, general purpose buckets: AWS S3 API reference (PutObject, CreateMultipartUpload,
   * CompleteMultipartUpload: If-None-Match / If-Match since 2024-08 / 2024-11, x-amz-tagging,
   * x-amz-server-side-encryption, x-amz-storage-class valid values) and User Guide ("Checking
   * object integrity", "Browser-based uploads using POST"). Directory-bucket and Outposts classes
   * are left out: this gateway does not sign for those endpoints.
   */
  aws: {
    postPolicy: true,
    checksums: ALL_CHECKSUMS,
    conditionalPut: true,
    conditionalComplete: true,
    tagging: true,
    sse: SSE_MODES,
    storageClasses: [
      "STANDARD",
      "REDUCED_REDUNDANCY",
      "STANDARD_IA",
      "ONEZONE_IA",
      "INTELLIGENT_TIERING",
      "GLACIER",
      "DEEP_ARCHIVE",
      "GLACIER_IR",
    ],
    maxExpiresIn: WEEK,
    virtualHost: true,
    ifMatchEtag: "quoted",
  },
  /**
   * Cloudflare R2: developers.cloudflare.com/r2/api/s3/api/ ("Checksum Types" table; PutObject and
   * CreateMultipartUpload rows: storage classes STANDARD and STANDARD_IA only, x-amz-tagging and
   * x-amz-server-side-encryption not implemented; CompleteMultipartUpload lists no conditional
   * headers), /r2/api/s3/extensions/ (conditional PutObject) and /r2/api/s3/presigned-urls/ (POST
   * not supported; 1 s to 7 days).
   */
  r2: {
    postPolicy: false,
    checksums: {
      CRC64NVME: ["FULL_OBJECT"],
      CRC32: ["COMPOSITE"],
      CRC32C: ["COMPOSITE"],
      SHA1: ["COMPOSITE"],
      SHA256: ["COMPOSITE"],
    },
    conditionalPut: true,
    conditionalComplete: false,
    tagging: false,
    sse: [],
    storageClasses: ["STANDARD", "STANDARD_IA"],
    maxExpiresIn: WEEK,
    virtualHost: true,
    ifMatchEtag: "quoted",
  },
  /**
   * Ceph RADOS Gateway from 16.2 (Pacific), as radosgw 16.2.15 answered in test/e2e/providers.test.ts
   * (2026-11-28): no checksum is verified (a wrong x-amz-checksum-* value is stored; checksums
   * came to radosgw after Reef, ceph/ceph#55076), If-None-Match on CompleteMultipartUpload is
   * ignored (the object is overwritten), x-amz-tagging is kept on PutObject but dropped on
   * CreateMultipartUpload. SSE needs a KMS backend (docs.ceph.com radosgw/encryption) and storage
   * classes are the zonegroup's placement targets (radosgw/placement): the server's own list.
   */
  ceph: {
    postPolicy: true,
    checksums: {},
    conditionalPut: true,
    conditionalComplete: false,
    tagging: false,
    sse: SSE_MODES,
    storageClasses: undefined,
    maxExpiresIn: WEEK,
    virtualHost: true,
    ifMatchEtag: "bare",
  },
  /**
   * MinIO: min.io docs ("S3 API compatibility", "Server-Side Object Encryption": SSE-S3 and
   * SSE-KMS need a KMS, "Storage classes": STANDARD and REDUCED_REDUNDANCY, MINIO_DOMAIN for
   * virtual-host style), conditional writes on PutObject and CompleteMultipartUpload (minio
   * cmd/object-handlers.go and cmd/object-multipart-handlers.go, 2024-08), CRC64NVME and full-object
   * CRC32/CRC32C checksums (2025-02, minio/mc#5142).
   */
  minio: {
    postPolicy: true,
    checksums: ALL_CHECKSUMS,
    conditionalPut: true,
    conditionalComplete: true,
    tagging: true,
    sse: SSE_MODES,
    storageClasses: ["STANDARD", "REDUCED_REDUNDANCY"],
    maxExpiresIn: WEEK,
    virtualHost: true,
    ifMatchEtag: "quoted",
  },
  /** No claim about an unknown server: everything is let through, and the server decides. */
  generic: {
    postPolicy: true,
    checksums: ALL_CHECKSUMS,
    conditionalPut: true,
    conditionalComplete: true,
    tagging: true,
    sse: SSE_MODES,
    storageClasses: undefined,
    maxExpiresIn: WEEK,
    virtualHost: true,
    ifMatchEtag: "quoted",
  },
};

/** The part of a bucket's configuration this module reads. */
export interface ProviderOf {
  provider: Provider;
  supportsPost?: boolean | undefined;
}

/** The capabilities of a bucket's server, with the bucket's `supportsPost` override applied. */
export function capabilitiesOf(bucket: ProviderOf): Capabilities {
  const table = CAPABILITIES[bucket.provider];
  if (bucket.supportsPost === undefined || bucket.supportsPost === table.postPolicy) return table;
  return { ...table, postPolicy: bucket.supportsPost };
}

/**
 * Refuses, before anything is signed, a request needing `feature` (a phrase naming it, e.g.
 * "conditional PUT (ifNoneMatch)") when `supported` is false for the bucket's provider.
 */
export function requireCapability(
  bucket: ProviderOf,
  supported: boolean,
  feature: string,
  field?: string,
): void {
  if (supported) return;
  throw new GatewayError(
    "unsupported_by_provider",
    `${feature} is not supported by provider '${bucket.provider}' (see docs/providers.md)`,
    field === undefined ? {} : { field },
  );
}

/**
 * Why a bucket's addressing style does not suit its provider, or `undefined`. Checked when the
 * tenant is stored (admin PUT → 400 on `style`), so a misconfigured bucket is refused once, not on
 * every request. Every provider in the table has virtual-host style today (R2, radosgw with
 * `rgw_dns_name`, MinIO with `MINIO_DOMAIN`); the check keeps that a claim, not an assumption.
 */
export function styleProblem(
  bucket: ProviderOf & { style: "path" | "virtual" },
  capabilities: Capabilities = capabilitiesOf(bucket),
): string | undefined {
  if (bucket.style === "path" || capabilities.virtualHost) return undefined;
  return `virtual-host style is not supported by provider '${bucket.provider}': use style "path"`;
}

/**
 * Why a tenant's `maxExpiresIn` is longer than a bucket's provider accepts presigned URLs for, or
 * `undefined`. Checked at admin PUT (400 on `maxExpiresIn`); since `defaultExpiresIn` and every
 * request's `expiresIn` are capped by `maxExpiresIn`, no URL then outlives what the server honours.
 */
export function expiryProblem(
  maxExpiresIn: number,
  bucket: ProviderOf,
  capabilities: Capabilities = capabilitiesOf(bucket),
): string | undefined {
  if (maxExpiresIn <= capabilities.maxExpiresIn) return undefined;
  return (
    `must not exceed ${capabilities.maxExpiresIn} s, the longest presigned URL lifetime ` +
    `provider '${bucket.provider}' accepts`
  );
}
