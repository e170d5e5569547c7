/**
 * An independent, test-only SigV4 query-string verifier: it does what an S3 server does with a
 * presigned URL (decode the path to a key, rebuild the canonical request, recompute the
 * signature) without sharing code with src/ or aws4fetch, so a test can check that our URLs
 * would be accepted. It is itself checked against the AWS presigned-GET vector.
 */

export interface VerifiedUrl {
  /** The object key S3 would store/serve (decoded path, bucket removed). */
  key: string;
  bucket: string;
  canonicalRequest: string;
  /** True when X-Amz-Signature equals the recomputed signature. */
  valid: boolean;
  params: Map<string, string>;
}

export interface VerifyOptions {
  secretAccessKey: string;
  style: "path" | "virtual";
  /** Values of the signed headers (other than host) as the client would send them. */
  headers?: Record<string, string>;
}

const encoder = new TextEncoder();

/** RFC 3986 percent-encoding of every byte but A-Z a-z 0-9 - _ . ~ (byte by byte). */
export function uriEncode(value: string, keepSlash: boolean): string {
  let out = "";
  for (const byte of encoder.encode(value)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function percentDecode(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === "%") {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...encoder.encode(value[i]));
    }
  }
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(new Uint8Array(bytes));
}

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(data));
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(data: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(data)));
}

export async function verifyPresignedUrl(
  url: string,
  method: string,
  options: VerifyOptions,
): Promise<VerifiedUrl> {
  const match = /^(https?):\/\/([^/?#]+)(\/[^?#]*)\?([^#]*)$/.exec(url);
  if (match === null) throw new Error(`not a presigned URL: ${url}`);
  const [, , host = "", rawPath = "", rawQuery = ""] = match;

  const params = new Map<string, string>();
  for (const pair of rawQuery.split("&")) {
    const [k = "", v = ""] = pair.split("=");
    params.set(percentDecode(k), percentDecode(v));
  }

  const decodedPath = percentDecode(rawPath);
  let bucket: string;
  let key: string;
  if (options.style === "path") {
    const [, first = "", ...rest] = decodedPath.split("/");
    bucket = first;
    key = rest.join("/");
  } else {
    bucket = host.split(".")[0] ?? "";
    key = decodedPath.slice(1);
  }

  const canonicalQuery = [...params.entries()]
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const signedHeaderNames = (params.get("X-Amz-SignedHeaders") ?? "").split(";");
  const headerValues: Record<string, string> = { host, ...options.headers };
  const canonicalHeaders = signedHeaderNames
    .map((name) => `${name}:${(headerValues[name] ?? "").trim()}\n`)
    .join("");
  const canonicalRequest = [
    method,
    uriEncode(decodedPath, true),
    canonicalQuery,
    canonicalHeaders,
    signedHeaderNames.join(";"),
    "UNSIGNED-PAYLOAD",
  ].join("\n");

  const credential = (params.get("X-Amz-Credential") ?? "").split("/");
  const [, date = "", region = "", service = ""] = credential;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    params.get("X-Amz-Date") ?? "",
    credential.slice(1).join("/"),
    await sha256Hex(canonicalRequest),
  ].join("\n");
  let signingKey = await hmac(encoder.encode(`AWS4${options.secretAccessKey}`), date);
  for (const part of [region, service, "aws4_request"]) signingKey = await hmac(signingKey, part);
  const signature = hex(await hmac(signingKey, stringToSign));

  return {
    key,
    bucket,
    canonicalRequest,
    valid: signature === params.get("X-Amz-Signature"),
    params,
  };
}

/**
 * The SigV4 POST-policy signature (AWS "Browser-Based Uploads Using POST"): hex
 * HMAC-SHA256(signing key, base64 policy), computed independently of src/.
 */
export async function postPolicySignature(
  policyBase64: string,
  secretAccessKey: string,
  date: string,
  region: string,
): Promise<string> {
  let signingKey = await hmac(encoder.encode(`AWS4${secretAccessKey}`), date);
  for (const part of [region, "s3", "aws4_request"]) signingKey = await hmac(signingKey, part);
  return hex(await hmac(signingKey, policyBase64));
}
