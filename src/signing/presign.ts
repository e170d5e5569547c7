/**
 * SigV4 query-string presigning of S3 object URLs with aws4fetch.
 * (AWS S3 API reference, "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)").
 *
 * Pure apart from WebCrypto: credentials, bucket, key and clock come in; a URL and the headers
 * the client must send come out.
 */
import { AwsClient, AwsV4Signer } from "aws4fetch";
import type { S3Credentials } from "../env";
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
  return now.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

export async function presign(client: AwsClient, input: PresignInput): Promise<PresignedUrl> {
  const query = new URLSearchParams(input.query);
  query.set("X-Amz-Expires", String(input.expiresIn));
  const unsigned = `${objectUrl(input.bucket, input.fullKey)}?${query.toString()}`;
  const headers = input.signedHeaders ?? {};

  const signer = new AwsV4Signer({
    method: input.method,
    url: unsigned,
    headers,
    accessKeyId: client.accessKeyId,
    secretAccessKey: client.secretAccessKey,
    ...(client.sessionToken === undefined ? {} : { sessionToken: client.sessionToken }),
    service: "s3",
    region: input.bucket.region,
    cache: client.cache,
    datetime: amzDate(input.now),
    signQuery: true,
    // aws4fetch leaves content-type/-length unsigned by default; we sign exactly what we pass.
    allHeaders: true,
  });
  const signature = await signer.signature();
  // Build the URL from the signer's canonical (RFC 3986) path and query rather than from
  // URLSearchParams, which would write spaces as '+'.
  const url = `${signer.url.origin}${signer.encodedPath}?${signer.encodedSearch}&X-Amz-Signature=${signature}`;
  return { url, headers: { ...headers } };
}
