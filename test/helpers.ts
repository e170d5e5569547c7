/** Shared test fixtures: tenants, key pairs, token minting and a request helper. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { GatewayError } from "../src/errors";
import app from "../src/index";
import { readTenant, tenantKey, type Tenant } from "../src/tenants/store";
import { recordResponse } from "./leak-scan";
import { TEST_SECRETS } from "./secrets";

export type Alg = "EdDSA" | "ES256" | "RS256";

export interface KeyPair {
  alg: Alg;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

const keyPairs = new Map<string, Promise<KeyPair>>();

/** A key pair per (alg, label), generated once per test file. */
export function keyPair(alg: Alg, label = "main"): Promise<KeyPair> {
  const id = `${alg}:${label}`;
  let pair = keyPairs.get(id);
  if (pair === undefined) {
    pair = (async () => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const kid = `${label}-${alg}`.toLowerCase();
      return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg } };
    })();
    keyPairs.set(id, pair);
  }
  return pair;
}

let tenantCounter = 0;

/** A unique tenant id per call, so tests never share KV state. */
export function newTenantId(): string {
  tenantCounter += 1;
  return `t${tenantCounter}-${crypto.randomUUID().slice(0, 8)}`;
}

export type TenantInput = Record<string, unknown> & { id: string };

/** A valid tenant record (input form) trusting the given public keys. */
export function tenantRecord(id: string, jwks: JWK[], overrides: Record<string, unknown> = {}) {
  return {
    id,
    auth: { jwks: { keys: structuredClone(jwks) } },
    prefix: `${id}/`,
    subjectPrefix: "users/{sub}/",
    buckets: {
      main: {
        endpoint: "https://s3.us-east-1.amazonaws.com",
        bucket: `${id}-data`,
        region: "us-east-1",
        style: "virtual",
        credentials: "S3_TEST",
      },
      archive: {
        endpoint: "http://127.0.0.1:7480",
        bucket: "archive-bucket",
        region: "us-east-1",
        style: "path",
        credentials: "S3_TEST",
      },
    },
    defaultBucket: "main",
    maxExpiresIn: 3600,
    ...overrides,
  } satisfies Record<string, unknown>;
}

/** Stores a tenant through the admin API (so the test also exercises validation). */
export async function putTenant(record: Record<string, unknown> & { id: string }): Promise<void> {
  const res = await call(`/admin/tenants/${record.id}`, {
    method: "PUT",
    admin: true,
    body: record,
  });
  if (res.status !== 200) throw new Error(`putTenant ${res.status}: ${await res.text()}`);
}

/** The tenant as KV holds it now (with the gateway's generation and version); throws if none. */
export async function storedTenant(id: string): Promise<Tenant> {
  const tenant = await readTenant(env.KV, id);
  if (tenant === null) throw new Error(`no tenant ${id} in KV`);
  return tenant;
}

/** Writes raw bytes as a tenant record, bypassing validation (corruption tests). */
export async function putRawTenant(id: string, raw: string): Promise<void> {
  await env.KV.put(tenantKey(id), raw);
}

/** A tenant with one EdDSA key, stored; returns its id and key. */
export async function seedTenant(overrides: Record<string, unknown> = {}) {
  const id = newTenantId();
  const key = await keyPair("EdDSA");
  await putTenant(tenantRecord(id, [key.publicJwk], overrides));
  return { id, key };
}

export interface TokenOptions {
  iss: string;
  sub?: string;
  aud?: string | string[];
  lifetime?: number;
  iat?: number;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  omit?: ("iss" | "sub" | "aud" | "exp" | "iat")[];
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Mints a JWT signed with `key` (or an HMAC secret). */
export async function mintToken(
  key: KeyPair | { alg: "HS256"; secret: string },
  options: TokenOptions,
): Promise<string> {
  const iat = options.iat ?? nowSeconds();
  const claims: Record<string, unknown> = {
    iss: options.iss,
    sub: options.sub ?? "alice",
    aud: options.aud ?? "edgesign",
    iat,
    exp: iat + (options.lifetime ?? 300),
    ...options.claims,
  };
  for (const name of options.omit ?? []) delete claims[name];
  const header: Record<string, unknown> = {
    alg: key.alg,
    ...("kid" in key ? { kid: key.kid } : {}),
    ...options.header,
  };
  const jwt = new SignJWT(claims).setProtectedHeader(header as { alg: string });
  // Let jose sign extension headers a test puts in `crit` (the gateway must refuse them).
  const crit = Array.isArray(header.crit) ? (header.crit as string[]) : [];
  const signOptions = { crit: Object.fromEntries(crit.map((name) => [name, true])) };
  if ("secret" in key) return jwt.sign(new TextEncoder().encode(key.secret), signOptions);
  return jwt.sign(key.privateKey, signOptions);
}

interface CallOptions {
  method?: string;
  token?: string;
  admin?: boolean | string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/**
 * Sends a request through the worker's fetch handler with the test bindings (or `bindings`),
 * and waits for its `waitUntil` work so tests see a settled state.
 */
export async function call(
  path: string,
  options: CallOptions = {},
  bindings: Record<string, unknown> = env as unknown as Record<string, unknown>,
): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token !== undefined) headers.set("Authorization", `Bearer ${options.token}`);
  if (options.admin !== undefined && options.admin !== false) {
    const token = options.admin === true ? TEST_SECRETS.ADMIN_TOKEN : options.admin;
    headers.set("Authorization", `Bearer ${token}`);
  }
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  const request = new Request(`https://gateway.test${path}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const ctx = createExecutionContext();
  const response = await app.fetch(request, bindings, ctx);
  await waitOnExecutionContext(ctx);
  await recordResponse(response);
  return response;
}

/** POST /v1/presign with `body`, returning status and parsed JSON. */
export async function presign(token: string, body: Record<string, unknown>) {
  const res = await call("/v1/presign", { token, body });
  return { res, json: (await res.json()) as Record<string, unknown> };
}

/**
 * `count` GET presigns of distinct keys, all in flight at once, from `subjects` users of tenant
 * `id` (signed with `key`): what the exact counters must not over-admit.
 */
export async function concurrentPresigns(
  id: string,
  key: KeyPair,
  count = 500,
  subjects = 5,
): Promise<Response[]> {
  const tokens = await Promise.all(
    Array.from({ length: subjects }, (_, i) => mintToken(key, { iss: id, sub: `user${i}` })),
  );
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      call("/v1/presign", {
        token: tokens[i % subjects] as string,
        body: { method: "GET", key: `k${i}` },
      }),
    ),
  );
}

export async function expectProblem(
  res: Response,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  if (res.headers.get("content-type") !== "application/problem+json") {
    throw new Error(`not problem+json: ${res.headers.get("content-type")}`);
  }
  const problem = JSON.parse(text) as Record<string, unknown>;
  if (problem.code !== code) throw new Error(`expected code ${code}, got ${text}`);
  if (problem.status !== status) throw new Error(`status field mismatch: ${text}`);
  if (typeof problem.requestId !== "string" || problem.requestId === "") {
    throw new Error(`no requestId: ${text}`);
  }
  return problem;
}

/** The GatewayError `promise` rejects with; another error, or none, fails the test. */
export async function gatewayErrorOf(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a GatewayError");
}

/** A stand-in for the ASSETS binding holding the built bundle. */
export function fakeAssets(files: Record<string, string>) {
  const requested: string[] = [];
  return {
    requested,
    fetch: async (input: RequestInfo | URL) => {
      const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
      requested.push(path);
      const body = files[path];
      return body === undefined
        ? new Response("not found", { status: 404 })
        : new Response(body, { headers: { "Content-Type": "text/html" } });
    },
  };
}
