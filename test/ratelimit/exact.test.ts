import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RateLimitCounter } from "../../src/ratelimit/exact";
import { call, mintToken, seedTenant, storedTenant } from "../helpers";

describe("exact mode (Durable Object per tenant)", () => {
  it("admits exactly `limit` of 500 concurrent requests: zero over-admission", async () => {
    const { id, key } = await seedTenant({
      rateLimit: { mode: "exact", tenant: { limit: 100, period: 3600 } },
    });
    const tokens = await Promise.all(
      Array.from({ length: 5 }, (_, i) => mintToken(key, { iss: id, sub: `user${i}` })),
    );
    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        call("/v1/presign", {
          token: tokens[i % 5] as string,
          body: { method: "GET", key: `k${i}` },
        }),
      ),
    );
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(400);
    // The count lives in the tenant's Durable Object, not in KV.
    expect((await env.KV.list({ prefix: `rl:t:${id}` })).keys).toHaveLength(0);
    const { generation } = await storedTenant(id);
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${id}:${generation}`));
    const stored = await runInDurableObject(stub, (_: RateLimitCounter, state) =>
      state.storage.kv.get<{ current: number }>(`t:${id}:3600`),
    );
    expect(stored?.current).toBe(100);
  });

  it("keeps subject counters in the same object, checked together with the tenant's", async () => {
    const { id, key } = await seedTenant({
      rateLimit: {
        mode: "exact",
        tenant: { limit: 10, period: 3600 },
        subject: { limit: 2, period: 3600 },
      },
    });
    const alice = await mintToken(key, { iss: id, sub: "alice" });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await call("/v1/presign", { token: alice, body: { method: "GET", key: "a" } })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 429]);
    const bob = await mintToken(key, { iss: id, sub: "bob" });
    const res = await call("/v1/presign", { token: bob, body: { method: "GET", key: "a" } });
    expect(res.status).toBe(200);
    // Alice's refused request was not counted against the tenant: 3 of 10 used.
    expect(res.headers.get("RateLimit")).toMatch(/^"tenant";r=7;/);
  });
});
