/**
 * Usage rows and quota counters in the tenant's Durable Object (the one that keeps exact rate
 * limits, src/ratelimit/exact.ts), in its SQLite database. The object runs one call at a time, so
 * a quota's check-and-count is atomic (no await between the read and the write).
 *
 * Tables: `usage` (hour, subject, metric) → count, subject "" for the tenant's total; and
 * `quota_usage` (window name) → used, with the window's end. The object's alarm calls `sweep`.
 */
import {
  decideQuota,
  HOUR_MS,
  hourOf,
  quotaWindows,
  RETENTION_MS,
  type QuotaDecision,
  type QuotaLimits,
  type UsageRow,
} from "./metrics";

/** One bucket of an answer: `start` (ms) of the hour or UTC day, and every metric counted in it. */
export interface UsageBucket {
  start: number;
  counts: Record<string, number>;
}

export interface UsageQuery {
  fromMs: number;
  toMs: number;
  /** Hours per bucket: 1 (hour) or 24 (UTC day). */
  hours: 1 | 24;
  /** "" for the tenant's totals. */
  subject: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS usage (
    hour INTEGER NOT NULL, subject TEXT NOT NULL, metric TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (hour, subject, metric)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS quota_usage (
    name TEXT PRIMARY KEY, used INTEGER NOT NULL, ends_at INTEGER NOT NULL
  ) WITHOUT ROWID;`;

export class UsageStore {
  readonly #sql: SqlStorage;
  #ready = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** The tables exist from the first use on; `forget` after the object's storage was emptied. */
  #tables(): SqlStorage {
    if (!this.#ready) {
      this.#sql.exec(SCHEMA);
      this.#ready = true;
    }
    return this.#sql;
  }

  forget(): void {
    this.#ready = false;
  }

  /** Adds the rows' counts to their buckets; returns when the oldest of them may be deleted. */
  add(rows: readonly UsageRow[]): number {
    const sql = this.#tables();
    let oldest = Number.POSITIVE_INFINITY;
    for (const row of rows) {
      sql.exec(
        `INSERT INTO usage (hour, subject, metric, count) VALUES (?, ?, ?, ?)
         ON CONFLICT (hour, subject, metric) DO UPDATE SET count = count + excluded.count`,
        row.hour,
        row.subject,
        row.metric,
        row.count,
      );
      oldest = Math.min(oldest, row.hour);
    }
    return expiryOf(oldest);
  }

  /**
   * Admits `amounts` against the tenant's limits and, when admitted, counts them in every quota
   * window (all three are kept, so a limit added later starts from the true count).
   * Synchronous: nothing can run between the check and the count.
   */
  reserve(
    limits: QuotaLimits,
    amounts: { urls: number; bytes: number },
    nowMs: number,
  ): { decision: QuotaDecision; sweepAt: number } {
    const sql = this.#tables();
    const windows = quotaWindows(nowMs);
    const used = new Map<string, number>();
    for (const { name, used: count } of sql.exec<{ name: string; used: number }>(
      `SELECT name, used FROM quota_usage WHERE name IN (?, ?, ?)`,
      ...windows.map((window) => window.key),
    )) {
      used.set(name, count);
    }
    const decision = decideQuota(limits, (window) => used.get(window.key) ?? 0, amounts, nowMs);
    if (!decision.admitted) return { decision, sweepAt: Number.POSITIVE_INFINITY };
    let sweepAt = Number.POSITIVE_INFINITY;
    for (const window of windows) {
      const amount = amounts[window.amount];
      if (amount === 0) continue;
      sql.exec(
        `INSERT INTO quota_usage (name, used, ends_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET used = used + excluded.used`,
        window.key,
        amount,
        window.endsAt,
      );
      sweepAt = Math.min(sweepAt, window.endsAt);
    }
    return { decision, sweepAt };
  }

  /** The counts of `query.subject` from `fromMs` (inclusive) to `toMs` (exclusive), by bucket. */
  read(query: UsageQuery): UsageBucket[] {
    // JavaScript numbers are bound as REAL: the cast keeps `hour / hours` an integer division.
    const rows = this.#tables().exec<{ bucket: number; metric: string; total: number }>(
      `SELECT hour / CAST(? AS INTEGER) AS bucket, metric, SUM(count) AS total FROM usage
       WHERE subject = ? AND hour >= ? AND hour < ?
       GROUP BY bucket, metric ORDER BY bucket, metric`,
      query.hours,
      query.subject,
      hourOf(query.fromMs),
      Math.ceil(query.toMs / HOUR_MS),
    );
    const buckets: UsageBucket[] = [];
    for (const row of rows) {
      const start = row.bucket * query.hours * HOUR_MS;
      let bucket = buckets.at(-1);
      if (bucket?.start !== start) {
        bucket = { start, counts: {} };
        buckets.push(bucket);
      }
      bucket.counts[row.metric] = row.total;
    }
    return buckets;
  }

  /**
   * Deletes hourly buckets older than the retention and quota windows that have ended; returns
   * when the next row will stop mattering (+∞ when none is left).
   */
  sweep(nowMs: number): number {
    const sql = this.#tables();
    sql.exec(`DELETE FROM usage WHERE hour < ?`, hourOf(nowMs - RETENTION_MS));
    sql.exec(`DELETE FROM quota_usage WHERE ends_at <= ?`, nowMs);
    const oldest = sql.exec<{ hour: number | null }>(`SELECT MIN(hour) AS hour FROM usage`).one();
    const ending = sql
      .exec<{ endsAt: number | null }>(`SELECT MIN(ends_at) AS endsAt FROM quota_usage`)
      .one();
    return Math.min(
      oldest.hour === null ? Number.POSITIVE_INFINITY : expiryOf(oldest.hour),
      ending.endsAt ?? Number.POSITIVE_INFINITY,
    );
  }
}

/** When (ms) the bucket of `hour` leaves the retention window. */
export function expiryOf(hour: number): number {
  return (hour + 1) * HOUR_MS + RETENTION_MS;
}
