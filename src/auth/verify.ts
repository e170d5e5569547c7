/**
 * Client authentication (docs/api.md, "Authentication"): a compact JWS minted by a tenant backend,
 * verified with `jose` against the keys of the tenant named by `iss`.
 *
 * The order matters (RFC 8725 §2, §3): size and shape first, then the tenant (so we know which
 * algorithms and keys apply), then the header (refusing key-carrying headers and algorithms the
 * tenant does not allow), then the signature with a key of the header's family only, so an
 * RS/EdDSA public key can never be used as an HMAC secret.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { audience, readSecret, useSecret, type Env } from "../env";
import { GatewayError, invalidToken } from "../errors";
import { logError } from "../log";
import { prefixProblem } from "../keys";
import { ASYMMETRIC_ALGORITHMS, OPERATIONS, TenantId, type Operation } from "../tenants/schema";
import { getTenant, type Tenant } from "../tenants/store";
import { duplicateMember } from "./json-members";
import { BoundedLru, tokenDigest } from "./token-cache";
import { base64UrlText } from "../bytes";
import * as v from "valibot";

/** Tokens larger than this are refused before any parsing (a JWT of ours is < 1 KiB). */
export const MAX_TOKEN_BYTES = 8 * 1024;
/** docs/api.md, "Authentication": clock tolerance 30 s. */
export const CLOCK_TOLERANCE_S = 30;
/** Headers that would let the token choose its own verification key (RFC 8725 §3.10). */
const KEY_CARRYING_HEADERS = ["jku", "x5u", "jwk", "x5c"] as const;
/** Bound on verified tokens remembered per isolate (a few hundred bytes each). */
export const VERIFIED_TOKENS_MAX = 4096;

/**
 * Tokens that passed full verification, keyed by their SHA-256, so a caller that repeats its
 * token (the usual case: one token for its whole lifetime) does not pay for the signature check
 * again. An entry stands in for verification only while all of these hold, else the token is
 * verified in full again (and refused if it must be):
 * - `now` is before the token's `exp` (and not before its `nbf` minus the clock tolerance);
 * - the gateway audience and, for HS256, the secret's value are those it was verified with;
 * - the tenant record has the version it was verified against: every admin PUT gives it a new
 *   one and the tenant cache re-reads it from KV every TENANT_CACHE_TTL_MS, so a new key set,
 *   algorithm list or `disabled` flag is seen as soon as uncached requests see it; `disabled`
 *   and the revocation floor (kept apart from the record) are also checked again on every use.
 */
interface VerifiedToken {
  tenant: Tenant;
  audience: string;
  hmacSecret: string | undefined;
  payload: JWTPayload;
}
const verifiedTokens = new BoundedLru<VerifiedToken>(VERIFIED_TOKENS_MAX);

/** Forgets every verified token (tests). */
export function clearVerifiedTokens(): void {
  verifiedTokens.clear();
}

/** Signature verifications this isolate has run (tests and the bench: what the cache saves). */
let signatureChecks = 0;
export function signatureCheckCount(): number {
  return signatureChecks;
}

/** How many verified tokens are remembered (tests: the cache is bounded). */
export function verifiedTokenCount(): number {
  return verifiedTokens.size;
}

export interface Principal {
  tenant: Tenant;
  sub: string;
  /** tenant.operations narrowed by the token's `scope`. */
  operations: ReadonlySet<Operation>;
  /** The token's `prefix` claim ('' when absent); ends with '/'. */
  tokenPrefix: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * Verifies `Authorization: Bearer <jwt>` and returns who is calling.
 * Every failure is a 401 `invalid_token`; a broken tenant store is a 503.
 */
export async function authenticate(
  env: Env,
  authorization: string | undefined,
  now: Date = new Date(),
): Promise<Principal> {
  const token = bearerToken(authorization);
  const digest = await tokenDigest(token);
  const remembered = await rememberedPrincipal(env, digest, now);
  if (remembered !== undefined) return remembered;

  const { header, claims } = decodeToken(token);
  const tenant = await tenantOf(env, claims);

  const alg = header.alg;
  if (typeof alg !== "string" || !(tenant.auth.algorithms as readonly string[]).includes(alg)) {
    throw invalidToken("the token's algorithm is not allowed for this tenant");
  }
  for (const name of KEY_CARRYING_HEADERS) {
    if (name in header) throw invalidToken(`the '${name}' header is not accepted`);
  }

  const payload = await verifySignature(env, tenant, token, alg, now);
  const principal = principalFrom(tenant, payload, now);
  verifiedTokens.set(digest, {
    tenant,
    audience: audience(env),
    hmacSecret: alg === "HS256" ? hmacSecretValue(env, tenant) : undefined,
    payload,
  });
  return principal;
}

/** The caller of an already verified token, when its entry may stand in for verification. */
async function rememberedPrincipal(
  env: Env,
  digest: string,
  now: Date,
): Promise<Principal | undefined> {
  const entry = verifiedTokens.get(digest);
  if (entry === undefined) return undefined;
  const nowS = Math.floor(now.getTime() / 1000);
  const { exp, nbf } = entry.payload;
  const usable =
    typeof exp === "number" &&
    nowS < exp &&
    (typeof nbf !== "number" || nbf <= nowS + CLOCK_TOLERANCE_S) &&
    entry.audience === audience(env) &&
    (entry.hmacSecret === undefined ||
      entry.hmacSecret === readSecret(env, entry.tenant.auth.hmacSecret ?? ""));
  if (!usable) {
    verifiedTokens.delete(digest);
    return undefined;
  }
  const tenant = await getTenant(env.KV, entry.tenant.id);
  if (tenant === null || tenant.version !== entry.tenant.version || tenant.disabled) {
    verifiedTokens.delete(digest);
    return undefined;
  }
  // Same checks as after verification: lifetime, `revokedBefore`, scope and prefix claims.
  return principalFrom(tenant, entry.payload, now);
}

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined) throw invalidToken("missing 'Authorization: Bearer' token");
  const match = /^Bearer ([A-Za-z0-9_=.-]+)$/.exec(authorization.trim());
  if (match === null || match[1] === undefined) {
    throw invalidToken("the Authorization header is not 'Bearer <token>'");
  }
  if (match[1].length > MAX_TOKEN_BYTES) throw invalidToken("the token is too large");
  return match[1];
}

/**
 * The unverified header and claims, decoded once (base64url → UTF-8 → JSON object) to pick the
 * tenant and check the header; duplicate member names are refused. jose decodes and checks
 * both again when it verifies the signature.
 */
function decodeToken(token: string): { header: JsonObject; claims: JsonObject } {
  const segments = token.split(".");
  if (segments.length !== 3) throw invalidToken("a JWT has three dot-separated parts");
  const [headerSegment = "", claimsSegment = ""] = segments;
  return { header: decodedHeader(headerSegment), claims: decodeSegment("claims", claimsSegment) };
}

/**
 * Headers already decoded, by their segment: the tokens of one issuer key share one header
 * (alg, kid, typ), so a new token's header is usually one seen before. Only headers that
 * decoded into an object without duplicate members are kept, and each is the same function of
 * its segment, so a hit answers what decoding again would. Frozen, as every later token shares
 * it; long segments (never a real header) are not kept, so the cache stays small.
 */
const decodedHeaders = new BoundedLru<JsonObject>(64);
const DECODED_HEADER_MAX_CHARS = 512;

function decodedHeader(segment: string): JsonObject {
  const known = decodedHeaders.get(segment);
  if (known !== undefined) return known;
  const header = Object.freeze(decodeSegment("header", segment));
  if (segment.length <= DECODED_HEADER_MAX_CHARS) decodedHeaders.set(segment, header);
  return header;
}

function decodeSegment(part: "header" | "claims", segment: string): JsonObject {
  let json: string;
  let value: unknown;
  try {
    json = base64UrlText(segment);
    value = JSON.parse(json);
  } catch (cause) {
    throw invalidToken(`the token's ${part} is not base64url-encoded JSON`, cause);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidToken(`the token's ${part} is not a JSON object`);
  }
  const duplicate = duplicateMember(json);
  if (duplicate !== undefined) {
    throw invalidToken(`the token's ${part} repeats '${duplicate.slice(0, 64)}'`);
  }
  return value as JsonObject;
}

type JsonObject = Record<string, unknown>;

async function tenantOf(env: Env, claims: JsonObject): Promise<Tenant> {
  const iss = claims.iss;
  if (typeof iss !== "string" || !v.is(TenantId, iss)) {
    throw invalidToken("the token's 'iss' does not name a tenant");
  }
  const tenant = await getTenant(env.KV, iss);
  // One answer for unknown and disabled tenants, so issuers can't be probed.
  if (tenant === null || tenant.disabled) throw invalidToken("unknown or disabled issuer");
  return tenant;
}

async function verifySignature(
  env: Env,
  tenant: Tenant,
  token: string,
  alg: string,
  now: Date,
): Promise<JWTPayload> {
  const options = {
    issuer: tenant.id,
    audience: audience(env),
    // Only the header's algorithm family is tried: HS256 with the secret, the others with JWKS.
    algorithms: alg === "HS256" ? ["HS256"] : asymmetricAlgorithms(tenant),
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
    currentDate: now,
  };
  signatureChecks += 1;
  try {
    if (alg === "HS256") {
      return (await jwtVerify(token, await hmacKey(env, tenant), options)).payload;
    }
    return (await jwtVerify(token, jwksFor(tenant), options)).payload;
  } catch (cause) {
    if (cause instanceof GatewayError) throw cause;
    if (cause instanceof joseErrors.JOSEError) {
      throw invalidToken(`token verification failed: ${cause.message}`, cause);
    }
    throw invalidToken("token verification failed", cause);
  }
}

function asymmetricAlgorithms(tenant: Tenant): string[] {
  return tenant.auth.algorithms.filter((alg) =>
    (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg),
  );
}

/** The tenant's HS256 secret, checked on every use as the admin API checked it (503 if not). */
function hmacSecretValue(env: Env, tenant: Tenant): string {
  const name = tenant.auth.hmacSecret;
  if (name === null) {
    logError("tenant_secret_unusable", { tenant: tenant.id, purpose: "hmac", secret: null });
    throw new GatewayError("unavailable", "the tenant's HS256 secret is not configured");
  }
  return useSecret(env, name, "hmac", tenant.id);
}

/** Imported HS256 keys per tenant, imported again only when the secret's value changes. */
const hmacKeys = new Map<string, { secret: string; key: Promise<CryptoKey> }>();
const HMAC_KEYS_MAX = 1000;

function hmacKey(env: Env, tenant: Tenant): Promise<CryptoKey> {
  const secret = hmacSecretValue(env, tenant);
  const cached = hmacKeys.get(tenant.id);
  if (cached !== undefined && cached.secret === secret) return cached.key;
  const key = crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  if (hmacKeys.size >= HMAC_KEYS_MAX) hmacKeys.clear();
  hmacKeys.set(tenant.id, { secret, key });
  return key;
}

/**
 * Per-tenant key sets (jose caches each imported key inside its set), rebuilt only when the
 * tenant's JWKS or jwksUrl changes. A record of the same version has the same keys, so the
 * comparison of the serialised JWKS only runs when the tenant record was replaced.
 */
const keySets = new Map<string, { version: string; source: string; getKey: JWTVerifyGetKey }>();
const KEY_SETS_MAX = 1000;

function jwksFor(tenant: Tenant): JWTVerifyGetKey {
  const cached = keySets.get(tenant.id);
  if (cached !== undefined && cached.version === tenant.version) return cached.getKey;
  const { jwks, jwksUrl } = tenant.auth;
  const source = jwksUrl ?? JSON.stringify(jwks);
  if (cached !== undefined && cached.source === source) {
    cached.version = tenant.version;
    return cached.getKey;
  }

  let getKey: JWTVerifyGetKey;
  if (jwksUrl !== null) {
    // jose caches the fetched set (10 min) and refetches on an unknown `kid` (30 s cooldown).
    getKey = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 3000 });
  } else if (jwks !== null) {
    getKey = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
  } else {
    throw invalidToken("the tenant accepts no asymmetric tokens");
  }
  if (keySets.size >= KEY_SETS_MAX) keySets.clear();
  keySets.set(tenant.id, { version: tenant.version, source, getKey });
  return getKey;
}

function principalFrom(tenant: Tenant, payload: JWTPayload, now: Date): Principal {
  const { sub, iat, exp } = payload;
  if (typeof sub !== "string" || sub === "") throw invalidToken("'sub' must be a string");
  if (typeof iat !== "number" || typeof exp !== "number") {
    throw invalidToken("'iat' and 'exp' must be numbers");
  }
  const nowS = Math.floor(now.getTime() / 1000);
  if (iat > nowS + CLOCK_TOLERANCE_S) throw invalidToken("the token was issued in the future");
  if (exp - iat > tenant.auth.maxTokenLifetime) {
    throw invalidToken(`the token lives longer than ${tenant.auth.maxTokenLifetime} s`);
  }
  // Kill switch: every token issued before `revokedBefore` is refused.
  if (iat < tenant.auth.revokedBefore) throw invalidToken("the token has been revoked");

  return {
    tenant,
    sub,
    operations: narrowedOperations(tenant, payload.scope),
    tokenPrefix: tokenPrefix(payload.prefix),
    issuedAt: iat,
    expiresAt: exp,
  };
}

/** Each tenant record's operations as a set, built once per record object. */
const tenantOperations = new WeakMap<Tenant, ReadonlySet<Operation>>();

/** `scope` narrows the tenant's operations; it never adds one. */
function narrowedOperations(tenant: Tenant, scope: unknown): ReadonlySet<Operation> {
  let granted = tenantOperations.get(tenant);
  if (granted === undefined) {
    granted = new Set<Operation>(tenant.operations);
    tenantOperations.set(tenant, granted);
  }
  if (scope === undefined) return granted;
  if (typeof scope !== "string") throw invalidToken("'scope' must be a space-separated string");
  const asked = new Set(scope.split(" "));
  return new Set(OPERATIONS.filter((op) => granted.has(op) && asked.has(op)));
}

function tokenPrefix(prefix: unknown): string {
  if (prefix === undefined) return "";
  if (typeof prefix !== "string") throw invalidToken("'prefix' must be a string");
  const problem = prefixProblem(prefix);
  if (problem !== undefined) throw invalidToken(`'prefix' is not a valid key prefix: ${problem}`);
  return prefix;
}

/** 403 unless the caller may perform `operation`. */
export function requireOperation(principal: Principal, operation: Operation): void {
  if (!principal.operations.has(operation)) {
    throw new GatewayError("forbidden", `the token does not grant the '${operation}' operation`);
  }
}
