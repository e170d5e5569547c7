/**
 * Exact rate limiting (`rateLimit.mode: "exact"`): one Durable Object per tenant holds the tenant
 * counter and every subject counter of that tenant. A Durable Object runs one request at a time,
 * so check-and-count is atomic and nothing is ever over-admitted; the price is one round trip to
 * the object per request and a ceiling of roughly a thousand requests per second per tenant.
 *
 * The same class counts the uses of short links that ask for `exactUses` (one object per link).
 */
import { DurableObject } from "cloudflare:workers";
import type { PolicyOutcome } from "./headers";
import { decide, settle, windowIndex, type RateWindow } from "./window";

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

export class RateLimitCounter extends DurableObject {
  /** Decides `cost` against every check (admitted only if all allow) and counts it. */
  charge(checks: ExactCheck[], cost: number, nowMs: number): PolicyOutcome[] {
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
    if (outcomes.every((o) => o.decision.allowed)) {
      for (const { key, counter } of counters) {
        storage.put(key, { ...counter, current: counter.current + cost });
      }
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
    const used = storage.get<number>(key) ?? 0;
    if (used >= max) return { granted: false, used };
    storage.put(key, used + 1);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expiresAtMs);
    return { granted: true, used: used + 1 };
  }

  /** Uses taken so far under `key`. */
  usesOf(key: string): number {
    return this.ctx.storage.kv.get<number>(key) ?? 0;
  }

  /** Link expiry: drop everything this object stored. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
