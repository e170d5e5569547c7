/**
 * Link records in KV (`link:<code>`), written with an absolute `expiration` so they clean
 * themselves up. Every write is awaited; a failure is a 503 and an ERROR line.
 */
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

export async function readLink(kv: KVNamespace, code: string): Promise<LinkRecord | null> {
  let raw: string | null;
  try {
    raw = await withDeadline(kv.get(linkKey(code)), "KV");
  } catch (cause) {
    logError("kv_read_failed", { key: "link:…", error: String(cause) });
    throw new GatewayError("unavailable", "links cannot be read right now", { cause });
  }
  if (raw === null) return null;
  const record = parseJsonAs(LinkRecord, raw);
  if (record === undefined) logError("link_record_corrupt", { code: `${code.slice(0, 4)}…` });
  return record ?? null;
}

export async function writeLink(
  kv: KVNamespace,
  code: string,
  record: LinkRecord,
  nowS: number,
): Promise<void> {
  try {
    const expiration = Math.max(record.expiresAt, nowS + KV_MIN_EXPIRATION_S);
    await withDeadline(kv.put(linkKey(code), JSON.stringify(record), { expiration }), "KV");
  } catch (cause) {
    logError("kv_write_failed", { key: "link:…", tenant: record.tenant, error: String(cause) });
    throw new GatewayError("unavailable", "the link could not be stored; nothing was created", {
      cause,
    });
  }
}

export async function removeLink(kv: KVNamespace, code: string): Promise<void> {
  try {
    await withDeadline(kv.delete(linkKey(code)), "KV");
  } catch (cause) {
    logError("kv_write_failed", { key: "link:…", error: String(cause) });
    throw new GatewayError("unavailable", "the link could not be deleted; it still works", {
      cause,
    });
  }
}
