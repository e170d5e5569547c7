import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { STORE_TIMEOUT_MS } from "../../src/deadline";
import { KvRateLimiter, shardPrefix } from "../../src/ratelimit/kv-counter";
import { call, expectProblem, mintToken, seedTenant } from "../helpers";

const GET = { method: "GET", key: "a.txt" };
const bindings = env as unknown as Record<string, unknown>;

async function limitedTenant(rateLimit: Record<string, unknown>) {
  const { id, key } = await seedTenant({ rateLimit });
  return { id, token: (sub = "alice") => mintToken(key, { iss: id, sub }) };
}

/** Pins Date to `seconds` after a 60-s-aligned epoch, so windows are predictable. */
function freezeAt(seconds: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(Date.UTC(2026, 10, 23, 12, 0, 0) + seconds * 1000));
}

afterEach(() => vi.useRealTimers());

describe("KV rate limits through /v1/presign", () => {
  it("admits `limit` requests with RateLimit headers, then 429 with Retry-After", async () => {
    freezeAt(0);
    const t = await limitedTenant({ subject: { limit: 3, period: 60 } });
    const token = await t.token();
    for (let i = 0; i < 3; i++) {
      const res = await call("/v1/presign", { token, body: GET });
      expect(res.status).toBe(200);
      expect(res.headers.get("RateLimit-Policy")).toBe('"subject";q=3;w=60');
      expect(res.headers.get("RateLimit")).toBe(`"subject";r=${2 - i};t=60`);
    }
    const refused = await call("/v1/presign", { token, body: GET });
    const problem = await expectProblem(refused, 429, "rate_limited");
    expect(problem.detail).toMatch(/subject rate limit/);
    expect(refused.headers.get("Retry-After")).toBe("80");
    expect(refused.headers.get("RateLimit")).toBe('"subject";r=0;t=60');
  });

  it("rolls over: the previous window decays, then frees up entirely", async () => {
    freezeAt(0);
    const t = await limitedTenant({ subject: { limit: 3, period: 60 } });
    for (let i = 0; i < 3; i++) {
      expect((await call("/v1/presign", { token: await t.token(), body: GET })).status).toBe(200);
    }
    // Half-way through the next window the estimate is 3 × 0.5 = 1.5: one more fits, not two.
    freezeAt(90);
    expect((await call("/v1/presign", { token: await t.token(), body: GET })).status).toBe(200);
    expect((await call("/v1/presign", { token: await t.token(), body: GET })).status).toBe(429);
    // Two windows later nothing of it counts.
    freezeAt(240);
    for (let i = 0; i < 3; i++) {
      expect((await call("/v1/presign", { token: await t.token(), body: GET })).status).toBe(200);
    }
  });

  it("keeps per-subject and per-tenant limits independent", async () => {
    freezeAt(0);
    const t = await limitedTenant({
      tenant: { limit: 5, period: 60 },
      subject: { limit: 3, period: 60 },
    });
    for (let i = 0; i < 3; i++) {
      expect((await call("/v1/presign", { token: await t.token("alice"), body: GET })).status).toBe(
        200,
      );
    }
    const alice = await call("/v1/presign", { token: await t.token("alice"), body: GET });
    expect((await expectProblem(alice, 429, "rate_limited")).detail).toMatch(
      /^the subject rate limit/,
    );
    for (let i = 0; i < 2; i++) {
      expect((await call("/v1/presign", { token: await t.token("bob"), body: GET })).status).toBe(
        200,
      );
    }
    const bob = await call("/v1/presign", { token: await t.token("bob"), body: GET });
    expect((await expectProblem(bob, 429, "rate_limited")).detail).toMatch(
      /^the tenant rate limit/,
    );
    expect(bob.headers.get("RateLimit")).toBe('"tenant";r=0;t=60, "subject";r=1;t=60');
  });

  it("charges a batch one per item", async () => {
    freezeAt(0);
    const t = await limitedTenant({ subject: { limit: 5, period: 60 } });
    const token = await t.token();
    const batch = (n: number) =>
      call("/v1/presign/batch", { token, body: { requests: Array(n).fill(GET) } });
    const first = await batch(3);
    expect(first.status).toBe(200);
    expect(first.headers.get("RateLimit")).toBe('"subject";r=2;t=60');
    await expectProblem(await batch(3), 429, "rate_limited");
    expect((await batch(2)).status).toBe(200);
  });

  it("fails open by default when KV fails, and logs an ERROR line", async () => {
    const t = await limitedTenant({ subject: { limit: 3, period: 60 } });
    const errors = vi.spyOn(console, "error");
    const res = await call(
      "/v1/presign",
      { token: await t.token(), body: GET },
      brokenRateLimitKv(),
    );
    expect(res.status).toBe(200);
    const logged = errors.mock.calls.map((args) => String(args[0]));
    errors.mockRestore();
    expect(logged.some((line) => line.includes('"event":"ratelimit_store_failed"'))).toBe(true);
  });

  it("fails closed with 503 problem+json when the tenant asks for it", async () => {
    const t = await limitedTenant({ subject: { limit: 3, period: 60 }, failOpen: false });
    const res = await call(
      "/v1/presign",
      { token: await t.token(), body: GET },
      brokenRateLimitKv(),
    );
    await expectProblem(res, 503, "unavailable");
    expect(res.headers.get("Retry-After")).toBe("1");
  });

  it(`a rate-limit store that hangs → 503 after ${STORE_TIMEOUT_MS} ms when failing closed`, async () => {
    // The deadline wraps only the waits on KV (the first sync of a window), not every charge.
    const t = await limitedTenant({ subject: { limit: 3, period: 60 }, failOpen: false });
    const started = Date.now();
    const res = await call(
      "/v1/presign",
      { token: await t.token(), body: GET },
      brokenRateLimitKv(() => new Promise(() => undefined)),
    );
    await expectProblem(res, 503, "unavailable");
    expect(Date.now() - started).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 100);
    expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT_MS + 1500);
  });

  it("adds no rate-limit headers and no KV traffic for tenants without a policy", async () => {
    const { id, key } = await seedTenant();
    const res = await call("/v1/presign", { token: await mintToken(key, { iss: id }), body: GET });
    expect(res.headers.get("RateLimit")).toBeNull();
    expect((await env.KV.list({ prefix: `rl:t:${id}` })).keys).toHaveLength(0);
  });
});

/**
 * The test KV, but every rate-limit key operation fails (tenant reads still work): it throws,
 * or does what `fault` does (e.g. never answers).
 */
function brokenRateLimitKv(
  fault: () => Promise<never> = async () => {
    throw new Error("KV failed (injected)");
  },
): Record<string, unknown> {
  const kv = env.KV;
  const broken = {
    get: kv.get.bind(kv),
    getWithMetadata: kv.getWithMetadata.bind(kv),
    delete: kv.delete.bind(kv),
    put: fault,
    list: fault,
  };
  return { ...bindings, KV: broken };
}

describe("KvRateLimiter across isolates", () => {
  const check = {
    name: "subject" as const,
    scope: "s:multi:alice",
    window: { limit: 5, period: 60 },
  };
  const noop = () => undefined;

  it("a new isolate reads the others' shards before admitting", async () => {
    const now = Date.UTC(2026, 10, 23, 13, 0, 0);
    const pending: Promise<unknown>[] = [];
    const a = new KvRateLimiter("isolate-a");
    for (let i = 0; i < 3; i++) {
      const [outcome] = await a.charge(
        env.KV,
        [check],
        1,
        now + i * 1000,
        (p) => pending.push(p),
        noop,
      );
      expect(outcome?.decision.allowed).toBe(true);
      await Promise.all(pending.splice(0)); // the runtime finishing the waitUntil work
    }
    const b = new KvRateLimiter("isolate-b");
    const admitted = [];
    for (let i = 0; i < 4; i++) {
      const [outcome] = await b.charge(env.KV, [check], 1, now + 3000 + i, noop, noop);
      admitted.push(outcome?.decision.allowed);
    }
    expect(admitted).toEqual([true, true, false, false]);
  });

  it("writes its shard at most once per second however many requests it counts", async () => {
    const now = Date.UTC(2026, 10, 23, 14, 0, 0);
    const counting = countingKv();
    const limiter = new KvRateLimiter("isolate-c");
    const pending: Promise<unknown>[] = [];
    const big = { ...check, scope: "s:ops:alice", window: { limit: 10_000, period: 60 } };
    for (let i = 0; i < 1000; i++) {
      await limiter.charge(counting.kv, [big], 1, now + i, (p) => pending.push(p), noop);
      await Promise.all(pending.splice(0));
    }
    // 1,000 requests within one second: 1 list to learn the window (+1 for the previous one)
    // and one background sync (1 put + 1 list) once a second has not even passed → only the first.
    expect(counting.ops.put).toBeLessThanOrEqual(1);
    expect(counting.ops.list).toBeLessThanOrEqual(3);
    const shards = await env.KV.list({ prefix: shardPrefix(big, Math.floor(now / 60_000)) });
    expect(shards.keys.length).toBeLessThanOrEqual(1);
  });
});

describe("KV operations per 1,000 requests (the cost figures of docs/rate-limits.md)", () => {
  const noop = () => undefined;
  for (const [rate, maxPuts, maxLists] of [
    [1000, 1, 3],
    [100, 10, 12],
    [10, 100, 102],
  ] as const) {
    it(`at ${rate} req/s one scope costs ≤ ${maxPuts} writes and ≤ ${maxLists} lists`, async () => {
      const start = Date.UTC(2026, 10, 23, 15, 0, 0) + rate; // a fresh scope per case
      const counting = countingKv();
      const limiter = new KvRateLimiter(`isolate-ops-${rate}`);
      const check = {
        name: "tenant" as const,
        scope: `t:ops-${rate}`,
        window: { limit: 1e6, period: 3600 },
      };
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 1000; i++) {
        await limiter.charge(
          counting.kv,
          [check],
          1,
          start + (i * 1000) / rate,
          (p) => pending.push(p),
          noop,
        );
        await Promise.all(pending.splice(0));
      }
      expect(counting.ops.put).toBeLessThanOrEqual(maxPuts);
      expect(counting.ops.list).toBeLessThanOrEqual(maxLists);
    });
  }
});

function countingKv() {
  const ops = { put: 0, list: 0 };
  const kv = {
    put: (...args: Parameters<KVNamespace["put"]>) => {
      ops.put += 1;
      return env.KV.put(...args);
    },
    list: (options: KVNamespaceListOptions) => {
      ops.list += 1;
      return env.KV.list(options);
    },
  } as unknown as KVNamespace;
  return { kv, ops };
}
