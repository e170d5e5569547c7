/**
 * Exact rate limiting (`rateLimit.mode: "exact"`): one Durable Object per tenant holds the tenant
 * counter and every subject counter of that tenant. A Durable Object runs one request at a time,
 * so check-and-count is atomic and nothing is ever over-admitted; the price is one round trip to
 * the object per request and a ceiling of roughly a thousand requests per second per tenant.
 *
 * The same class counts the uses of short links that ask for `exactUses` (one object per link).
 *
 * The tenant's object also keeps its usage (hourly buckets) and quota counters, in SQLite tables
 * (src/usage/store.ts, docs/usage.md).
 *
 * Nothing stays forever: an alarm deletes each entry once it can no longer matter (a window once
 * it is past being the "previous" one, a link's uses once the link has expired, a usage bucket
 * after 90 days, a quota window once it has ended), so the storage of a tenant whose subjects come
 * and go, or of a deleted tenant, does not grow without end.
 */
import { DurableObject } from "cloudflare:workers";
import type { PolicyOutcome } from "./headers";
import { decide, settle, windowIndex, type RateWindow } from "./window";
import type { QuotaDecision, QuotaLimits, UsageRow } from "../usage/metrics";
import { UsageStore, type UsageBucket, type UsageQuery } from "../usage/store";

export interface ExactCheck {
  name: PolicyOutcome["name"];
  scope: string;
  window: RateWindow;
}

interface Counter {
  window: number;
  current: number;
  previous: number;
}

/** A link's uses; `until` (ms) is the link's expiry, after which the count is forgotten. */
interface Uses {
  used: number;
  until: number;
}

/**
 * Alarms run at most this often: a tenant with one-second periods and many subjects costs one
 * sweep a minute, not one every other second. Entries merely live up to this much longer.
 */
export const SWEEP_INTERVAL_MS = 60_000;

/**
 * When (ms) a stored entry stops mattering. A counter of fixed window `w` (key
 * `<scope>:<period>`) is read as `previous` during window `w + 1`, so it ends with it.
 * Anything unrecognised ends at once.
 */
export function forgetAt(key: string, value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  if ("window" in value && typeof value.window === "number") {
    const period = Number(key.slice(key.lastIndexOf(":") + 1));
    return Number.isFinite(period) ? (value.window + 2) * period * 1000 : 0;
  }
  if ("until" in value && typeof value.until === "number") return value.until;
  return 0;
}

export class RateLimitCounter extends DurableObject {
  readonly #usage = new UsageStore(this.ctx.storage.sql);

  /** Adds a batch of usage counts (a flush from an isolate, docs/usage.md). */
  async recordUsage(rows: UsageRow[]): Promise<void> {
    await this.#sweepBy(this.#usage.add(rows));
  }

  /** Checks the request's amounts against the tenant's quota and, if admitted, counts them. */
  async reserveQuota(
    limits: QuotaLimits,
    amounts: { urls: number; bytes: number },
    nowMs: number,
  ): Promise<QuotaDecision> {
    const { decision, sweepAt } = this.#usage.reserve(limits, amounts, nowMs);
    if (decision.admitted) await this.#sweepBy(Math.max(sweepAt, nowMs + SWEEP_INTERVAL_MS));
    return decision;
  }

  /** The usage buckets a query asks for (`GET /admin/tenants/:id/usage`). */
  usage(query: UsageQuery): UsageBucket[] {
    return this.#usage.read(query);
  }

  /** Decides `cost` against every check (admitted only if all allow) and counts it. */
  async charge(checks: ExactCheck[], cost: number, nowMs: number): Promise<PolicyOutcome[]> {
    const storage = this.ctx.storage.kv;
    const counters = checks.map((check) => {
      const window = windowIndex(nowMs, check.window.period);
      const key = `${check.scope}:${check.window.period}`;
      const stored = storage.get<Counter>(key);
      let counter: Counter;
      if (stored === undefined || stored.window < window - 1) {
        counter = { window, current: 0, previous: 0 };
      } else if (stored.window === window - 1) {
        counter = { window, current: 0, previous: stored.current };
      } else {
        counter = stored;
      }
      return { key, counter };
    });
    const outcomes = settle(
      checks.map((check, i) => {
        const { counter } = counters[i] as { counter: Counter };
        return {
          name: check.name,
          window: check.window,
          decision: decide(check.window, counter.previous, counter.current, cost, nowMs),
        };
      }),
      cost,
    );
    if (counters.length > 0 && outcomes.every((o) => o.decision.allowed)) {
      for (const { key, counter } of counters) {
        storage.put(key, { ...counter, current: counter.current + cost });
      }
      // Counting happened above, synchronously: the await below cannot interleave two charges.
      const ends = counters.map(({ key, counter }) => forgetAt(key, counter));
      await this.#sweepBy(Math.max(Math.min(...ends), nowMs + SWEEP_INTERVAL_MS));
    }
    return outcomes;
  }

  /**
   * Takes one use of at most `max`; returns the uses so far and whether this one was granted.
   * The object forgets the counter after `expiresAtMs` (the link's own expiry).
   */
  async consume(
    key: string,
    max: number,
    expiresAtMs: number,
  ): Promise<{ granted: boolean; used: number }> {
    const storage = this.ctx.storage.kv;
    const used = this.usesOf(key);
    if (used >= max) return { granted: false, used };
    storage.put(key, { used: used + 1, until: expiresAtMs } satisfies Uses);
    await this.#sweepBy(expiresAtMs);
    return { granted: true, used: used + 1 };
  }

  /** Uses taken so far under `key`. */
  usesOf(key: string): number {
    return this.ctx.storage.kv.get<Uses>(key)?.used ?? 0;
  }

  /** Deletes every entry that has stopped mattering, then waits for the next one to. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const storage = this.ctx.storage.kv;
    let next = Number.POSITIVE_INFINITY;
    for (const [key, value] of [...storage.list()]) {
      const end = forgetAt(key, value);
      if (end <= now) storage.delete(key);
      else next = Math.min(next, end);
    }
    next = Math.min(next, this.#usage.sweep(now));
    // An object with nothing left is removed entirely (deleteAll also clears the alarm).
    if (next === Number.POSITIVE_INFINITY) {
      await this.ctx.storage.deleteAll();
      this.#usage.forget();
    } else await this.ctx.storage.setAlarm(Math.max(next, now + SWEEP_INTERVAL_MS));
  }

  /** Makes sure an alarm will run by `atMs` (an earlier pending one will reschedule itself). */
  async #sweepBy(atMs: number): Promise<void> {
    const pending = await this.ctx.storage.getAlarm();
    if (pending === null || pending > atMs) await this.ctx.storage.setAlarm(atMs);
  }
}
