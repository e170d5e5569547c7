/**
 * SigV4 query-string presigning of S3 object URLs
 * (AWS S3 API reference, "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)").
 *
 * Pure apart from WebCrypto: credentials, bucket, key and clock come in; a URL and the headers
 * the client must send come out. Credentials travel in aws4fetch's `AwsClient` (one per
 * credential set, shared with the gateway's own S3 calls and POST policies), but the URL is
 * signed here, in the steps of the spec, because the route already holds every piece in
 * canonical form: the key path is encoded once (`encodeKeyPath`), the host is known, and the
 * signing key is a `CryptoKey` imported once per credential, UTC day and region. So a URL costs
 * one SHA-256 and one HMAC, where `AwsV4Signer` would parse the URL, build a `Headers`, decode
 * and re-encode the path, and import the HMAC key again for every URL. The output is byte for
 * byte what `AwsV4Signer` produces (test/signing/presign-parity.test.ts).
 */
import { AwsClient } from "aws4fetch";
import { hex } from "../bytes";
import { expirationMs, type S3Credentials } from "../env";
import { encodeKeyPath } from "../keys";
import type { BucketConfig } from "../tenants/schema";

/** SigV4's longest presigned URL lifetime: 7 days. */
export const MAX_EXPIRES_IN = 604_800;

export type PresignMethod = "GET" | "HEAD" | "PUT" | "DELETE";

export interface PresignInput {
  method: PresignMethod;
  bucket: BucketConfig;
  fullKey: string;
  expiresIn: number;
  now: Date;
  /** Headers the client must send exactly (lower-case names); each is signed. */
  signedHeaders?: Record<string, string>;
  /** Extra signed query parameters, e.g. `response-content-disposition`. */
  query?: Record<string, string>;
}

export interface PresignedUrl {
  url: string;
  /** Every signed header but `host`: the client sends exactly these. */
  headers: Record<string, string>;
}

/**
 * One AwsClient per credential set at module scope: it holds aws4fetch's derived signing-key
 * cache (kDate → kSigning is recomputed once per credential, region and UTC day, not per URL).
 */
const clients = new Map<string, AwsClient>();
const CLIENTS_MAX = 256;

/**
 * When each client's credentials expire (epoch ms; none for long-term keys), kept with the client
 * so the cached path (`cachedClient`) knows it without parsing the secret again.
 */
const expirations = new WeakMap<AwsClient, number>();

/** When `client`'s credentials expire (epoch ms), or `undefined` when they do not. */
export function credentialsExpireAt(client: AwsClient): number | undefined {
  return expirations.get(client);
}

/** The cached client of a credential set, if any (lets callers skip parsing the secret). */
export function cachedClient(cacheKey: string): AwsClient | undefined {
  return clients.get(cacheKey);
}

/** The client for a credential set; `cacheKey` is the secret's raw value (never logged). */
export function clientFor(cacheKey: string, creds: S3Credentials): AwsClient {
  let client = clients.get(cacheKey);
  if (client === undefined) {
    if (clients.size >= CLIENTS_MAX) clients.clear();
    const { accessKeyId, secretAccessKey, sessionToken } = creds;
    client = new AwsClient({
      accessKeyId,
      secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
      service: "s3",
    });
    if (creds.expiration !== undefined) {
      expirations.set(client, expirationMs(creds.expiration));
    }
    clients.set(cacheKey, client);
  }
  return client;
}

/** The unsigned object URL: path style `endpoint/bucket/key`, virtual `bucket.host/key`. */
export function objectUrl(bucket: BucketConfig, fullKey: string): string {
  const endpoint = new URL(bucket.endpoint);
  const path = `/${encodeKeyPath(fullKey)}`;
  if (bucket.style === "path") return `${endpoint.origin}/${bucket.bucket}${path}`;
  return `${endpoint.protocol}//${bucket.bucket}.${endpoint.host}${path}`;
}

/** `2013-05-24T00:00:00.000Z` → `20130524T000000Z` (SigV4 `X-Amz-Date`). */
export function amzDate(now: Date): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

const encoder = new TextEncoder();
const ALGORITHM = "AWS4-HMAC-SHA256";
/** SigV4 for S3 query signing: the payload is not part of the signature. */
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** What `Headers` refuses in a value (after trimming) and a valid header name (RFC 9110 token). */
const INVALID_HEADER_VALUE = /[\0\r\n]/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Strings SigV4 URI encoding leaves as they are (RFC 3986 unreserved characters only). */
const UNRESERVED = /^[A-Za-z0-9_.~-]*$/;

/**
 * Where a bucket's objects live, parsed once per (style, endpoint, bucket): the origin and the
 * `host` header value exactly as the WHATWG URL parser normalises them, and the path prefix.
 */
interface BucketBase {
  origin: string;
  host: string;
  pathPrefix: string;
}
const bases = new Map<string, BucketBase>();
const BASES_MAX = 1000;

function bucketBase(bucket: BucketConfig): BucketBase {
  const id = `${bucket.style} ${bucket.endpoint} ${bucket.bucket}`;
  let base = bases.get(id);
  if (base === undefined) {
    const endpoint = new URL(bucket.endpoint);
    const root =
      bucket.style === "path"
        ? endpoint
        : new URL(`${endpoint.protocol}//${bucket.bucket}.${endpoint.host}/`);
    base = {
      origin: root.origin,
      host: root.host,
      pathPrefix: bucket.style === "path" ? `/${bucket.bucket}` : "",
    };
    if (bases.size >= BASES_MAX) bases.clear();
    bases.set(id, base);
  }
  return base;
}

/**
 * kSigning (SigV4 "Calculate the signature": HMAC chain over date, region, service,
 * `aws4_request`) as an imported `CryptoKey`, per client and (UTC day, region). At most
 * SIGNING_KEYS_PER_CLIENT entries per client; clients themselves are bounded by CLIENTS_MAX.
 */
const signingKeys = new WeakMap<AwsClient, Map<string, Promise<CryptoKey>>>();
const SIGNING_KEYS_PER_CLIENT = 8;

function signingKey(client: AwsClient, date: string, region: string): Promise<CryptoKey> {
  let keys = signingKeys.get(client);
  if (keys === undefined) {
    keys = new Map();
    signingKeys.set(client, keys);
  }
  const id = `${date},${region}`;
  let key = keys.get(id);
  if (key === undefined) {
    if (keys.size >= SIGNING_KEYS_PER_CLIENT) keys.clear();
    const derived = importSigningKey(client, date, region);
    const owner = keys;
    // A failed derivation is not remembered: the next URL tries again.
    derived.catch(() => owner.delete(id));
    keys.set(id, derived);
    key = derived;
  }
  return key;
}

async function importSigningKey(client: AwsClient, date: string, region: string) {
  const kSigning = await deriveSigningKey({
    secretAccessKey: client.secretAccessKey,
    date,
    region,
    cache: client.cache,
  });
  return crypto.subtle.importKey("raw", kSigning, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

export interface SigningScope {
  secretAccessKey: string;
  /** `YYYYMMDD` of `X-Amz-Date`. */
  date: string;
  region: string;
  /** aws4fetch's derived-key cache of the credential's `AwsClient`. */
  cache?: Map<string, ArrayBuffer>;
}

/**
 * SigV4 signing key: kDate = HMAC("AWS4" + secret, date), kRegion, kService ("s3"), kSigning
 * ("aws4_request"). Cached under aws4fetch's own key layout (`secret,date,region,service`), so
 * presigned URLs, POST policies and the gateway's own S3 calls of one credential set share one
 * derivation per day; one entry per UTC day and region, at most SIGNING_KEYS_PER_CLIENT.
 */
export async function deriveSigningKey(scope: SigningScope): Promise<ArrayBuffer> {
  const cacheKey = [scope.secretAccessKey, scope.date, scope.region, "s3"].join();
  const cached = scope.cache?.get(cacheKey);
  if (cached !== undefined) return cached;
  let key = await hmac(encoder.encode(`AWS4${scope.secretAccessKey}`), scope.date);
  for (const part of [scope.region, "s3", "aws4_request"]) key = await hmac(key, part);
  // Keep the shared cache bounded in a long-lived isolate.
  if (scope.cache !== undefined && scope.cache.size >= SIGNING_KEYS_PER_CLIENT) scope.cache.clear();
  scope.cache?.set(cacheKey, key);
  return key;
}

/** HMAC-SHA256 of `data` (UTF-8) under a raw key. */
export async function hmac(key: BufferSource, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(data));
}

/** SigV4 URI encoding of a query name or value: RFC 3986, every byte but unreserved. */
function encodeQueryPart(value: string): string {
  if (UNRESERVED.test(value)) return value;
  // URLSearchParams would have turned lone surrogates into U+FFFD; keep that, never throw.
  return encodeURIComponent(value.toWellFormed()).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The signed headers in canonical form (SigV4 "Create a canonical request"): lower-case names,
 * values trimmed with inner whitespace runs folded to one space; `host` comes from the URL.
 * Values and names `Headers` would refuse are refused the same way (TypeError).
 */
function canonicalHeaders(headers: Record<string, string>): Map<string, string> {
  const canonical = new Map<string, string>();
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (!HEADER_NAME.test(rawName)) throw new TypeError(`invalid header name '${rawName}'`);
    const value = rawValue.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
    if (INVALID_HEADER_VALUE.test(value)) throw new TypeError(`invalid value for '${rawName}'`);
    const name = rawName.toLowerCase();
    if (name === "host") continue;
    const previous = canonical.get(name);
    canonical.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return canonical;
}

export async function presign(client: AwsClient, input: PresignInput): Promise<PresignedUrl> {
  const base = bucketBase(input.bucket);
  const path = `${base.pathPrefix}/${encodeKeyPath(input.fullKey)}`;
  const datetime = amzDate(input.now);
  const date = datetime.slice(0, 8);
  const region = input.bucket.region;
  const scope = `${date}/${region}/s3/aws4_request`;
  const headers = input.signedHeaders ?? {};

  const canonical = canonicalHeaders(headers);
  const headerNames = ["host", ...canonical.keys()].sort();
  const signedHeaders = headerNames.join(";");
  let headerBlock = "";
  for (const name of headerNames) {
    const value = name === "host" ? base.host : (canonical.get(name) as string);
    headerBlock += `${name}:${value.replace(/\s+/g, " ")}\n`;
  }

  // Query parameters: the caller's, then SigV4's (which win on a name clash).
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(input.query ?? {})) {
    if (name !== "") params.set(name, value);
  }
  params.set("X-Amz-Expires", String(input.expiresIn));
  params.set("X-Amz-Date", datetime);
  if (client.sessionToken) params.set("X-Amz-Security-Token", client.sessionToken);
  params.set("X-Amz-Algorithm", ALGORITHM);
  params.set("X-Amz-Credential", `${client.accessKeyId}/${scope}`);
  params.set("X-Amz-SignedHeaders", signedHeaders);
  const encoded: [string, string][] = [];
  for (const [name, value] of params) encoded.push([encodeQueryPart(name), encodeQueryPart(value)]);
  encoded.sort(([k1, v1], [k2, v2]) =>
    k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0,
  );
  const query = encoded.map(([name, value]) => `${name}=${value}`).join("&");

  const payloadHash = canonical.get("x-amz-content-sha256") ?? UNSIGNED_PAYLOAD;
  const canonicalRequest = `${input.method}\n${path}\n${query}\n${headerBlock}\n${signedHeaders}\n${payloadHash}`;
  const key = signingKey(client, date, region);
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(canonicalRequest));
  const stringToSign = `${ALGORITHM}\n${datetime}\n${scope}\n${hex(digest)}`;
  const signature = await crypto.subtle.sign("HMAC", await key, encoder.encode(stringToSign));
  return {
    url: `${base.origin}${path}?${query}&X-Amz-Signature=${hex(signature)}`,
    headers: { ...headers },
  };
}
