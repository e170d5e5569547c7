import { describe, expect, it } from "vitest";
import pkg from "../package.json";
import { VERSION } from "../src/version";
import { call, expectProblem } from "./helpers";

describe("GET /healthz", () => {
  it("answers ok with the package version and a request id, without auth", async () => {
    const res = await call("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, version: pkg.version });
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps VERSION equal to package.json's version", () => {
    expect(VERSION).toBe(pkg.version);
  });

  it("echoes a well-formed incoming X-Request-Id", async () => {
    const res = await call("/healthz", { headers: { "X-Request-Id": "req-123_abc" } });
    expect(res.headers.get("X-Request-Id")).toBe("req-123_abc");
  });
});

describe("unknown routes", () => {
  it("answer 404 problem+json carrying the request id", async () => {
    const res = await call("/nope");
    const problem = await expectProblem(res, 404, "not_found");
    expect(problem.requestId).toBe(res.headers.get("X-Request-Id"));
  });
});
