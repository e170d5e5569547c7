/**
 * The operator page's pure part: what it draws and lists, computed from the admin API's answers.
 * No DOM, no clock of its own (tested in test/routes/admin-ui.test.ts).
 */
import type { TenantView, UsageView } from "./types";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Metrics webhooks count when a delivery fails (`webhooks.failed`, `webhooks.dead`, …). */
export const WEBHOOK_PREFIX = "webhooks.";

/**
 * The chart's data: one x value per bucket of the report's range (seconds, as uPlot wants),
 * including buckets the API leaves out because nothing was counted (drawn as 0), and one series
 * per metric, in name order.
 */
export function chartSeries(report: UsageView): { xs: number[]; series: [string, number[]][] } {
  const step = report.granularity === "day" ? DAY_MS : HOUR_MS;
  const from = Date.parse(report.from);
  const to = Date.parse(report.to);
  const xs: number[] = [];
  for (let start = from; start < to; start += step) xs.push(start / 1000);
  const index = new Map(xs.map((x, i) => [x * 1000, i]));
  const metrics = Object.keys(report.totals).sort();
  const series: [string, number[]][] = metrics.map((metric) => [metric, xs.map(() => 0)]);
  for (const bucket of report.buckets) {
    const i = index.get(Date.parse(bucket.start));
    if (i === undefined) continue;
    for (const [metric, values] of series) values[i] = bucket.counts[metric] ?? 0;
  }
  return { xs, series };
}

export interface QuotaUse {
  name: "urlsPerDay" | "uploadBytesPerDay" | "uploadBytesPerMonth";
  used: number;
  limit: number;
  unit: "URLs" | "bytes";
}

/**
 * Each quota the tenant has, with what its usage counts say was used in the current UTC day or
 * month (src/usage/metrics.ts: `urls.*` count against URL quotas, `bytes.*` against byte
 * quotas). `daily` holds the month's day buckets (`granularity=day`, from the month's first day).
 */
export function quotaUse(tenant: TenantView, daily: UsageView, nowMs: number): QuotaUse[] {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const now = new Date(nowMs);
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  let urlsToday = 0;
  let bytesToday = 0;
  let bytesMonth = 0;
  for (const bucket of daily.buckets) {
    const start = Date.parse(bucket.start);
    if (start < monthStart || start >= today + DAY_MS) continue;
    for (const [metric, count] of Object.entries(bucket.counts)) {
      if (metric.startsWith("bytes.")) {
        bytesMonth += count;
        if (start === today) bytesToday += count;
      } else if (metric.startsWith("urls.") && start === today) {
        urlsToday += count;
      }
    }
  }
  const quota = tenant.quota ?? {};
  const uses: QuotaUse[] = [];
  if (quota.urlsPerDay !== undefined) {
    uses.push({ name: "urlsPerDay", used: urlsToday, limit: quota.urlsPerDay, unit: "URLs" });
  }
  if (quota.uploadBytesPerDay !== undefined) {
    uses.push({
      name: "uploadBytesPerDay",
      used: bytesToday,
      limit: quota.uploadBytesPerDay,
      unit: "bytes",
    });
  }
  if (quota.uploadBytesPerMonth !== undefined) {
    uses.push({
      name: "uploadBytesPerMonth",
      used: bytesMonth,
      limit: quota.uploadBytesPerMonth,
      unit: "bytes",
    });
  }
  return uses;
}

/** The `from` of the month's day buckets: the current UTC month's first day (`2026-11-01`). */
export function monthStartOf(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 8) + "01";
}

export interface WebhookFailure {
  start: string;
  metric: string;
  count: number;
}

/** Every `webhooks.*` count of the report, newest bucket first, metrics in name order. */
export function webhookFailures(hourly: UsageView): WebhookFailure[] {
  const failures: WebhookFailure[] = [];
  for (const bucket of hourly.buckets) {
    for (const [metric, count] of Object.entries(bucket.counts)) {
      if (metric.startsWith(WEBHOOK_PREFIX) && count > 0) {
        failures.push({ start: bucket.start, metric, count });
      }
    }
  }
  return failures.sort(
    (a, b) => b.start.localeCompare(a.start) || a.metric.localeCompare(b.metric),
  );
}

/** `1536` → `1.5 KiB` (IEC units, as docs/limits.md writes sizes). */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
