/**
 * Short links: a stable, revocable code in KV that presigns a fresh, short-lived GET on every
 * visit. Knows nothing of Hono; src/routes/links.ts calls it.
 */
import { requireOperation } from "../auth/verify";
import type { Env } from "../env";
import { eventSubject } from "../events/emit";
import { GatewayError } from "../errors";
import { meterUsage } from "../usage/meter";
import { logError, logInfo } from "../log";
import { chargeRateLimit } from "../ratelimit";
import { lifetimeOf } from "../signing/expiry";
import { presign } from "../signing/presign";
import {
  callerKey,
  resolveBucket,
  resolveExpiresIn,
  signerFor,
  type CallContext,
} from "../signing/service";
import { getTenant } from "../tenants/store";
import { attachmentDisposition } from "../http/content-disposition";
import {
  DEFAULT_URL_EXPIRES_IN,
  type CreateLinkRequest,
  type LinkInfo,
  type LinkRecord,
} from "./schema";
import { readLink, readUses, revokeLink, writeLink, writeUses } from "./store";

/** 16 random bytes (128 bits) from the CSPRNG, base64url without padding: 22 characters. */
export function newLinkCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export async function createLink(
  call: CallContext,
  body: CreateLinkRequest,
  origin: string,
): Promise<{ code: string; url: string; expiresAt: string }> {
  const { principal, now } = call;
  const { tenant } = principal;
  requireOperation(principal, "link");
  requireOperation(principal, "get");
  const key = callerKey(principal, body.key);
  const [alias] = resolveBucket(tenant, body.bucket);
  const urlExpiresIn = resolveExpiresIn(
    tenant,
    body.urlExpiresIn ?? Math.min(DEFAULT_URL_EXPIRES_IN, tenant.maxExpiresIn),
    "urlExpiresIn",
  );
  if (body.exactUses === true && body.maxUses === undefined) {
    throw new GatewayError("invalid_request", "exactUses needs maxUses", { field: "exactUses" });
  }

  const nowS = Math.floor(now.getTime() / 1000);
  const record: LinkRecord = {
    tenant: tenant.id,
    generation: tenant.generation,
    sub: principal.sub,
    key,
    bucket: alias,
    urlExpiresIn,
    maxUses: body.maxUses ?? null,
    exactUses: body.exactUses ?? false,
    filename: body.filename ?? null,
    createdAt: nowS,
    expiresAt: nowS + body.ttl,
  };
  const code = newLinkCode();
  await writeLink(call.env.KV, code, record, nowS);
  const expiresAt = new Date(record.expiresAt * 1000).toISOString();
  call.emit({
    type: "link.created",
    data: { ...eventSubject(call), bucket: alias, key, expiresAt },
  });
  logInfo("link_created", {
    requestId: call.requestId,
    tenant: tenant.id,
    sub: principal.sub,
    key,
    bucket: alias,
    expiresAt,
  });
  return { code, url: `${origin}/l/${code}`, expiresAt };
}

/** The same answer for unknown, expired, used-up and revoked codes, so none can be probed. */
export function linkNotFound(): GatewayError {
  return new GatewayError("not_found", "no such link");
}

export interface ResolveInput {
  env: Env;
  code: string;
  method: "GET" | "HEAD";
  now: Date;
  requestId: string;
  waitUntil: (promise: Promise<unknown>) => void;
}

/**
 * A fresh presigned URL for the link's object. GET counts a use (HEAD does not, so link
 * previews don't burn uses); resolves are charged to the link owner's rate limits.
 */
export async function resolveLink(
  input: ResolveInput,
): Promise<{ url: string; headers: Record<string, string> }> {
  const { env, code, now } = input;
  const nowS = Math.floor(now.getTime() / 1000);
  const record = await readLink(env.KV, code);
  if (record === null || record.expiresAt <= nowS) throw linkNotFound();

  const tenant = await getTenant(env.KV, record.tenant);
  // Tenant revocation stops links too: a disabled tenant, a link made before revokedBefore, or
  // one made by an earlier tenant under the same id.
  if (
    tenant === null ||
    tenant.disabled ||
    tenant.generation !== record.generation ||
    record.createdAt < tenant.auth.revokedBefore
  ) {
    throw linkNotFound();
  }
  if (!record.key.startsWith(tenant.prefix) || !Object.hasOwn(tenant.buckets, record.bucket)) {
    throw linkNotFound();
  }
  const [, bucket] = resolveBucket(tenant, record.bucket);

  const rateHeaders = await chargeRateLimit({
    env,
    tenant,
    sub: record.sub,
    cost: 1,
    nowMs: now.getTime(),
    waitUntil: input.waitUntil,
    requestId: input.requestId,
  });
  if (input.method === "GET" && record.maxUses !== null) await takeUse(input, record);
  const meterInput = { ...input, tenant, sub: record.sub, nowMs: now.getTime() };
  await meterUsage(meterInput, { "urls.link": 1, "links.visits": 1 });

  const client = signerFor(env, bucket.credentials);
  // A visit presigns anew, so the link outlives temporary credentials; each URL does not.
  const { expiresIn, expiresAt } = lifetimeOf(
    client,
    Math.min(record.urlExpiresIn, tenant.maxExpiresIn),
    now,
    { requestId: input.requestId, tenant: tenant.id, secret: bucket.credentials },
  );
  const query: Record<string, string> =
    record.filename === null
      ? {}
      : { "response-content-disposition": attachmentDisposition(record.filename) };
  const { url } = await presign(client, {
    method: input.method,
    bucket,
    fullKey: record.key,
    expiresIn,
    now,
    query,
  });
  logInfo("url_issued", {
    requestId: input.requestId,
    tenant: tenant.id,
    sub: record.sub,
    operation: "link",
    bucket: record.bucket,
    key: record.key,
    expiresAt,
  });
  return { url, headers: rateHeaders };
}

/**
 * Counts one use. KV (default): read-modify-write of the link's own counter, never of the record
 * (a rewritten record could undo a delete) — approximate, see docs/api.md ("POST /v1/links").
 * `exactUses`: the link's own Durable Object, atomic.
 */
async function takeUse(input: ResolveInput, record: LinkRecord): Promise<void> {
  const maxUses = record.maxUses ?? Number.POSITIVE_INFINITY;
  if (record.exactUses) {
    const stub = input.env.RATE_LIMITER.get(
      input.env.RATE_LIMITER.idFromName(`link:${input.code}`),
    );
    const { granted } = await stub.consume("uses", maxUses, record.expiresAt * 1000);
    if (!granted) throw linkNotFound();
    return;
  }
  const uses = await readUses(input.env.KV, input.code);
  if (uses >= maxUses) throw linkNotFound();
  const nowS = Math.floor(input.now.getTime() / 1000);
  try {
    await writeUses(input.env.KV, input.code, uses + 1, record, nowS);
  } catch (error) {
    // KV takes about one write per second per key: a hot link can lose counts, not visits.
    logError("link_use_not_counted", { requestId: input.requestId, tenant: record.tenant });
    if (!(error instanceof GatewayError)) throw error;
  }
}

export async function linkInfo(call: CallContext, code: string): Promise<LinkInfo> {
  const record = await ownedLink(call, code);
  let uses = 0; // only links with maxUses count their uses
  if (record.exactUses) {
    const stub = call.env.RATE_LIMITER.get(call.env.RATE_LIMITER.idFromName(`link:${code}`));
    uses = await stub.usesOf("uses");
  } else if (record.maxUses !== null) {
    uses = await readUses(call.env.KV, code);
  }
  return {
    code,
    key: record.key,
    bucket: record.bucket,
    sub: record.sub,
    createdAt: new Date(record.createdAt * 1000).toISOString(),
    expiresAt: new Date(record.expiresAt * 1000).toISOString(),
    urlExpiresIn: record.urlExpiresIn,
    maxUses: record.maxUses,
    exactUses: record.exactUses,
    uses,
    filename: record.filename,
  };
}

export async function deleteLink(call: CallContext, code: string): Promise<void> {
  const record = await ownedLink(call, code);
  await revokeLink(call.env.KV, code, record, Math.floor(call.now.getTime() / 1000));
  call.emit({
    type: "link.deleted",
    data: {
      ...eventSubject(call),
      bucket: record.bucket,
      key: record.key,
      expiresAt: new Date(record.expiresAt * 1000).toISOString(),
    },
  });
  logInfo("link_deleted", { requestId: call.requestId, tenant: call.principal.tenant.id });
}

/** The link if the caller's tenant owns it and it is neither expired nor deleted; else 404. */
async function ownedLink(call: CallContext, code: string): Promise<LinkRecord> {
  requireOperation(call.principal, "link");
  const record = await readLink(call.env.KV, code);
  const nowS = Math.floor(call.now.getTime() / 1000);
  const { tenant } = call.principal;
  if (
    record === null ||
    record.tenant !== tenant.id ||
    record.generation !== tenant.generation ||
    record.expiresAt <= nowS
  ) {
    throw linkNotFound();
  }
  return record;
}
