/**
 * Bench-only floor: the least work a correct SigV4 presigned GET can take with WebCrypto. The
 * signing key (kSigning) is derived once per UTC day and kept as a `CryptoKey`, so each URL costs
 * one SHA-256 of the canonical request and one HMAC of the string to sign, and nothing else.
 * (AWS S3 API reference, "Authenticating Requests: Using Query Parameters (AWS Signature
 * Version 4)".) GET only, `host` the only signed header, no session token: just enough to be a
 * fair lower bound for the other contenders, not a signer for production.
 */
const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

export interface FloorSetup {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** `bucket.s3.amazonaws.com`: the virtual-host style host. */
  host: string;
  expiresIn: number;
}

function hex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/** RFC 3986 encoding of one path segment, as SigV4 wants it for S3 (no double encoding). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

async function hmac(key: BufferSource, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(data));
}

/** A presigner `(key, now) => url` for GET, with its kSigning cached per day. */
export function floorSigner(setup: FloorSetup): (key: string, now: Date) => Promise<string> {
  const signingKeys = new Map<string, Promise<CryptoKey>>();
  const credentialPrefix = `${encodeURIComponent(setup.accessKeyId)}%2F`;

  async function signingKey(date: string): Promise<CryptoKey> {
    let kSigning = encoder.encode(`AWS4${setup.secretAccessKey}`) as BufferSource;
    for (const part of [date, setup.region, "s3", "aws4_request"]) {
      kSigning = await hmac(kSigning, part);
    }
    return crypto.subtle.importKey("raw", kSigning, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
  }

  return async function floorPresign(key, now) {
    const datetime = now.toISOString().replace(/[:-]|\.\d{3}/g, "");
    const date = datetime.slice(0, 8);
    let keyPromise = signingKeys.get(date);
    if (keyPromise === undefined) {
      signingKeys.clear();
      keyPromise = signingKey(date);
      signingKeys.set(date, keyPromise);
    }
    const scope = `${date}/${setup.region}/s3/aws4_request`;
    const path = `/${key.split("/").map(encodeSegment).join("/")}`;
    const query =
      `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credentialPrefix}${date}%2F` +
      `${setup.region}%2Fs3%2Faws4_request&X-Amz-Date=${datetime}` +
      `&X-Amz-Expires=${setup.expiresIn}&X-Amz-SignedHeaders=host`;
    const canonicalRequest = `GET\n${path}\n${query}\nhost:${setup.host}\n\nhost\nUNSIGNED-PAYLOAD`;
    const digest = await crypto.subtle.digest("SHA-256", encoder.encode(canonicalRequest));
    const stringToSign = `AWS4-HMAC-SHA256\n${datetime}\n${scope}\n${hex(digest)}`;
    const signature = await crypto.subtle.sign(
      "HMAC",
      await keyPromise,
      encoder.encode(stringToSign),
    );
    return `https://${setup.host}${path}?${query}&X-Amz-Signature=${hex(signature)}`;
  };
}
