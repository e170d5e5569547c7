/**
 * Usage metering and quotas on the request path (docs/usage.md).
 *
 * A tenant without a quota never waits for storage: its counts go into this isolate's batch for
 * its Durable Object (`<tenant>:<generation>`, the exact rate limiter's object), merged by
 * (hour, subject, metric), and one call hands the whole batch over through `waitUntil`, after
 * the response: when the batch holds FLUSH_EVENTS events, or USAGE_FLUSH_MS after its first.
 *
 * A tenant with a quota pays one round trip inside the request that issues URLs or authorizes
 * bytes: the object checks and counts in one step (exact under any concurrency). The request's
 * usage rows still go through the batch: a SQLite row written costs more than a Durable Object
 * request ($1.00 against $0.15 per million), and batched rows merge. Over the quota: 429 `quota_exceeded`, Retry-After at the
 * next UTC day or month, nothing signed. Store failure: `quota.failOpen` admits (and the counts
 * join the batch) or refuses with 503, logged either way.
 */
import { withDeadline } from "../deadline";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { logError } from "../log";
import type { Tenant } from "../tenants/store";
import {
  hasQuota,
  hourOf,
  quotaAmounts,
  rowsOf,
  type Counts,
  type QuotaDecision,
  type QuotaLimits,
  type UsageRow,
} from "./metrics";

/**
 * A batch is handed over once it holds this many events (a batch of 100 URLs is one event).
 * Rows merge by (hour, subject, metric), so a full batch is still a small call.
 */
export const FLUSH_EVENTS = 500;
/** Default for the `USAGE_FLUSH_MS` var: how long a batch waits for more events. */
export const DEFAULT_FLUSH_MS = 1000;
/** Batches kept at once (one per tenant generation); a new one past this flushes the oldest. */
export const MAX_BATCHES = 1000;

export interface MeterInput {
  env: Env;
  tenant: Tenant;
  sub: string | undefined;
  nowMs: number;
  waitUntil: (promise: Promise<unknown>) => void;
  requestId: string;
}

/**
 * Counts what a request is about to issue; call it after validation, before signing. With a
 * quota, URLs and bytes are reserved first (throws 429 `quota_exceeded`, or 503 failing closed).
 */
export async function meterUsage(input: MeterInput, counts: Counts): Promise<void> {
  const quota = input.tenant.quota;
  const amounts = quotaAmounts(counts);
  if (hasQuota(quota) && amounts.urls + amounts.bytes > 0) {
    const limits: QuotaLimits = {
      urlsPerDay: quota.urlsPerDay,
      uploadBytesPerDay: quota.uploadBytesPerDay,
      uploadBytesPerMonth: quota.uploadBytesPerMonth,
    };
    let decision: QuotaDecision | undefined;
    try {
      decision = await withDeadline(
        objectOf(input.env, input.tenant).reserveQuota(limits, amounts, input.nowMs),
        "the quota store",
      );
    } catch (error) {
      logError("quota_store_failed", {
        requestId: input.requestId,
        tenant: input.tenant.id,
        failOpen: quota.failOpen,
        error: String(error),
      });
      if (!quota.failOpen) {
        throw new GatewayError("unavailable", "quotas are unavailable; retry shortly", {
          headers: { "Retry-After": "1" },
          cause: error,
        });
      }
      // Failing open: admitted, and counted below like any other request.
    }
    if (decision !== undefined && !decision.admitted) {
      throw new GatewayError(
        "quota_exceeded",
        `the tenant's ${decision.refused.join(" and ")} quota is used up; ` +
          `retry after ${decision.retryAfter} s (the next UTC day or month)`,
        { headers: { "Retry-After": String(decision.retryAfter) } },
      );
    }
  }
  batcher.add(input, rowsOf(counts, hourOf(input.nowMs), subjectOf(input)));
}

/** The subject whose own rows are kept, when the tenant asks for them. */
function subjectOf(input: MeterInput): string | undefined {
  return input.tenant.usage?.perSubject === true ? input.sub : undefined;
}

/** The tenant's object: the exact rate limiter's, one per tenant generation. */
export function objectOf(env: Env, tenant: { id: string; generation: string }) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${tenant.id}:${tenant.generation}`));
}

interface Batch {
  env: Env;
  tenant: Tenant;
  rows: Map<string, UsageRow>;
  events: number;
  /** Whether a request's `waitUntil` holds a timer that will flush this batch. */
  scheduled: boolean;
  /** Whether these counts already failed to reach the object once. */
  retried: boolean;
}

/** One per isolate: merges counts and hands them to the tenants' objects in batches. */
export class UsageBatcher {
  readonly #batches = new Map<string, Batch>();

  /** Adds a request's rows to its tenant's batch, and arranges for the batch to be flushed. */
  add(input: MeterInput, rows: readonly UsageRow[]): void {
    if (rows.length === 0) return;
    const name = `${input.tenant.id}:${input.tenant.generation}`;
    let batch = this.#batches.get(name);
    if (batch === undefined) {
      if (this.#batches.size >= MAX_BATCHES) {
        const oldest = this.#batches.keys().next().value;
        if (oldest !== undefined) input.waitUntil(this.flush(oldest));
      }
      batch = {
        env: input.env,
        tenant: input.tenant,
        rows: new Map(),
        events: 0,
        scheduled: false,
        retried: false,
      };
      this.#batches.set(name, batch);
    }
    mergeInto(batch, rows);
    batch.events += 1;
    if (batch.events >= FLUSH_EVENTS) {
      input.waitUntil(this.flush(name));
    } else if (!batch.scheduled) {
      // The batch's first event keeps its request's context alive until the batch goes.
      batch.scheduled = true;
      const scheduled = batch;
      input.waitUntil(
        new Promise((resolve) => setTimeout(resolve, flushDelay(input.env))).then(() =>
          this.#batches.get(name) === scheduled ? this.flush(name) : undefined,
        ),
      );
    }
  }

  /** Counts waiting in this isolate for the object `<tenant>:<generation>`. */
  pending(name: string): UsageRow[] {
    return [...(this.#batches.get(name)?.rows.values() ?? [])];
  }

  /**
   * Hands the batch to the object and waits for the answer. A batch that fails is logged with
   * its counts and put back once, to go with the tenant's next flush; failing again, it is
   * logged as dropped.
   */
  async flush(name: string): Promise<void> {
    const batch = this.#batches.get(name);
    if (batch === undefined) return;
    this.#batches.delete(name);
    const rows = [...batch.rows.values()];
    try {
      await withDeadline(objectOf(batch.env, batch.tenant).recordUsage(rows), "the usage store");
    } catch (error) {
      logError(batch.retried ? "usage_dropped" : "usage_flush_failed", {
        tenant: batch.tenant.id,
        rows: rows.length,
        counts: JSON.stringify(totalsOf(rows)),
        error: String(error),
      });
      if (batch.retried) return;
      const current = this.#batches.get(name);
      if (current === undefined) {
        // No timer holds it: the tenant's next event schedules its flush.
        this.#batches.set(name, { ...batch, scheduled: false, retried: true });
      } else {
        mergeInto(current, rows);
        current.retried = true;
      }
    }
  }
}

function mergeInto(batch: Batch, rows: readonly UsageRow[]): void {
  for (const row of rows) {
    const key = `${row.hour}\u0000${row.subject}\u0000${row.metric}`;
    const held = batch.rows.get(key);
    if (held === undefined) batch.rows.set(key, { ...row });
    else held.count += row.count;
  }
}

/** The tenant-wide totals of rows, by metric (what a failure log line carries). */
function totalsOf(rows: readonly UsageRow[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const row of rows) {
    if (row.subject === "") totals[row.metric] = (totals[row.metric] ?? 0) + row.count;
  }
  return totals;
}

function flushDelay(env: Env): number {
  const ms = Number(env.USAGE_FLUSH_MS ?? "");
  return env.USAGE_FLUSH_MS !== undefined && env.USAGE_FLUSH_MS !== "" && Number.isFinite(ms)
    ? Math.min(Math.max(ms, 0), 10_000)
    : DEFAULT_FLUSH_MS;
}

export const batcher = new UsageBatcher();
