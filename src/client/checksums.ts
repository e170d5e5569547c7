/**
 * The checksums `uploadFile` computes before it uploads (docs/client.md, "Checksums"), as the
 * base64 of the digest's big-endian bytes that S3 wants (`x-amz-checksum-<algorithm>`): CRC32 and
 * CRC32C with @aws-crypto, CRC64NVME with @aws-sdk/crc64-nvme, SHA-1 and SHA-256 with WebCrypto.
 *
 * Client-side only: scripts/build.mjs bundles these libraries into dist/client; the Worker never
 * imports this file (it only checks a checksum's length and signs it: src/signing/checksums.ts).
 */
import { AwsCrc32 } from "@aws-crypto/crc32";
import { AwsCrc32c } from "@aws-crypto/crc32c";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import type { ChecksumAlgorithm } from "./types.js";

/** The base64 checksum of `data` (a file or a slice of one) in `algorithm`. */
export async function computeChecksum(algorithm: ChecksumAlgorithm, data: Blob): Promise<string> {
  if (algorithm === "SHA1" || algorithm === "SHA256") {
    // WebCrypto has no incremental digest: the part (or file) is read whole.
    const name = algorithm === "SHA1" ? "SHA-1" : "SHA-256";
    return base64(new Uint8Array(await crypto.subtle.digest(name, await data.arrayBuffer())));
  }
  const crc =
    algorithm === "CRC32"
      ? new AwsCrc32()
      : algorithm === "CRC32C"
        ? new AwsCrc32c()
        : new Crc64Nvme();
  // CRCs are streamed: a file of any size is read a chunk at a time.
  const reader = data.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    crc.update(value);
  }
  return base64(await crc.digest());
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
