/**
 * Usage metering, the pure part (docs/usage.md): what is counted, under which names, in which
 * hourly bucket, and the UTC day and month windows quotas use. No storage, no clock of its own.
 */
import type { ProblemCode } from "../errors";
import type { Operation } from "../tenants/schema";

/**
 * A counted thing. `urls.<operation>`: URLs issued (a batch or sign-parts call counts each URL);
 * `bytes.put` / `bytes.post` / `bytes.multipart`: bytes authorized for upload (the signed
 * content-length, the POST form's maximum, the parts' size at completion); `uploads.completed`;
 * `links.visits`; `refusals.<code>`: problem answers, by code; `webhooks.<outcome>`: webhook
 * deliveries (src/events/deliver.ts).
 */
export type Metric =
  | `urls.${Operation}`
  | `bytes.${UploadKind}`
  | "uploads.completed"
  | "links.visits"
  | `refusals.${ProblemCode}`
  | `webhooks.${WebhookOutcome}`;

/**
 * `delivered`: a 2xx answer; `failed`: an attempt that will be retried; `dead`: a message given
 * up (dead-letter queue, or a webhook that points at the gateway), logged with its payload;
 * `unsent`: an event the queue refused, logged with its payload.
 */
export type WebhookOutcome = "delivered" | "failed" | "dead" | "unsent";

export type UploadKind = "put" | "post" | "multipart";

/** What one request adds: metric → amount (amounts of 0 are dropped). */
export type Counts = Partial<Record<Metric, number>>;

/** Adds each count of `from` to `into` (metric by metric); returns `into`. */
export function addCounts<T extends Record<string, number | undefined>>(into: T, from: T): T {
  const sums = into as Record<string, number | undefined>;
  for (const [metric, count] of Object.entries(from)) {
    if (count !== undefined) sums[metric] = (sums[metric] ?? 0) + count;
  }
  return into;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Hourly buckets are kept this long, then the object's alarm deletes them. */
export const RETENTION_DAYS = 90;
export const RETENTION_MS = RETENTION_DAYS * DAY_MS;

/** The hourly bucket of `nowMs`: hours since the Unix epoch (UTC; Unix time has no leap seconds). */
export function hourOf(nowMs: number): number {
  return Math.floor(nowMs / HOUR_MS);
}

/** One stored count: `subject` is "" for the tenant's own total. */
export interface UsageRow {
  hour: number;
  subject: string;
  metric: Metric;
  count: number;
}

/**
 * The rows a request's counts make: the tenant's total, and the subject's own when the tenant
 * meters per subject (`usage.perSubject`) and the caller has one.
 */
export function rowsOf(counts: Counts, hour: number, subject: string | undefined): UsageRow[] {
  const rows: UsageRow[] = [];
  for (const [metric, count] of Object.entries(counts) as [Metric, number][]) {
    if (count === 0) continue;
    rows.push({ hour, subject: "", metric, count });
    if (subject !== undefined) rows.push({ hour, subject, metric, count });
  }
  return rows;
}

/** Whether counts hold anything a quota limits: URLs issued or bytes authorized. */
export function quotaAmounts(counts: Counts): { urls: number; bytes: number } {
  let urls = 0;
  let bytes = 0;
  for (const [metric, count] of Object.entries(counts) as [Metric, number][]) {
    if (metric.startsWith("urls.")) urls += count;
    else if (metric.startsWith("bytes.")) bytes += count;
  }
  return { urls, bytes };
}

/** The quota fields of a tenant record (`quota`, docs/configuration.md). */
export interface QuotaLimits {
  urlsPerDay?: number | undefined;
  uploadBytesPerDay?: number | undefined;
  uploadBytesPerMonth?: number | undefined;
}

export type QuotaName = "urlsPerDay" | "uploadBytesPerDay" | "uploadBytesPerMonth";

/**
 * A quota counter: which amount, over which UTC window, and when (ms) the window ends. Windows
 * are calendar days and months in UTC, so every isolate and the object agree on them.
 */
export interface QuotaWindow {
  name: QuotaName;
  key: string;
  amount: "urls" | "bytes";
  endsAt: number;
}

export function quotaWindows(nowMs: number): QuotaWindow[] {
  const now = new Date(nowMs);
  const day = Math.floor(nowMs / DAY_MS);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const dayEnd = (day + 1) * DAY_MS;
  const monthEnd = Date.UTC(year, month + 1, 1);
  const monthId = `${year}-${String(month + 1).padStart(2, "0")}`;
  return [
    { name: "urlsPerDay", key: `urls:day:${day}`, amount: "urls", endsAt: dayEnd },
    { name: "uploadBytesPerDay", key: `bytes:day:${day}`, amount: "bytes", endsAt: dayEnd },
    {
      name: "uploadBytesPerMonth",
      key: `bytes:month:${monthId}`,
      amount: "bytes",
      endsAt: monthEnd,
    },
  ];
}

/** Flat rather than a union: it crosses the Durable Object RPC boundary. */
export interface QuotaDecision {
  admitted: boolean;
  /** The limits that refused (empty when admitted). */
  refused: QuotaName[];
  /** Seconds until the refusing windows end (0 when admitted). */
  retryAfter: number;
}

/**
 * Whether `amounts` fit under every limit the tenant set, given what each window has used. A
 * request is admitted whole or not at all; `retryAfter` is the seconds until the latest refusing
 * window ends (the next UTC day or month), when its count starts again from zero.
 */
export function decideQuota(
  limits: QuotaLimits,
  used: (window: QuotaWindow) => number,
  amounts: { urls: number; bytes: number },
  nowMs: number,
): QuotaDecision {
  const refused = quotaWindows(nowMs).filter((window) => {
    const limit = limits[window.name];
    const amount = amounts[window.amount];
    return limit !== undefined && amount > 0 && used(window) + amount > limit;
  });
  if (refused.length === 0) return { admitted: true, refused: [], retryAfter: 0 };
  const endsAt = Math.max(...refused.map((window) => window.endsAt));
  return {
    admitted: false,
    refused: refused.map((window) => window.name),
    retryAfter: Math.max(1, Math.ceil((endsAt - nowMs) / 1000)),
  };
}

/** Whether the tenant set any quota limit (only then does a request wait for the object). */
export function hasQuota(limits: QuotaLimits | undefined): limits is QuotaLimits {
  return (
    limits !== undefined &&
    (limits.urlsPerDay !== undefined ||
      limits.uploadBytesPerDay !== undefined ||
      limits.uploadBytesPerMonth !== undefined)
  );
}
