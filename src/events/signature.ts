/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/, "Signature scheme"), with
 * WebCrypto: the `standardwebhooks` package signs with a pure-JavaScript SHA-256 (about 5 KiB
 * gzip in the bundle); the Worker's HMAC-SHA256 is native and adds nothing. The tests verify what
 * this signs with that package, from the receiver's side, and against the spec's published vector.
 */

/** The prefix of a Standard Webhooks secret: `whsec_` + base64 of the key bytes. */
export const SECRET_PREFIX = "whsec_";
/** The spec: keys SHOULD be between 24 and 64 bytes (random, from a CSPRNG). */
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;

/**
 * The HMAC key of a `whsec_<base64>` secret, or `undefined` when the value is not one (no
 * prefix, not standard base64, or a key of fewer than 24 or more than 64 bytes).
 */
export function webhookKey(secret: string): Uint8Array | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) {
    return undefined;
  }
  const key = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  if (key.byteLength < SECRET_MIN_BYTES || key.byteLength > SECRET_MAX_BYTES) return undefined;
  return key;
}

/** The three headers of a signed message. */
export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Signs `body` as sent: the signed content is `<id>.<timestamp>.<body>` (timestamp in unix
 * seconds), the signature `v1,` + base64 of its HMAC-SHA256 under `key`. The timestamp is the
 * attempt's, so a retry carries a fresh one that receivers' replay window (5 minutes in the
 * libraries) accepts; the id stays the same across retries, for the receiver's deduplication.
 */
export async function signWebhook(
  key: Uint8Array,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<SignedHeaders> {
  const hmac = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const timestamp = String(timestampSeconds);
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, signed));
  return {
    "webhook-id": id,
    "webhook-timestamp": timestamp,
    "webhook-signature": `v1,${btoa(String.fromCharCode(...mac))}`,
  };
}
