/**
 * Byte ↔ text encodings shared by the signer, the token cache and the S3 calls. `hex` is a
 * table loop because the signer also runs under Node 24 (the bench's Node table), which lacks
 * `Uint8Array.prototype.toHex`; the native method measured no faster inside a request.
 * Base64url decoding (tokens, workerd only) uses the runtime's TC39 `Uint8Array.fromBase64`,
 * which TypeScript's lib does not declare yet, and `atob` where the text is ASCII
 * (`base64UrlText`).
 */

interface Base64Decoder {
  fromBase64(text: string, options: { alphabet: "base64url" }): Uint8Array;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Lower-case hex of `bytes` (SigV4 signatures and hashes, token-cache keys). */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (let i = 0; i < view.length; i++) out += HEX[view[i] as number];
  return out;
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

const ASCII = /^[\x00-\x7f]*$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The UTF-8 text that `segment` (as `fromBase64Url` takes it) encodes; a TypeError or the
 * decoder's error for anything that is not base64url or not UTF-8. ASCII text, which JWS
 * headers and claims usually are, is decoded by `atob`: its bytes are its characters. In
 * workerd that is ~2× faster than `Uint8Array.fromBase64` plus a `TextDecoder`; both accept the
 * same segments (unpadded, unused bits ignored, a 1-character tail refused). Other text takes
 * that slower way, so a malformed UTF-8 sequence is refused as before.
 */
export function base64UrlText(segment: string): string {
  if (!BASE64URL.test(segment)) throw new TypeError("not base64url");
  const binary = atob(segment.replaceAll("-", "+").replaceAll("_", "/"));
  return ASCII.test(binary) ? binary : strictUtf8.decode(fromBase64Url(segment));
}
