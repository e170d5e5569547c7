/**
 * Sliding-window rate-limit arithmetic (pure). Counts live in fixed windows of `period` seconds;
 * the estimate weights the previous window by how much of it still overlaps the sliding window:
 * `previous × (1 − elapsed/period) + current` (the approach of Cloudflare's own rate limiting).
 */

export interface RateWindow {
  limit: number;
  period: number;
}

export interface Decision {
  allowed: boolean;
  /** Requests left in the sliding window after this decision. */
  remaining: number;
  /** Seconds until the current fixed window ends. */
  resetSeconds: number;
  /** Seconds to wait before `cost` would fit (only meaningful when refused). */
  retryAfter: number;
}

export function windowIndex(nowMs: number, period: number): number {
  return Math.floor(nowMs / 1000 / period);
}

/** How far into the current window `nowMs` is, as a fraction in [0, 1). */
export function elapsedFraction(nowMs: number, period: number): number {
  const seconds = nowMs / 1000;
  return (seconds - windowIndex(nowMs, period) * period) / period;
}

export function slidingEstimate(
  previous: number,
  current: number,
  nowMs: number,
  period: number,
): number {
  return previous * (1 - elapsedFraction(nowMs, period)) + current;
}

/** Whether `cost` more fits under `window.limit`, given the two windows' counts. */
export function decide(
  window: RateWindow,
  previous: number,
  current: number,
  cost: number,
  nowMs: number,
): Decision {
  const { limit, period } = window;
  const estimate = slidingEstimate(previous, current, nowMs, period);
  const allowed = estimate + cost <= limit;
  const used = allowed ? estimate + cost : estimate;
  const elapsed = elapsedFraction(nowMs, period);
  const resetSeconds = Math.max(1, Math.ceil(period * (1 - elapsed)));
  return {
    allowed,
    remaining: Math.max(0, Math.floor(limit - used)),
    resetSeconds,
    retryAfter: allowed ? 0 : retryAfter(window, previous, current, cost, elapsed),
  };
}

/** Seconds until the decaying estimate leaves room for `cost` (at least 1). */
function retryAfter(
  { limit, period }: RateWindow,
  previous: number,
  current: number,
  cost: number,
  elapsed: number,
): number {
  if (cost > limit) return period;
  let seconds: number;
  if (current + cost <= limit && previous > 0) {
    // Within this window: previous × (1 − f) + current + cost ≤ limit.
    const fraction = 1 - (limit - cost - current) / previous;
    seconds = (fraction - elapsed) * period;
  } else {
    // Next window: the current count becomes the decaying previous one.
    const untilNext = (1 - elapsed) * period;
    const fraction = current > 0 ? Math.max(0, 1 - (limit - cost) / current) : 0;
    seconds = untilNext + fraction * period;
  }
  return Math.max(1, Math.ceil(seconds));
}

/**
 * When any policy refuses, nothing is counted: report every policy's room without this cost.
 * (A request is admitted only if all its policies allow it.)
 */
export function settle<T extends { window: RateWindow; decision: Decision }>(
  outcomes: T[],
  cost: number,
): T[] {
  if (outcomes.every((o) => o.decision.allowed)) return outcomes;
  return outcomes.map((o) =>
    o.decision.allowed
      ? {
          ...o,
          decision: {
            ...o.decision,
            remaining: Math.min(o.window.limit, o.decision.remaining + cost),
          },
        }
      : o,
  );
}
