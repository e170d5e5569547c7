/**
 * Per-tenant and per-subject rate limits (docs/api.md and docs/rate-limits.md). Policies come from the tenant
 * record; counters live in KV (default, approximate) or in a Durable Object (`mode: "exact"`).
 * A store failure never becomes a 500: the tenant's `failOpen` decides, and it is logged.
 */
import { sha256Hex } from "../bytes";
import { withDeadline } from "../deadline";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { logError } from "../log";
import type { Tenant } from "../tenants/store";
import { type ExactCheck } from "./exact";
import { rateLimitHeaders, type PolicyOutcome } from "./headers";
import { KvRateLimiter, type KvCheck } from "./kv-counter";

/** One limiter per isolate: its local counts are the in-isolate fast path. */
const kvLimiter = new KvRateLimiter();

export interface ChargeInput {
  env: Env;
  tenant: Tenant;
  sub: string | undefined;
  cost: number;
  nowMs: number;
  waitUntil: (promise: Promise<unknown>) => void;
  requestId: string;
}

/**
 * Charges `cost` to the tenant's and the subject's windows. Returns the RateLimit headers for
 * the response; throws `429 rate_limited` (with those headers and Retry-After) when over a
 * limit, or `503 unavailable` when the store fails and the tenant fails closed.
 */
export async function chargeRateLimit(input: ChargeInput): Promise<Record<string, string>> {
  const policy = input.tenant.rateLimit;
  if (policy === undefined) return {};
  const checks = await checksFor(input.tenant, input.sub);
  if (checks.length === 0) return {};

  let outcomes: PolicyOutcome[];
  try {
    // The deadline bounds only the waits on a store: a KV-mode charge answered from this
    // isolate's counts (the usual case) arms no timer.
    outcomes =
      policy.mode === "exact"
        ? await withDeadline(chargeExact(input, checks), "the rate-limit store")
        : await kvLimiter.charge(
            input.env.KV,
            checks,
            input.cost,
            input.nowMs,
            input.waitUntil,
            (error) => logStoreFailure(input, error),
            (sync) => withDeadline(sync, "the rate-limit store"),
          );
  } catch (error) {
    logStoreFailure(input, error);
    if (policy.failOpen) return {};
    throw new GatewayError("unavailable", "rate limiting is unavailable; retry shortly", {
      headers: { "Retry-After": "1" },
      cause: error,
    });
  }

  const headers = rateLimitHeaders(outcomes);
  const refused = outcomes.filter((o) => !o.decision.allowed).map((o) => o.name);
  if (refused.length > 0) {
    throw new GatewayError(
      "rate_limited",
      `the ${refused.join(" and ")} rate limit is exhausted; retry after ${headers["Retry-After"]} s`,
      { headers },
    );
  }
  return headers;
}

async function checksFor(
  tenant: Tenant,
  sub: string | undefined,
): Promise<(KvCheck & ExactCheck)[]> {
  const checks: (KvCheck & ExactCheck)[] = [];
  const policy = tenant.rateLimit;
  if (policy?.tenant !== undefined) {
    checks.push({ name: "tenant", scope: `t:${tenant.id}`, window: policy.tenant });
  }
  if (policy?.subject !== undefined && sub !== undefined) {
    checks.push({
      name: "subject",
      scope: `s:${tenant.id}:${await subjectId(sub)}`,
      window: policy.subject,
    });
  }
  return checks;
}

/** A KV-key-safe, bounded form of the subject (KV keys are at most 512 bytes). */
async function subjectId(sub: string): Promise<string> {
  const encoded = encodeURIComponent(sub);
  if (encoded.length <= 200) return encoded;
  return `sha256-${await sha256Hex(sub)}`;
}

async function chargeExact(input: ChargeInput, checks: ExactCheck[]): Promise<PolicyOutcome[]> {
  const namespace = input.env.RATE_LIMITER;
  // One object per tenant generation: a deleted and re-created tenant starts with fresh counters.
  const stub = namespace.get(namespace.idFromName(`${input.tenant.id}:${input.tenant.generation}`));
  return stub.charge(checks, input.cost, input.nowMs);
}

function logStoreFailure(input: ChargeInput, error: unknown): void {
  logError("ratelimit_store_failed", {
    requestId: input.requestId,
    tenant: input.tenant.id,
    mode: input.tenant.rateLimit?.mode,
    failOpen: input.tenant.rateLimit?.failOpen,
    error: String(error),
  });
}
