import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import {
  SWEEP_INTERVAL_MS,
  type ExactCheck,
  type RateLimitCounter,
} from "../../src/ratelimit/exact";
import { windowIndex } from "../../src/ratelimit/window";
import { call, concurrentPresigns, mintToken, seedTenant, storedTenant } from "../helpers";

describe("exact mode (Durable Object per tenant)", () => {
  it("admits exactly `limit` of 500 concurrent requests: zero over-admission", async () => {
    const { id, key } = await seedTenant({
      rateLimit: { mode: "exact", tenant: { limit: 100, period: 3600 } },
    });
    const responses = await concurrentPresigns(id, key);
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

describe("the object's storage does not grow forever", () => {
  const freshObject = () =>
    env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`sweep-${crypto.randomUUID()}`));
  const storedKeys = (stub: DurableObjectStub<RateLimitCounter>) =>
    runInDurableObject(stub, (_: RateLimitCounter, state) =>
      [...state.storage.kv.list()].map(([key]) => key),
    );
  const alarmOf = (stub: DurableObjectStub<RateLimitCounter>) =>
    runInDurableObject(stub, (_: RateLimitCounter, state) => state.storage.getAlarm());
  /** When a window of `period` s written at `nowMs` ends: once it is past being "previous". */
  const endOf = (nowMs: number, period: number) => (windowIndex(nowMs, period) + 2) * period * 1000;

  it("an alarm deletes the windows that have ended and keeps the live ones", async () => {
    const stub = freshObject();
    const nowMs = Date.now();
    const minute: ExactCheck = {
      name: "subject",
      scope: "s:x:gone",
      window: { limit: 9, period: 60 },
    };
    const hour: ExactCheck = { name: "tenant", scope: "t:x", window: { limit: 9, period: 3600 } };
    await stub.charge([minute, hour], 1, nowMs);
    // Writing a window schedules a sweep for when the first one ends (a minute at the soonest).
    const firstEnd = Math.max(endOf(nowMs, 60), nowMs + SWEEP_INTERVAL_MS);
    expect(await alarmOf(stub)).toBe(firstEnd);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(firstEnd);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedKeys(stub)).toEqual(["t:x:3600"]);
    expect(await alarmOf(stub)).toBe(endOf(nowMs, 3600));

    vi.setSystemTime(endOf(nowMs, 3600));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedKeys(stub)).toEqual([]);
    expect(await alarmOf(stub)).toBeNull();
  });

  it("a live window written after the sweep was scheduled brings it forward", async () => {
    const stub = freshObject();
    const nowMs = Date.now();
    const day: ExactCheck = { name: "tenant", scope: "t:y", window: { limit: 9, period: 86_400 } };
    const minute: ExactCheck = {
      name: "subject",
      scope: "s:y:a",
      window: { limit: 9, period: 60 },
    };
    await stub.charge([day], 1, nowMs);
    expect(await alarmOf(stub)).toBe(endOf(nowMs, 86_400));
    await stub.charge([minute], 1, nowMs);
    expect(await alarmOf(stub)).toBe(Math.max(endOf(nowMs, 60), nowMs + SWEEP_INTERVAL_MS));
  });

  it("a link's use count is kept until the link expires, then the object is emptied", async () => {
    const stub = freshObject();
    const nowMs = Date.now();
    const expiresAtMs = nowMs + 3 * SWEEP_INTERVAL_MS;
    expect(await stub.consume("uses", 5, expiresAtMs)).toEqual({ granted: true, used: 1 });
    expect(await alarmOf(stub)).toBe(expiresAtMs);

    // An early sweep (the alarm of some other entry, or a retry) keeps the live count.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(nowMs + SWEEP_INTERVAL_MS);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.usesOf("uses")).toBe(1);
    expect(await alarmOf(stub)).toBe(expiresAtMs);

    vi.setSystemTime(expiresAtMs);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedKeys(stub)).toEqual([]);
    expect(await alarmOf(stub)).toBeNull();
  });
});
