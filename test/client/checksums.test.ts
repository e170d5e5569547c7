/**
 * The client's checksums (src/client/checksums.ts) against published vectors
 * (test/vectors/checksums.json): the CRC catalogue's check values, FIPS 180-2's "abc", and the
 * header values the AWS SDK sends.
 */
import { describe, expect, it } from "vitest";
import { computeChecksum } from "../../src/client/checksums";
import type { ChecksumAlgorithm } from "../../src/client/types";
import vectors from "../vectors/checksums.json";

const text = (value: string) => new Blob([new TextEncoder().encode(value)]);
const hexOf = (base64: string) =>
  [...atob(base64)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");

describe("computeChecksum", () => {
  it("gives the CRC catalogue's check value of '123456789' for CRC32, CRC32C and CRC64NVME", async () => {
    for (const [algorithm, hex] of Object.entries(vectors.check.hex)) {
      const base64 = await computeChecksum(
        algorithm as ChecksumAlgorithm,
        text(vectors.check.input),
      );
      expect(hexOf(base64), algorithm).toBe(hex);
    }
  });

  it("gives FIPS 180-2's SHA-1 and SHA-256 of 'abc'", async () => {
    for (const [algorithm, hex] of Object.entries(vectors.fips180.hex)) {
      const base64 = await computeChecksum(
        algorithm as ChecksumAlgorithm,
        text(vectors.fips180.input),
      );
      expect(hexOf(base64), algorithm).toBe(hex);
    }
  });

  it("gives the base64 header values the AWS SDK sends, the empty body included", async () => {
    for (const { input, algorithm, base64 } of vectors.awsSdk.cases) {
      expect(await computeChecksum(algorithm as ChecksumAlgorithm, text(input)), algorithm).toBe(
        base64,
      );
    }
  });

  it("streams a Blob read in many chunks to the same CRC as a bitwise reference", async () => {
    // 2.2 MB built from many parts: Blob.stream() hands it over in several reads.
    const chunk = new TextEncoder().encode("Hello world");
    const blob = new Blob(Array.from({ length: 200_000 }, () => chunk));
    const whole = new Uint8Array(await blob.arrayBuffer());
    const expected = bitwiseCrc32(whole).toString(16).padStart(8, "0");
    expect(hexOf(await computeChecksum("CRC32", blob))).toBe(expected);
    // The reference itself is right: the catalogue's check value.
    expect(bitwiseCrc32(new TextEncoder().encode(vectors.check.input)).toString(16)).toBe(
      vectors.check.hex.CRC32,
    );
  });
});

/** CRC-32/ISO-HDLC one bit at a time (reflected polynomial 0xEDB88320): slow and obvious. */
function bitwiseCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
