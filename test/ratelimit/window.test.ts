import { describe, expect, it } from "vitest";
import { rateLimitHeaders } from "../../src/ratelimit/headers";
import { decide, slidingEstimate, windowIndex } from "../../src/ratelimit/window";

const window = { limit: 10, period: 60 };
const at = (seconds: number) => seconds * 1000;

describe("sliding-window arithmetic", () => {
  it("weights the previous window by how much of it still overlaps", () => {
    expect(slidingEstimate(10, 0, at(600), 60)).toBe(10);
    expect(slidingEstimate(10, 2, at(630), 60)).toBe(7);
    expect(slidingEstimate(10, 2, at(659), 60)).toBeCloseTo(10 / 60 + 2);
  });

  it("numbers fixed windows by period", () => {
    expect(windowIndex(at(59.9), 60)).toBe(0);
    expect(windowIndex(at(60), 60)).toBe(1);
  });

  it("admits up to the limit and reports what remains", () => {
    expect(decide(window, 0, 9, 1, at(600))).toMatchObject({ allowed: true, remaining: 0 });
    expect(decide(window, 0, 10, 1, at(600))).toMatchObject({ allowed: false, remaining: 0 });
    expect(decide(window, 0, 3, 5, at(600))).toMatchObject({ allowed: true, remaining: 2 });
  });

  it("computes Retry-After as the wait until the cost fits", () => {
    // Current window full: wait for the next window (30 s) plus the decay of 10 to 9 (6 s).
    expect(decide(window, 0, 10, 1, at(630)).retryAfter).toBe(36);
    // Previous window full, current empty, half-way: 10 × (1 − f) ≤ 9 at f = 0.1 → already past.
    expect(decide(window, 10, 0, 1, at(600)).retryAfter).toBe(6);
    // A cost larger than the limit never fits: one period.
    expect(decide(window, 0, 0, 11, at(600))).toMatchObject({ allowed: false, retryAfter: 60 });
  });

  it("reports seconds until the window resets", () => {
    expect(decide(window, 0, 0, 1, at(615)).resetSeconds).toBe(45);
  });
});

describe("RateLimit headers", () => {
  it("uses the structured-field syntax of draft-ietf-httpapi-ratelimit-headers", () => {
    const headers = rateLimitHeaders([
      {
        name: "tenant",
        window: { limit: 100, period: 60 },
        decision: decide({ limit: 100, period: 60 }, 0, 10, 1, at(630)),
      },
      {
        name: "subject",
        window: { limit: 10, period: 60 },
        decision: decide(window, 0, 10, 1, at(630)),
      },
    ]);
    expect(headers["RateLimit-Policy"]).toBe('"tenant";q=100;w=60, "subject";q=10;w=60');
    expect(headers.RateLimit).toBe('"tenant";r=89;t=30, "subject";r=0;t=30');
    expect(headers["Retry-After"]).toBe("36");
  });
});
