/**
 * Byte ↔ text encodings with the runtime's TC39 `Uint8Array` base64/hex methods (workerd has
 * them; TypeScript's lib does not declare them yet): one native call where a JS loop over the
 * bytes would build a string per byte.
 */

interface Base64Decoder {
  fromBase64(text: string, options: { alphabet: "base64url" }): Uint8Array;
}
interface HexEncoder {
  toHex(): string;
}

/** Lower-case hex of `bytes` (SigV4 signatures and hashes, token-cache keys). */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return (view as unknown as HexEncoder).toHex();
}

const utf8 = new TextEncoder();

/** Lower-case hex SHA-256 of `text` as UTF-8. */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** RFC 4648 §5 without padding (JWS, RFC 7515 §2); anything else is a TypeError. */
export function fromBase64Url(segment: string): Uint8Array {
  if (!BASE64URL.test(segment)) throw new TypeError("not base64url");
  return (Uint8Array as unknown as Base64Decoder).fromBase64(segment, { alphabet: "base64url" });
}
