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
}

const WEEK = 604_800;
const ALL_CHECKSUMS = {
  CRC64NVME: ["FULL_OBJECT"],
  CRC32: ["FULL_OBJECT", "COMPOSITE"],
  CRC32C: ["FULL_OBJECT", "COMPOSITE"],
  SHA1: ["COMPOSITE"],
  SHA256: ["COMPOSITE"],
} as const;

export const CAPABILITIES: Readonly<Record<Provider, Capabilities>> = {
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
  },
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
  },
  ceph: {
    postPolicy: true,
    checksums: ALL_CHECKSUMS,
    conditionalPut: true,
    conditionalComplete: false,
    tagging: true,
    sse: SSE_MODES,
    storageClasses: undefined,
    maxExpiresIn: WEEK,
    virtualHost: true,
  },
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
