/**
 * Tenant records in KV (`tenant:<id>`), read through a small in-isolate cache.
 *
 * Cache TTL: TENANT_CACHE_TTL_MS (10 s). A change made through the admin API is visible at once
 * in the isolate that made it, and elsewhere after at most KV's own propagation (~60 s across
 * locations) plus this TTL. docs/limits.md states what that means for revocation.
 */
import { withDeadline } from "../deadline";
import { GatewayError } from "../errors";
import { parseJsonAs } from "../json";
import { logError } from "../log";
import { TenantRecord } from "./schema";

export const TENANT_CACHE_TTL_MS = 10_000;
/** Bound on cached tenants (hits and misses) per isolate. */
export const TENANT_CACHE_MAX = 1000;

interface CacheEntry {
  record: TenantRecord | null;
  expiresAt: number;
}

const cache = new Map<string, CacheEntry>();

export function tenantKey(id: string): string {
  return `tenant:${id}`;
}

/** Reads a tenant, `null` when there is none. KV failures and corrupt records → 503. */
export async function getTenant(kv: KVNamespace, id: string): Promise<TenantRecord | null> {
  const now = Date.now();
  const cached = cache.get(id);
  if (cached !== undefined && cached.expiresAt > now) return cached.record;

  let raw: string | null;
  try {
    raw = await withDeadline(kv.get(tenantKey(id)), "KV");
  } catch (cause) {
    logError("kv_read_failed", { key: tenantKey(id), error: String(cause) });
    throw new GatewayError("unavailable", "the tenant store cannot be read right now", { cause });
  }
  const record = raw === null ? null : parseStored(id, raw);
  remember(id, record, now);
  return record;
}

/** Validates and writes a tenant; the write is awaited and its failure reported (503). */
export async function putTenant(kv: KVNamespace, record: TenantRecord): Promise<void> {
  try {
    await withDeadline(kv.put(tenantKey(record.id), JSON.stringify(record)), "KV");
  } catch (cause) {
    logError("kv_write_failed", { key: tenantKey(record.id), error: String(cause) });
    throw new GatewayError("unavailable", "the tenant could not be stored; nothing was changed", {
      cause,
    });
  }
  remember(record.id, record, Date.now());
}

export async function deleteTenant(kv: KVNamespace, id: string): Promise<void> {
  try {
    await withDeadline(kv.delete(tenantKey(id)), "KV");
  } catch (cause) {
    logError("kv_write_failed", { key: tenantKey(id), error: String(cause) });
    throw new GatewayError("unavailable", "the tenant could not be deleted", { cause });
  }
  remember(id, null, Date.now());
}

/** Drops every cached tenant (tests, and nothing else). */
export function clearTenantCache(): void {
  cache.clear();
}

function parseStored(id: string, raw: string): TenantRecord {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = TenantRecord.safeParse(json);
  if (!parsed.success || parsed.data.id !== id) {
    logError("tenant_record_corrupt", { tenant: id });
    throw new GatewayError(
      "unavailable",
      "the tenant's record is unreadable; the operator is told",
    );
  }
  return parsed.data;
}

function remember(id: string, record: TenantRecord | null, now: number): void {
  cache.delete(id);
  if (cache.size >= TENANT_CACHE_MAX) {
    // Map iteration order is insertion order: the first entry is the oldest.
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(id, { record, expiresAt: now + TENANT_CACHE_TTL_MS });
}
