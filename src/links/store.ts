/**
 * Links in KV. Three keys per code, each written with an absolute `expiration` so they clean
 * themselves up; every write is awaited, a failure is a 503 and an ERROR line.
 *
 * - `link:<code>`: the record. Written once, by create, and never rewritten: a visit that
 *   rewrote it could put back a record that a concurrent or not-yet-propagated delete removed.
 * - `linkdel:<code>`: the tombstone a delete leaves. It wins over the record, so a record that a
 *   stale replica still serves is refused wherever the tombstone has arrived.
 * - `linkuses:<code>`: the approximate use count of a `maxUses` link (docs/api.md, "Short links").
 */
import * as v from "valibot";
import { withDeadline } from "../deadline";
import { GatewayError } from "../errors";
import { parseJsonAs } from "../json";
import { logError } from "../log";
import { LinkRecord } from "./schema";

/**
 * KV refuses expirations less than 60 s ahead of *its* clock; a Worker's clock stands still
 * during CPU work, so keep a margin. The record's own `expiresAt` is what ends the link.
 */
const KV_MIN_EXPIRATION_S = 60 + 60;

export function linkKey(code: string): string {
  return `link:${code}`;
}

export function tombstoneKey(code: string): string {
  return `linkdel:${code}`;
}

export function usesKey(code: string): string {
  return `linkuses:${code}`;
}

/** Every key of a link ends with the link, or as soon after as KV allows. */
function expirationOf(expiresAt: number, nowS: number): number {
  return Math.max(expiresAt, nowS + KV_MIN_EXPIRATION_S);
}

const Uses = v.pipe(v.number(), v.integer(), v.minValue(0));

/** A short form of the code for logs: the code itself is the link's only secret. */
function logCode(code: string): string {
  return `${code.slice(0, 4)}…`;
}

/**
 * The link, or `null` if there is none or it was deleted. The record and its tombstone come in
 * one bulk read (one round trip; KV bills two reads).
 */
export async function readLink(kv: KVNamespace, code: string): Promise<LinkRecord | null> {
  let found: Map<string, string | null>;
  try {
    found = await withDeadline(kv.get([linkKey(code), tombstoneKey(code)]), "KV");
  } catch (cause) {
    logError("kv_read_failed", { key: "link:…", error: String(cause) });
    throw new GatewayError("unavailable", "links cannot be read right now", { cause });
  }
  if (found.get(tombstoneKey(code)) != null) return null;
  const raw = found.get(linkKey(code));
  if (raw == null) return null;
  const record = parseJsonAs(LinkRecord, raw);
  if (record === undefined) logError("link_record_corrupt", { code: logCode(code) });
  return record ?? null;
}

export async function writeLink(
  kv: KVNamespace,
  code: string,
  record: LinkRecord,
  nowS: number,
): Promise<void> {
  await putForLink(kv, linkKey(code), JSON.stringify(record), record, nowS, {
    detail: "the link could not be stored; nothing was created",
  });
}

/**
 * Deletes a link: the tombstone first, then the record. If the tombstone cannot be written the
 * link still works and the caller gets a 503 saying so; once it is written the link is revoked,
 * and a record that then fails to go is only logged (the tombstone outlives it).
 */
export async function revokeLink(
  kv: KVNamespace,
  code: string,
  record: LinkRecord,
  nowS: number,
): Promise<void> {
  await putForLink(kv, tombstoneKey(code), String(nowS), record, nowS, {
    detail: "the link could not be deleted; it still works",
  });
  try {
    await withDeadline(kv.delete(linkKey(code)), "KV");
  } catch (cause) {
    logError("kv_write_failed", { key: "link:…", tenant: record.tenant, error: String(cause) });
  }
}

/**
 * Uses counted so far (0 when none). A value that is not a count is a 503, like a corrupt tenant
 * record: the link fails closed rather than starting over at 0.
 */
export async function readUses(kv: KVNamespace, code: string): Promise<number> {
  let raw: string | null;
  try {
    raw = await withDeadline(kv.get(usesKey(code)), "KV");
  } catch (cause) {
    logError("kv_read_failed", { key: "linkuses:…", error: String(cause) });
    throw new GatewayError("unavailable", "links cannot be read right now", { cause });
  }
  if (raw === null) return 0;
  const uses = parseJsonAs(Uses, raw);
  if (uses !== undefined) return uses;
  logError("link_uses_corrupt", { code: logCode(code) });
  throw new GatewayError("unavailable", "the link's use count is unreadable");
}

/** Stores the use count; throws GatewayError("unavailable") when KV refuses. */
export async function writeUses(
  kv: KVNamespace,
  code: string,
  uses: number,
  record: LinkRecord,
  nowS: number,
): Promise<void> {
  await putForLink(kv, usesKey(code), String(uses), record, nowS, {
    detail: "the use could not be counted",
  });
}

/**
 * Writes `value` under one of a link's keys, expiring with the link. A failure is an ERROR line
 * naming the key's kind (never the code, a bearer capability) and a 503 saying `detail`.
 */
async function putForLink(
  kv: KVNamespace,
  key: string,
  value: string,
  record: LinkRecord,
  nowS: number,
  { detail }: { detail: string },
): Promise<void> {
  try {
    const expiration = expirationOf(record.expiresAt, nowS);
    await withDeadline(kv.put(key, value, { expiration }), "KV");
  } catch (cause) {
    const kind = `${key.slice(0, key.indexOf(":"))}:…`;
    logError("kv_write_failed", { key: kind, tenant: record.tenant, error: String(cause) });
    throw new GatewayError("unavailable", detail, { cause });
  }
}
