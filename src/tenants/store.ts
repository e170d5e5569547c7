/**
 * Tenants in KV, read through a small in-isolate cache.
 *
 * Keys (docs/configuration.md, "KV layout"):
 * - `tenant:<id>`: the record as the admin API stored it, with KV metadata `{generation, version}`
 *   that the gateway assigns: `version` is new on every PUT; `generation` is new when the tenant
 *   is created (first PUT, or the first PUT after a DELETE) and names everything that must not
 *   outlive the tenant (links, upload records, exact-mode counters). The metadata also copies
 *   the record's `disabled`, for the tenant list (./list.ts).
 * - `tenant-revoked:<id>`: the revocation floor (unix seconds) written by `/revoke` alone, so a
 *   revoke never writes back a record it may have read stale, and a PUT cannot lower it. The
 *   effective `auth.revokedBefore` is the larger of the two. It outlives a DELETE on purpose: a
 *   tenant re-created under the same id keeps refusing tokens revoked before.
 *
 * Both keys are read together (one bulk KV read). Cache TTL: TENANT_CACHE_TTL_MS (10 s). A change
 * made through the admin API is visible at once in the isolate that made it, and elsewhere after
 * at most KV's own propagation (~60 s across locations) plus this TTL (docs/limits.md).
 *
 * Unknown issuers are remembered apart, in a small bounded cache, so tokens naming random `iss`
 * values can never evict known tenants; a re-read tenant whose version is unchanged is the same
 * object as before, so nothing keyed on it (verified tokens, key sets) is dropped.
 */
import { BoundedLru } from "../auth/token-cache";
import { withDeadline } from "../deadline";
import { GatewayError } from "../errors";
import { logError } from "../log";
import { parseJsonAs } from "../json";
import { TenantRecord } from "./schema";

export const TENANT_CACHE_TTL_MS = 10_000;
/** Bound on cached known tenants per isolate. */
export const TENANT_CACHE_MAX = 1000;
/** Bound on remembered unknown issuers per isolate: a flood of random `iss` churns only these. */
export const UNKNOWN_TENANT_CACHE_MAX = 256;

/** A tenant as the gateway uses it: the record, its effective revocation floor, and its names. */
export type Tenant = TenantRecord & {
  /** Stable from creation to deletion; links, upload records and counters carry it. */
  readonly generation: string;
  /** New on every admin PUT: two reads with one version are the same record. */
  readonly version: string;
};

/** The generation of a tenant stored without metadata; link records without one carry it too. */
export const FIRST_GENERATION = "0";

export interface TenantMetadata {
  generation: string;
  version: string;
  /** The record's `disabled`, so `GET /admin/tenants` lists it without reading records. */
  disabled?: boolean;
}

interface CacheEntry {
  tenant: Tenant;
  expiresAt: number;
}

const known = new Map<string, CacheEntry>();
const unknown = new BoundedLru<number>(UNKNOWN_TENANT_CACHE_MAX);

export function tenantKey(id: string): string {
  return `tenant:${id}`;
}

export function revokedKey(id: string): string {
  return `tenant-revoked:${id}`;
}

/** Reads a tenant through the cache, `null` when there is none. KV failures and corrupt records → 503. */
export async function getTenant(kv: KVNamespace, id: string): Promise<Tenant | null> {
  const now = Date.now();
  const cached = known.get(id);
  if (cached !== undefined && cached.expiresAt > now) return cached.tenant;
  const missingUntil = unknown.get(id);
  if (missingUntil !== undefined && missingUntil > now) return null;
  return readTenant(kv, id, now);
}

/** Reads a tenant from KV, bypassing the cache (the admin API), and caches what it read. */
export async function readTenant(
  kv: KVNamespace,
  id: string,
  now: number = Date.now(),
): Promise<Tenant | null> {
  const stored = await readStored(kv, id);
  if (stored.raw === null) {
    remember(id, null, now);
    return null;
  }
  const tenant = tenantFrom(id, stored.raw, stored.metadata, stored.floor);
  remember(id, tenant, now);
  return tenant;
}

/**
 * Validates nothing (the route did) and writes a tenant: a replace keeps the stored generation, a
 * create starts a new one. The stored record is not parsed, so a PUT also repairs a record that no
 * longer reads. The write is awaited and its failure reported (503).
 */
export async function putTenant(kv: KVNamespace, record: TenantRecord): Promise<Tenant> {
  const stored = await readStored(kv, record.id);
  const metadata: TenantMetadata = {
    generation: stored.metadata?.generation ?? (stored.raw === null ? newId() : FIRST_GENERATION),
    version: newId(),
    disabled: record.disabled,
  };
  try {
    await withDeadline(kv.put(tenantKey(record.id), JSON.stringify(record), { metadata }), "KV");
  } catch (cause) {
    logError("kv_write_failed", { key: tenantKey(record.id), error: String(cause) });
    throw new GatewayError("unavailable", "the tenant could not be stored; nothing was changed", {
      cause,
    });
  }
  const tenant = withFloor({ ...record, ...metadata }, stored.floor);
  remember(record.id, tenant, Date.now());
  return tenant;
}

/** Deletes the record (idempotent); the revocation floor stays (see the module comment). */
export async function deleteTenant(kv: KVNamespace, id: string): Promise<void> {
  try {
    await withDeadline(kv.delete(tenantKey(id)), "KV");
  } catch (cause) {
    logError("kv_write_failed", { key: tenantKey(id), error: String(cause) });
    throw new GatewayError("unavailable", "the tenant could not be deleted", { cause });
  }
  remember(id, null, Date.now());
}

/**
 * Refuses every token issued before `revokedBefore` (unix seconds): writes the floor alone, then
 * returns the tenant as KV has it now, or `null` when there is none (nothing is written then).
 */
export async function revokeTenant(
  kv: KVNamespace,
  id: string,
  revokedBefore: number,
): Promise<Tenant | null> {
  const stored = await readStored(kv, id);
  if (stored.raw === null) {
    remember(id, null, Date.now());
    return null;
  }
  const current = tenantFrom(id, stored.raw, stored.metadata, stored.floor);
  // Compared with the floor alone: a PUT may lower the record's own `revokedBefore` later.
  if (stored.floor >= revokedBefore) return current;
  try {
    await withDeadline(kv.put(revokedKey(id), String(revokedBefore)), "KV");
  } catch (cause) {
    logError("kv_write_failed", { key: revokedKey(id), error: String(cause) });
    throw new GatewayError("unavailable", "the revocation could not be stored; nothing changed", {
      cause,
    });
  }
  const tenant = withFloor(current, revokedBefore);
  remember(id, tenant, Date.now());
  return tenant;
}

/** The record as the admin API shows it: without the gateway's own `generation` and `version`. */
export function recordOf(tenant: Tenant): TenantRecord {
  const { generation: _generation, version: _version, ...record } = tenant;
  return record;
}

/** Drops every cached tenant and unknown issuer (tests, and nothing else). */
export function clearTenantCache(): void {
  known.clear();
  unknown.clear();
}

interface Stored {
  /** The record's JSON as stored, `null` when there is none. */
  raw: string | null;
  metadata: TenantMetadata | null;
  /** The revocation floor written by `/revoke`, 0 when none. */
  floor: number;
}

/** Both keys of a tenant, in one bulk read. A failing or hanging KV → 503. */
async function readStored(kv: KVNamespace, id: string): Promise<Stored> {
  let stored: Map<string, KVNamespaceGetWithMetadataResult<string, TenantMetadata> | null>;
  try {
    stored = await withDeadline(
      kv.getWithMetadata<TenantMetadata>([tenantKey(id), revokedKey(id)], "text"),
      "KV",
    );
  } catch (cause) {
    logError("kv_read_failed", { key: tenantKey(id), error: String(cause) });
    throw new GatewayError("unavailable", "the tenant store cannot be read right now", { cause });
  }
  // A missing key is `null` in a bulk read's map, not a result with a null value.
  const record = stored.get(tenantKey(id)) ?? null;
  const floor = Number(stored.get(revokedKey(id))?.value ?? 0);
  return {
    raw: record?.value ?? null,
    metadata: record?.metadata ?? null,
    floor: Number.isSafeInteger(floor) ? floor : 0,
  };
}

function tenantFrom(
  id: string,
  raw: string,
  metadata: TenantMetadata | null,
  floor: number,
): Tenant {
  const cached = known.get(id)?.tenant;
  // Same version and floor as the cached tenant: the same object, so nothing keyed on it is lost.
  if (
    cached !== undefined &&
    metadata !== null &&
    cached.version === metadata.version &&
    floor <= cached.auth.revokedBefore
  ) {
    return cached;
  }
  const record = parseStored(id, raw);
  // A record written without metadata (before generations, or by `wrangler kv key put` as
  // `npm start` seeds its demo tenant) belongs to its tenant's first generation.
  const names = metadata ?? {
    generation: FIRST_GENERATION,
    version: `raw:${raw.length}:${hashOf(raw)}`,
  };
  return withFloor({ ...record, generation: names.generation, version: names.version }, floor);
}

/** `tenant` with `auth.revokedBefore` raised to `floor` (never lowered). */
function withFloor(tenant: Tenant, floor: number): Tenant {
  if (floor <= tenant.auth.revokedBefore) return tenant;
  return { ...tenant, auth: { ...tenant.auth, revokedBefore: floor } };
}

function parseStored(id: string, raw: string): TenantRecord {
  const record = parseJsonAs(TenantRecord, raw);
  if (record === undefined || record.id !== id) {
    logError("tenant_record_corrupt", { tenant: id });
    throw new GatewayError(
      "unavailable",
      "the tenant's record is unreadable; the operator is told",
    );
  }
  return record;
}

function remember(id: string, tenant: Tenant | null, now: number): void {
  known.delete(id);
  if (tenant === null) {
    unknown.set(id, now + TENANT_CACHE_TTL_MS);
    return;
  }
  unknown.delete(id);
  if (known.size >= TENANT_CACHE_MAX) {
    // Map iteration order is insertion order: the first entry is the oldest.
    const oldest = known.keys().next().value;
    if (oldest !== undefined) known.delete(oldest);
  }
  known.set(id, { tenant, expiresAt: now + TENANT_CACHE_TTL_MS });
}

/** 16 random bytes, hex: a generation or version name. */
function newId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** FNV-1a over the raw record: the version of a record stored without metadata. */
function hashOf(raw: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < raw.length; i += 1) {
    hash = Math.imul(hash ^ raw.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0).toString(16);
}
