/**
 * The gateway's checksum rules (src/signing/checksums.ts): the length check per algorithm, the
 * request forms, the tenant's requireChecksum, the provider cells, the multipart types and the
 * part checksums. Pure: tenants are parsed records, nothing is signed.
 */
import * as v from "valibot";
import { beforeAll, describe, expect, it } from "vitest";
import type { GatewayError } from "../../src/errors";
import {
  checksumFormFields,
  checksumHeaders,
  checksumOf,
  completedChecksums,
  multipartChecksum,
  partChecksums,
  requiredChecksum,
  uploadChecksum,
} from "../../src/signing/checksums";
import { CHECKSUM_ALGORITHMS, type ProviderOf } from "../../src/s3/providers";
import { TenantRecord } from "../../src/tenants/schema";
import { keyPair, tenantRecord } from "../helpers";
import vectors from "../vectors/checksums.json";

let jwk: Record<string, unknown>;
beforeAll(async () => {
  jwk = (await keyPair("EdDSA")).publicJwk as unknown as Record<string, unknown>;
});

function tenant(upload: Record<string, unknown> = {}): TenantRecord {
  return v.parse(TenantRecord, tenantRecord("t1", [jwk as never], { upload }));
}

const AWS: ProviderOf = { provider: "aws" };
const R2: ProviderOf = { provider: "r2" };

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error("expected a refusal");
}

const base64Of = (hex: string) =>
  btoa(String.fromCharCode(...(hex.match(/../g) ?? []).map((h) => parseInt(h, 16))));

describe("checksumOf: the base64 of a digest of the algorithm's size", () => {
  it("accepts every published vector of its algorithm", () => {
    for (const { algorithm, base64 } of vectors.awsSdk.cases) {
      const name = algorithm as (typeof CHECKSUM_ALGORITHMS)[number];
      expect(checksumOf(name, base64, "checksum")).toEqual({ algorithm: name, value: base64 });
    }
    for (const [algorithm, hex] of [
      ...Object.entries(vectors.check.hex),
      ...Object.entries(vectors.fips180.hex),
    ]) {
      const name = algorithm as (typeof CHECKSUM_ALGORITHMS)[number];
      expect(checksumOf(name, base64Of(hex), "checksum").value).toBe(base64Of(hex));
    }
  });

  it("refuses a digest of another algorithm's size, naming the field and the size", () => {
    const crc32 = "i9aeUg==";
    const sha256 = "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=";
    for (const algorithm of ["CRC64NVME", "SHA1", "SHA256"] as const) {
      const error = refusal(() => checksumOf(algorithm, crc32, "parts.0.checksum"));
      expect(error.code).toBe("invalid_request");
      expect(error.field).toBe("parts.0.checksum");
    }
    expect(refusal(() => checksumOf("CRC32", sha256, "checksum")).message).toContain(
      "4-byte CRC32",
    );
    expect(refusal(() => checksumOf("CRC64NVME", sha256, "checksum")).message).toContain(
      "8-byte CRC64NVME",
    );
  });

  it("refuses base64 that is not canonical or not base64", () => {
    // "i9aeUh==" decodes to the same 4 bytes as "i9aeUg==" with non-zero padding bits.
    for (const value of ["i9aeUh==", "i9aeUg", "i9ae Ug==", "i9aeUg=="]) {
      const run = () => checksumOf("CRC32", value, "checksum");
      if (value === "i9aeUg==") expect(run().value).toBe(value);
      else expect(refusal(run).code).toBe("invalid_request");
    }
  });
});

describe("uploadChecksum: PUT and POST", () => {
  it("takes checksumAlgorithm + checksum, and checksumSha256 as the SHA256 shorthand", () => {
    expect(
      uploadChecksum(tenant(), AWS, { checksumAlgorithm: "CRC32", checksum: "i9aeUg==" }),
    ).toEqual({
      algorithm: "CRC32",
      value: "i9aeUg==",
    });
    const sha = vectors.awsSdk.cases.find((c) => c.algorithm === "SHA256")?.base64 ?? "";
    expect(uploadChecksum(tenant(), AWS, { checksumSha256: sha })).toEqual({
      algorithm: "SHA256",
      value: sha,
    });
    expect(uploadChecksum(tenant(), AWS, {})).toBeUndefined();
  });

  it("refuses both forms at once, and either half alone", () => {
    const sha = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    const both = refusal(() =>
      uploadChecksum(tenant(), AWS, { checksumSha256: sha, checksumAlgorithm: "SHA256" }),
    );
    expect([both.code, both.field]).toEqual(["invalid_request", "checksumSha256"]);
    const alsoBoth = refusal(() =>
      uploadChecksum(tenant(), AWS, { checksumSha256: sha, checksum: sha }),
    );
    expect(alsoBoth.field).toBe("checksumSha256");
    expect(refusal(() => uploadChecksum(tenant(), AWS, { checksum: sha })).field).toBe(
      "checksumAlgorithm",
    );
    expect(
      refusal(() => uploadChecksum(tenant(), AWS, { checksumAlgorithm: "CRC32C" })).field,
    ).toBe("checksum");
  });

  it("requires the tenant's algorithm; true is SHA256, as stored before algorithms", () => {
    expect(requiredChecksum(tenant())).toBeUndefined();
    expect(requiredChecksum(tenant({ requireChecksum: true }))).toBe("SHA256");
    expect(requiredChecksum(tenant({ requireChecksum: "CRC64NVME" }))).toBe("CRC64NVME");

    const crc = tenant({ requireChecksum: "CRC32C" });
    const missing = refusal(() => uploadChecksum(crc, AWS, {}));
    expect([missing.code, missing.field]).toEqual(["invalid_request", "checksum"]);
    expect(missing.message).toContain("requires a CRC32C checksum");
    const other = refusal(() =>
      uploadChecksum(crc, AWS, { checksumAlgorithm: "CRC32", checksum: "i9aeUg==" }),
    );
    expect(other.field).toBe("checksumAlgorithm");
    expect(uploadChecksum(crc, AWS, { checksumAlgorithm: "CRC32C", checksum: "crUfeA==" })).toEqual(
      {
        algorithm: "CRC32C",
        value: "crUfeA==",
      },
    );
    const old = tenant({ requireChecksum: true });
    expect(refusal(() => uploadChecksum(old, AWS, {})).message).toContain("checksumSha256");
  });
});

describe("multipartChecksum: fixed at create", () => {
  it("defaults the type to COMPOSITE where S3 allows it, FULL_OBJECT for CRC64NVME", () => {
    expect(multipartChecksum(tenant(), AWS, { checksumAlgorithm: "CRC32" })).toEqual({
      algorithm: "CRC32",
      type: "COMPOSITE",
    });
    expect(multipartChecksum(tenant(), AWS, { checksumAlgorithm: "CRC64NVME" })).toEqual({
      algorithm: "CRC64NVME",
      type: "FULL_OBJECT",
    });
    expect(
      multipartChecksum(tenant(), AWS, {
        checksumAlgorithm: "CRC32C",
        checksumType: "FULL_OBJECT",
      }),
    ).toEqual({ algorithm: "CRC32C", type: "FULL_OBJECT" });
    expect(multipartChecksum(tenant(), AWS, {})).toBeUndefined();
  });

  it("refuses a type S3 does not allow for the algorithm (400), or a type alone", () => {
    for (const [algorithm, type] of [
      ["SHA1", "FULL_OBJECT"],
      ["SHA256", "FULL_OBJECT"],
      ["CRC64NVME", "COMPOSITE"],
    ] as const) {
      const error = refusal(() =>
        multipartChecksum(tenant(), AWS, { checksumAlgorithm: algorithm, checksumType: type }),
      );
      expect([error.code, error.field]).toEqual(["invalid_request", "checksumType"]);
    }
    const alone = refusal(() => multipartChecksum(tenant(), AWS, { checksumType: "COMPOSITE" }));
    expect(alone.field).toBe("checksumAlgorithm");
  });

  it("refuses a type the bucket's provider lacks with 409 before anything is signed", () => {
    // R2 takes CRC32 multipart checksums only as COMPOSITE (src/s3/providers.ts).
    const error = refusal(() =>
      multipartChecksum(tenant(), R2, { checksumAlgorithm: "CRC32", checksumType: "FULL_OBJECT" }),
    );
    expect([error.code, error.field]).toEqual(["unsupported_by_provider", "checksumType"]);
    expect(multipartChecksum(tenant(), R2, { checksumAlgorithm: "CRC32" })?.type).toBe("COMPOSITE");
  });

  it("requires the tenant's algorithm at create", () => {
    const crc = tenant({ requireChecksum: "CRC32" });
    expect(refusal(() => multipartChecksum(crc, AWS, {})).field).toBe("checksumAlgorithm");
    expect(refusal(() => multipartChecksum(crc, AWS, { checksumAlgorithm: "SHA256" })).field).toBe(
      "checksumAlgorithm",
    );
    expect(multipartChecksum(crc, AWS, { checksumAlgorithm: "CRC32" })?.algorithm).toBe("CRC32");
  });
});

describe("part checksums", () => {
  it("signs each given part's checksum in the upload's algorithm", () => {
    const signed = partChecksums(tenant(), "CRC32", [1, 2], { "2": "NSRBwg==" });
    expect([...signed.entries()]).toEqual([[2, { algorithm: "CRC32", value: "NSRBwg==" }]]);
    expect(checksumHeaders({ algorithm: "CRC32", value: "NSRBwg==" })).toEqual({
      "x-amz-checksum-crc32": "NSRBwg==",
      "x-amz-sdk-checksum-algorithm": "CRC32",
    });
  });

  it("refuses checksums of parts not asked for, of the wrong size, or for an upload without an algorithm", () => {
    expect(refusal(() => partChecksums(tenant(), "CRC32", [1], { "3": "NSRBwg==" })).field).toBe(
      "checksums.3",
    );
    expect(
      refusal(() => partChecksums(tenant(), "CRC64NVME", [1], { "1": "NSRBwg==" })).field,
    ).toBe("checksums.1");
    expect(refusal(() => partChecksums(tenant(), undefined, [1], { "1": "NSRBwg==" })).field).toBe(
      "checksums",
    );
  });

  it("needs every part's checksum when the tenant requires one", () => {
    const crc = tenant({ requireChecksum: "CRC32" });
    const error = refusal(() => partChecksums(crc, "CRC32", [1, 2], { "1": "NSRBwg==" }));
    expect(error.field).toBe("checksums");
    expect(error.message).toContain("part 2");
    expect(partChecksums(crc, "CRC32", [1], { "1": "NSRBwg==" }).size).toBe(1);
  });

  it("completes with S3's listed checksums, else the caller's, and refuses a caller's that differs", () => {
    const listed = [{ partNumber: 1, checksum: "NSRBwg==" }, { partNumber: 2 }];
    expect(
      completedChecksums(
        "CRC32",
        [{ partNumber: 2, checksum: "i9aeUg==" }, { partNumber: 1 }],
        listed,
      ),
    ).toEqual(["i9aeUg==", "NSRBwg=="]);
    const differs = refusal(() =>
      completedChecksums("CRC32", [{ partNumber: 1, checksum: "i9aeUg==" }], listed),
    );
    expect(differs.field).toBe("parts.0.checksum");
    const noAlgorithm = refusal(() =>
      completedChecksums(
        undefined,
        [{ partNumber: 1 }, { partNumber: 2, checksum: "i9aeUg==" }],
        listed,
      ),
    );
    expect(noAlgorithm.field).toBe("parts.1.checksum");
    expect(completedChecksums(undefined, [{ partNumber: 1 }], listed)).toEqual([undefined]);
  });

  it("names the POST form fields of a checksum", () => {
    expect(checksumFormFields({ algorithm: "CRC64NVME", value: "OOJZ0D8xKts=" })).toEqual({
      "x-amz-checksum-algorithm": "CRC64NVME",
      "x-amz-checksum-crc64nvme": "OOJZ0D8xKts=",
    });
  });
});
