/**
 * Exact rate limiting (`rateLimit.mode: "exact"`): one Durable Object per tenant holds the tenant
 * counter and every subject counter of that tenant. A Durable Object runs one request at a time,
 * so check-and-count is atomic and nothing is ever over-admitted; the price is one round trip to
 * the object per request and a ceiling of roughly a thousand requests per second per tenant.
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
}
