/** Test support for usage metering: the admin usage route, and a call-counting object namespace. */
import { env } from "cloudflare:workers";
import type { RateLimitCounter } from "../../src/ratelimit/exact";
import { call } from "../helpers";

export interface UsageAnswer {
  tenant: string;
  subject?: string;
  from: string;
  to: string;
  granularity: "hour" | "day";
  buckets: { start: string; counts: Record<string, number> }[];
  totals: Record<string, number>;
}

/** `GET /admin/tenants/{id}/usage` with `query`; throws unless 200. */
export async function usageOf(id: string, query = ""): Promise<UsageAnswer> {
  const res = await call(`/admin/tenants/${id}/usage${query}`, { admin: true });
  if (res.status !== 200) throw new Error(`usage ${res.status}: ${await res.text()}`);
  return (await res.json()) as UsageAnswer;
}

export interface ObjectCalls {
  recordUsage: number;
  reserveQuota: number;
}

type Stub = DurableObjectStub<RateLimitCounter>;

/**
 * The test env with RATE_LIMITER wrapped: each usage call to an object is counted, then made on
 * the real object; `fail` makes a method reject instead (a store that is down).
 */
export function countingObjects(fail: Partial<Record<keyof ObjectCalls, () => boolean>> = {}) {
  const calls: ObjectCalls = { recordUsage: 0, reserveQuota: 0 };
  const real = env.RATE_LIMITER;
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub: Stub = real.get(id);
      return {
        // RPC stubs answer any property as a remote method (even `bind`): wrap, never bind.
        charge: (...args: Parameters<Stub["charge"]>) => stub.charge(...args),
        consume: (...args: Parameters<Stub["consume"]>) => stub.consume(...args),
        usage: (...args: Parameters<Stub["usage"]>) => stub.usage(...args),
        recordUsage: (...args: Parameters<Stub["recordUsage"]>) => {
          calls.recordUsage += 1;
          if (fail.recordUsage?.() === true) return Promise.reject(new Error("object down"));
          return stub.recordUsage(...args);
        },
        reserveQuota: (...args: Parameters<Stub["reserveQuota"]>) => {
          calls.reserveQuota += 1;
          if (fail.reserveQuota?.() === true) return Promise.reject(new Error("object down"));
          return stub.reserveQuota(...args);
        },
      };
    },
  };
  const bindings = { ...env, RATE_LIMITER: namespace } as unknown as Record<string, unknown>;
  return { calls, bindings };
}
