/**
 * S3's checksums (AWS S3 User Guide, "Checking object integrity"; API reference, PutObject, POST
 * Object, CreateMultipartUpload, UploadPart, CompleteMultipartUpload): the request fields that carry
 * one, the tenant's `upload.requireChecksum`, the provider cells, and the headers and form fields
 * a checksum is signed as.
 *
 * The gateway never sees the bytes and computes nothing: it checks that a checksum is the base64
 * of a digest of its algorithm's size and signs it, so S3 itself compares it with what it
 * receives. It signs a checksum only when asked to (the AWS SDKs' 2025 default of a CRC32 of the
 * empty body in presigned PUTs broke uploads on servers that check it, e.g. R2 and MinIO).
 */
import * as v from "valibot";
import { GatewayError } from "../errors";
import { documented } from "../openapi/route";
import {
  CAPABILITIES,
  CHECKSUM_ALGORITHMS,
  CHECKSUM_TYPES,
  capabilitiesOf,
  requireCapability,
  type ChecksumAlgorithm,
  type ChecksumType,
  type ProviderOf,
} from "../s3/providers";
import type { TenantRecord } from "../tenants/schema";

/** Digest sizes in bytes: a CRC32 is 4, a CRC-64 8, SHA-1 20 and SHA-256 32 (FIPS 180-4). */
export const DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

/** The multipart types AWS S3 itself allows per algorithm (User Guide, "Checksum types"). */
const S3_TYPES = CAPABILITIES.aws.checksums;

const Algorithm = v.pipe(
  v.picklist(CHECKSUM_ALGORITHMS),
  documented({ description: "an S3 checksum algorithm", example: "CRC32" }),
);

/** Base64 of a digest; its length per algorithm is checked with the algorithm (`checksumOf`). */
const Base64Digest = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9+/]{6,43}={0,2}$/, "base64 of a digest"),
  documented({ example: "i9aeUg==" }),
);

/** `checksumAlgorithm` + `checksum` of a PUT (`/v1/presign`) or a POST form (`/v1/uploads/post`). */
export const ChecksumFields = {
  checksumAlgorithm: v.optional(Algorithm),
  checksum: v.optional(
    v.pipe(
      Base64Digest,
      documented({
        description:
          "with checksumAlgorithm: the base64 digest of the whole object, signed so S3 checks it",
      }),
    ),
  ),
};

/** `checksumAlgorithm` + `checksumType` of `POST /v1/uploads/multipart`: fixed for the upload. */
export const MultipartChecksumFields = {
  checksumAlgorithm: v.optional(Algorithm),
  checksumType: v.optional(
    v.pipe(
      v.picklist(CHECKSUM_TYPES),
      documented({
        description:
          "with checksumAlgorithm: FULL_OBJECT (CRC64NVME, CRC32, CRC32C) or COMPOSITE (CRC32, " +
          "CRC32C, SHA1, SHA256); default COMPOSITE where S3 allows it",
      }),
    ),
  ),
};

/** `checksums` of sign-parts: part number → that part's base64 digest, signed in its URL. */
export const PartChecksumsField = {
  checksums: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,4}$/, "a part number")), Base64Digest),
      documented({
        description:
          "part number → base64 digest of that part, in the upload's checksumAlgorithm; each " +
          "is signed as x-amz-checksum-<algorithm> in the part's URL",
        example: { "1": "i9aeUg==" },
      }),
    ),
  ),
};

/** `checksum` of one completed part (optional: ListParts gives S3's own when it has one). */
export const CompletedPartChecksumField = { checksum: v.optional(Base64Digest) };

/** A checksum to sign: the algorithm and the base64 digest. */
export interface Checksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

/** A multipart upload's checksum algorithm and type, fixed when it is created. */
export interface MultipartChecksum {
  algorithm: ChecksumAlgorithm;
  type: ChecksumType;
}

/** The algorithm the tenant requires on uploads; `true` (stored before algorithms) is SHA256. */
export function requiredChecksum(tenant: TenantRecord): ChecksumAlgorithm | undefined {
  const required = tenant.upload.requireChecksum;
  if (required === false) return undefined;
  return required === true ? "SHA256" : required;
}

/**
 * `value` if it is the canonical base64 (RFC 4648 §4, with padding) of exactly the digest size of
 * `algorithm`; else 400 naming `field`. S3 answers a wrong size with InvalidRequest only after the
 * upload, so the gateway says it before signing.
 */
export function checksumOf(algorithm: ChecksumAlgorithm, value: string, field: string): Checksum {
  const bytes = DIGEST_BYTES[algorithm];
  let decoded: string | undefined;
  try {
    decoded = atob(value);
  } catch {
    decoded = undefined;
  }
  if (decoded === undefined || decoded.length !== bytes || btoa(decoded) !== value) {
    throw new GatewayError(
      "invalid_request",
      `${field} must be the base64 of a ${bytes}-byte ${algorithm} digest ` +
        `(${4 * Math.ceil(bytes / 3)} characters)`,
      { field },
    );
  }
  return { algorithm, value };
}

/** What a PUT or POST request says about its checksum (the SHA-256 shorthand included). */
export interface ChecksumRequest {
  checksumAlgorithm?: ChecksumAlgorithm | undefined;
  checksum?: string | undefined;
  /** `/v1/presign` only, from before algorithms: the same as SHA256 + `checksum`. */
  checksumSha256?: string | undefined;
}

/**
 * The checksum a single upload (presigned PUT or POST form) signs, or `undefined`: refused with
 * 400 when half given, malformed or not the algorithm the tenant requires (or missing while it
 * requires one), and with 409 when the bucket's provider does not take the algorithm.
 */
export function uploadChecksum(
  tenant: TenantRecord,
  bucket: ProviderOf,
  request: ChecksumRequest,
): Checksum | undefined {
  const given = givenChecksum(request);
  const required = requiredChecksum(tenant);
  if (given === undefined) {
    if (required !== undefined) {
      throw new GatewayError(
        "invalid_request",
        `the tenant requires a ${required} checksum on uploads: send checksumAlgorithm ` +
          `${required} and checksum${required === "SHA256" ? " (or checksumSha256)" : ""}`,
        { field: "checksum" },
      );
    }
    return undefined;
  }
  refuseOtherThanRequired(required, given.algorithm);
  requireCapability(
    bucket,
    capabilitiesOf(bucket).checksums[given.algorithm] !== undefined,
    `the ${given.algorithm} checksum`,
    "checksumAlgorithm",
  );
  return given;
}

function givenChecksum(request: ChecksumRequest): Checksum | undefined {
  const { checksumAlgorithm, checksum, checksumSha256 } = request;
  if (checksumSha256 !== undefined) {
    if (checksumAlgorithm !== undefined || checksum !== undefined) {
      throw new GatewayError(
        "invalid_request",
        "checksumSha256 is the same as checksumAlgorithm SHA256 with checksum: send one form",
        { field: "checksumSha256" },
      );
    }
    return checksumOf("SHA256", checksumSha256, "checksumSha256");
  }
  if (checksumAlgorithm === undefined) {
    if (checksum === undefined) return undefined;
    throw new GatewayError("invalid_request", "checksum needs its checksumAlgorithm", {
      field: "checksumAlgorithm",
    });
  }
  if (checksum === undefined) {
    throw new GatewayError(
      "invalid_request",
      `checksumAlgorithm ${checksumAlgorithm} needs the checksum (base64) to sign`,
      { field: "checksum" },
    );
  }
  return checksumOf(checksumAlgorithm, checksum, "checksum");
}

function refuseOtherThanRequired(
  required: ChecksumAlgorithm | undefined,
  algorithm: ChecksumAlgorithm,
): void {
  if (required !== undefined && algorithm !== required) {
    throw new GatewayError(
      "invalid_request",
      `the tenant requires ${required} checksums on uploads, not ${algorithm}`,
      { field: "checksumAlgorithm" },
    );
  }
}

/**
 * The checksum of a multipart upload being created, or `undefined`. The type defaults to
 * COMPOSITE where S3 allows it (CRC32, CRC32C, SHA1, SHA256) and is FULL_OBJECT for CRC64NVME,
 * which has no other; a type S3 does not allow for the algorithm is a 400, one the bucket's
 * provider does not take a 409.
 */
export function multipartChecksum(
  tenant: TenantRecord,
  bucket: ProviderOf,
  request: {
    checksumAlgorithm?: ChecksumAlgorithm | undefined;
    checksumType?: ChecksumType | undefined;
  },
): MultipartChecksum | undefined {
  const { checksumAlgorithm: algorithm, checksumType } = request;
  const required = requiredChecksum(tenant);
  if (algorithm === undefined) {
    if (checksumType !== undefined) {
      throw new GatewayError("invalid_request", "checksumType needs its checksumAlgorithm", {
        field: "checksumAlgorithm",
      });
    }
    if (required !== undefined) {
      throw new GatewayError(
        "invalid_request",
        `the tenant requires a ${required} checksum on uploads: send checksumAlgorithm ` +
          `${required} here and each part's checksum to sign-parts`,
        { field: "checksumAlgorithm" },
      );
    }
    return undefined;
  }
  refuseOtherThanRequired(required, algorithm);
  const allowed = S3_TYPES[algorithm] ?? [];
  const type = checksumType ?? (allowed.includes("COMPOSITE") ? "COMPOSITE" : "FULL_OBJECT");
  if (!allowed.includes(type)) {
    throw new GatewayError(
      "invalid_request",
      `S3 takes ${algorithm} multipart checksums only as ${allowed.join(" or ")}`,
      { field: "checksumType" },
    );
  }
  requireCapability(
    bucket,
    capabilitiesOf(bucket).checksums[algorithm]?.includes(type) === true,
    `the ${algorithm} ${type} multipart checksum`,
    "checksumType",
  );
  return { algorithm, type };
}

const NO_ALGORITHM =
  "the upload was created without checksumAlgorithm, so its parts carry no checksum";

/**
 * The part checksums sign-parts signs, by part number: each must name a requested part and fit
 * the upload's algorithm; a tenant that requires checksums needs one for every part.
 */
export function partChecksums(
  tenant: TenantRecord,
  algorithm: ChecksumAlgorithm | undefined,
  partNumbers: readonly number[],
  checksums: Readonly<Record<string, string>> | undefined,
): Map<number, Checksum> {
  const signed = new Map<number, Checksum>();
  for (const [number, value] of Object.entries(checksums ?? {})) {
    const field = `checksums.${number}`;
    if (algorithm === undefined) {
      throw new GatewayError("invalid_request", NO_ALGORITHM, { field: "checksums" });
    }
    if (!partNumbers.includes(Number(number))) {
      throw new GatewayError("invalid_request", `part ${number} is not in partNumbers`, {
        field,
      });
    }
    signed.set(Number(number), checksumOf(algorithm, value, field));
  }
  const required = requiredChecksum(tenant);
  const missing = partNumbers.find((n) => !signed.has(n));
  if (required !== undefined && missing !== undefined) {
    throw new GatewayError(
      "invalid_request",
      `the tenant requires a ${required} checksum on uploads: checksums needs part ${missing}`,
      { field: "checksums" },
    );
  }
  return signed;
}

/**
 * The checksum each completed part is sent with, in the order of `requested`: S3's own from
 * ListParts, else the caller's (for servers that do not list them). A caller's checksum must fit
 * the upload's algorithm and agree with S3's, or the call is refused before completing.
 */
export function completedChecksums(
  algorithm: ChecksumAlgorithm | undefined,
  requested: readonly { partNumber: number; checksum?: string | undefined }[],
  listed: readonly { partNumber: number; checksum?: string | undefined }[],
): (string | undefined)[] {
  const listedOf = new Map(listed.map((part) => [part.partNumber, part.checksum]));
  return requested.map((part, index) => {
    const held = listedOf.get(part.partNumber);
    if (part.checksum === undefined) return algorithm === undefined ? undefined : held;
    const field = `parts.${index}.checksum`;
    if (algorithm === undefined) {
      throw new GatewayError("invalid_request", NO_ALGORITHM, { field });
    }
    const given = checksumOf(algorithm, part.checksum, field).value;
    if (held !== undefined && held !== given) {
      throw new GatewayError(
        "invalid_request",
        `part ${part.partNumber} is uploaded with another ${algorithm} checksum`,
        { field },
      );
    }
    return given;
  });
}

/** The name of the header a checksum of `algorithm` travels in: `x-amz-checksum-crc32`… */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/**
 * The signed headers of a PUT or UploadPart with `checksum`: the digest, and the algorithm the
 * AWS SDKs send with it (`x-amz-sdk-checksum-algorithm`).
 */
export function checksumHeaders(checksum: Checksum): Record<string, string> {
  return {
    [checksumHeaderName(checksum.algorithm)]: checksum.value,
    "x-amz-sdk-checksum-algorithm": checksum.algorithm,
  };
}

/** The POST form fields of `checksum` (POST Object form fields), each an exact policy condition. */
export function checksumFormFields(checksum: Checksum): Record<string, string> {
  return {
    "x-amz-checksum-algorithm": checksum.algorithm,
    [checksumHeaderName(checksum.algorithm)]: checksum.value,
  };
}

/** The CompleteMultipartUpload `<Part>` element of a part checksum: `ChecksumCRC32`… */
export function checksumElementName<A extends ChecksumAlgorithm>(algorithm: A): `Checksum${A}` {
  return `Checksum${algorithm}`;
}
