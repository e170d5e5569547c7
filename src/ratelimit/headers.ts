/**
 * IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-09, structured fields):
 * `RateLimit-Policy: "tenant";q=6000;w=60, "subject";q=120;w=60` and
 * `RateLimit: "tenant";r=5999;t=42, "subject";r=119;t=42`, plus `Retry-After` on 429 (RFC 9110 §10.2.3).
 */
import type { Decision, RateWindow } from "./window";

export interface PolicyOutcome {
  name: "tenant" | "subject";
  window: RateWindow;
  decision: Decision;
}

export function rateLimitHeaders(outcomes: readonly PolicyOutcome[]): Record<string, string> {
  if (outcomes.length === 0) return {};
  const headers: Record<string, string> = {
    "RateLimit-Policy": outcomes
      .map(({ name, window }) => `"${name}";q=${window.limit};w=${window.period}`)
      .join(", "),
    RateLimit: outcomes
      .map(({ name, decision }) => `"${name}";r=${decision.remaining};t=${decision.resetSeconds}`)
      .join(", "),
  };
  const refused = outcomes.filter(({ decision }) => !decision.allowed);
  if (refused.length > 0) {
    headers["Retry-After"] = String(
      Math.max(...refused.map(({ decision }) => decision.retryAfter)),
    );
  }
  return headers;
}
