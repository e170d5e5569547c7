/**
 * Body fuzzing on every route the app serves: random and malformed JSON, wrong types, huge
 * numbers, deep nesting, prototype-pollution keys, oversized bodies and wrong content types.
 * Invariant: never a 5xx, errors are problem+json, and no stack trace is ever sent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { app } from "../../src/cold";
import { FakeS3 } from "../fake-s3";
import { call, mintToken, seedTenant } from "../helpers";

interface Target {
  method: string;
  path: string;
  auth: "client" | "admin" | "none";
}

async function targets(): Promise<{ list: Target[]; token: string }> {
  const { id, key } = await seedTenant();
  const token = await mintToken(key, { iss: id, lifetime: 900 });
  const list = app.routes
    .filter((route) => route.method !== "ALL")
    .map((route) => ({
      method: route.method,
      path: route.path.replace(":id", id).replace(":code", "AAAAAAAAAAAAAAAAAAAAAA"),
      auth: route.path.startsWith("/v1/")
        ? "client"
        : route.path.startsWith("/admin/")
          ? "admin"
          : "none",
    })) as Target[];
  return { list, token };
}

async function send(target: Target, token: string, body: string, contentType = "application/json") {
  const withBody = target.method !== "GET" && target.method !== "HEAD";
  return call(target.path, {
    method: target.method,
    ...(target.auth === "client" ? { token } : target.auth === "admin" ? { admin: true } : {}),
    ...(withBody ? { rawBody: body, headers: { "Content-Type": contentType } } : {}),
  });
}

async function expectSafe(res: Response, what: string) {
  const text = await res.text();
  expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get("content-type"), what).toBe("application/problem+json");
    const problem = JSON.parse(text) as Record<string, unknown>;
    expect(problem.status).toBe(res.status);
  }
  expect(text, what).not.toMatch(/\n\s+at |Error:|TypeError|stack/);
}

const hostileJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '{"__proto__":{"admin":true},"method":"GET","key":"a"}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '{"method":"GET","key":"a","expiresIn":1e309}',
    '{"method":"GET","key":"a","expiresIn":-0}',
    '{"method":"GET","key":"a","expiresIn":123456789012345678901234567890}',
    '{"requests":' + "[".repeat(5000) + "]".repeat(5000) + "}",
    "[".repeat(20_000) + "]".repeat(20_000),
    '{"key":"a","key":"b"}',
    "\u0000",
    "",
    "null",
    '{"method":"PUT","key":"a","contentLength":9007199254740993}',
    '{"method":"GET","key":{"toString":"x"}}',
    '{"id":"acme","auth":null}',
    '{"requests":[null,1,"x",{"__proto__":null}]}',
  ),
);

describe("every route, hostile bodies", () => {
  it("never answers 5xx or leaks a stack trace (fast-check, 40 bodies per route)", async () => {
    new FakeS3().install(); // a healthy S3 for the routes that call it: any 5xx is ours
    const { list, token } = await targets();
    expect(list.length).toBeGreaterThanOrEqual(8);
    for (const target of list) {
      await fc.assert(
        fc.asyncProperty(hostileJson, async (body) => {
          await expectSafe(await send(target, token, body), `${target.method} ${target.path}`);
        }),
        { numRuns: 40 },
      );
    }
  });

  it("refuses 64 KiB + 1 bodies with 413 and non-JSON content types with 415 on every body route", async () => {
    const { list, token } = await targets();
    for (const target of list.filter((t) => t.method === "POST" || t.method === "PUT")) {
      const big = await send(target, token, `"${"x".repeat(64 * 1024 - 1)}"`);
      expect(big.status, `${target.method} ${target.path}`).toBe(413);
      await expectSafe(big, target.path);
      for (const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
      ]) {
        const res = await send(target, token, '{"key":"a"}', type);
        expect(res.status, `${target.path} with ${type}`).toBe(415);
      }
    }
  });

  it("leaves Object.prototype untouched", () => {
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("admin");
  });
});
