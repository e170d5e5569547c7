/**
 * The tenant object's alarm sweeps usage buckets after 90 days and quota windows once they end,
 * alongside the rate-limit windows it already sweeps (test/ratelimit/exact.test.ts).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SWEEP_INTERVAL_MS, type RateLimitCounter } from "../../src/ratelimit/exact";
import { HOUR_MS, hourOf, RETENTION_MS } from "../../src/usage/metrics";

afterEach(() => vi.useRealTimers());

const freshObject = () =>
  env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`usage-sweep-${crypto.randomUUID()}`));
const alarmOf = (stub: DurableObjectStub<RateLimitCounter>) =>
  runInDurableObject(stub, (_: RateLimitCounter, state) => state.storage.getAlarm());
const hoursStored = (stub: DurableObjectStub<RateLimitCounter>) =>
  runInDurableObject(stub, (_: RateLimitCounter, state) =>
    state.storage.sql
      .exec<{ hour: number }>("SELECT DISTINCT hour FROM usage ORDER BY hour")
      .toArray()
      .map((row) => row.hour),
  );
const quotaWindowsStored = (stub: DurableObjectStub<RateLimitCounter>) =>
  runInDurableObject(stub, (_: RateLimitCounter, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM quota_usage ORDER BY name")
      .toArray()
      .map((row) => row.name),
  );

describe("usage buckets and quota windows do not stay forever", () => {
  it("deletes hourly buckets 90 days after their hour, keeping the younger ones", async () => {
    const stub = freshObject();
    const now = Date.now();
    const old = hourOf(now) - 10;
    await stub.recordUsage([
      { hour: old, subject: "", metric: "urls.get", count: 3 },
      { hour: hourOf(now), subject: "", metric: "urls.get", count: 1 },
    ]);
    const oldEnds = (old + 1) * HOUR_MS + RETENTION_MS;
    expect(await alarmOf(stub)).toBe(oldEnds);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(oldEnds);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await hoursStored(stub)).toEqual([hourOf(now)]);
    expect(await alarmOf(stub)).toBe((hourOf(now) + 1) * HOUR_MS + RETENTION_MS);

    vi.setSystemTime((hourOf(now) + 1) * HOUR_MS + RETENTION_MS);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alarmOf(stub)).toBeNull();
    // Emptied entirely, the object still counts: its tables come back with the next batch.
    await stub.recordUsage([{ hour: hourOf(now), subject: "", metric: "urls.put", count: 1 }]);
    const buckets = await stub.usage({
      fromMs: now - HOUR_MS,
      toMs: now + HOUR_MS,
      hours: 1,
      subject: "",
    });
    expect(buckets.map((bucket) => bucket.counts)).toEqual([{ "urls.put": 1 }]);
  });

  it("deletes a quota window once it has ended, and sweeps rate-limit windows as before", async () => {
    const stub = freshObject();
    const now = Date.now();
    const dayEnd = (Math.floor(now / 86_400_000) + 1) * 86_400_000;
    const decision = await stub.reserveQuota({ urlsPerDay: 5 }, { urls: 1, bytes: 0 }, now);
    expect(decision.admitted).toBe(true);
    await stub.charge([{ name: "tenant", scope: "t:z", window: { limit: 9, period: 60 } }], 1, now);
    // The minute window ends first: the alarm is set for it, not for the day.
    const minuteEnd = Math.max((Math.floor(now / 60_000) + 2) * 60_000, now + SWEEP_INTERVAL_MS);
    expect(await alarmOf(stub)).toBe(minuteEnd);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(minuteEnd);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await quotaWindowsStored(stub)).toEqual([`urls:day:${Math.floor(now / 86_400_000)}`]);
    const remaining = await runInDurableObject(stub, (_: RateLimitCounter, state) => [
      ...state.storage.kv.list(),
    ]);
    expect(remaining).toEqual([]);
    expect(await alarmOf(stub)).toBe(Math.max(dayEnd, minuteEnd + SWEEP_INTERVAL_MS));

    vi.setSystemTime(Math.max(dayEnd, minuteEnd + SWEEP_INTERVAL_MS));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alarmOf(stub)).toBeNull();
  });
});
