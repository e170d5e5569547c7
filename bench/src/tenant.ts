/**
 * The benchmark tenant and its tokens, shared by the whole-request benchmark (requests.ts) and
 * `npm run bench:ab` (scripts/bench-ab.mjs), so both measure the same request path.
 */
import { SignJWT, type CryptoKey, type JWK } from "jose";

export const TENANT_ID = "bench";
export const SUBJECT = "alice";

/** A KV-mode rate limit far above what the bench sends, so the limiter runs but never refuses. */
export function tenantRecord(publicJwk: JWK): Record<string, unknown> {
  return {
    id: TENANT_ID,
    auth: { jwks: { keys: [publicJwk] }, algorithms: ["EdDSA"] },
    prefix: `${TENANT_ID}/`,
    subjectPrefix: "users/{sub}/",
    buckets: {
      main: {
        endpoint: "https://s3.us-east-1.amazonaws.com",
        bucket: "bench-bucket",
        region: "us-east-1",
        style: "virtual",
        credentials: "S3_BENCH",
      },
    },
    defaultBucket: "main",
    defaultExpiresIn: 900,
    maxExpiresIn: 3600,
    rateLimit: {
      tenant: { limit: 1_000_000_000, period: 60 },
      subject: { limit: 1_000_000_000, period: 60 },
      mode: "kv",
      failOpen: true,
    },
  };
}

/**
 * The bench tenant with a quota far above what the bench sends: every URL-issuing request
 * reserves in the tenant's Durable Object (docs/usage.md), so the quota's round trip is measured.
 */
export const QUOTA_TENANT_ID = "bench-quota";
export function quotaTenantRecord(publicJwk: JWK): Record<string, unknown> {
  return {
    ...tenantRecord(publicJwk),
    id: QUOTA_TENANT_ID,
    prefix: `${QUOTA_TENANT_ID}/`,
    quota: { urlsPerDay: 1_000_000_000_000, failOpen: false },
  };
}

/** An EdDSA token of the bench tenant's subject, valid for 15 minutes. */
export function mintToken(
  privateKey: CryptoKey,
  options: { kid: string; audience: string; jti: string; issuer?: string },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: SUBJECT, jti: options.jti })
    .setProtectedHeader({ alg: "EdDSA", kid: options.kid, typ: "JWT" })
    .setIssuer(options.issuer ?? TENANT_ID)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + 900)
    .sign(privateKey);
}
