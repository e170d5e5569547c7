import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app as fullApp } from "../../src/cold";
import app from "../../src/index";
import { EVENT_TYPES } from "../../src/events/types";
import { apiDocument } from "../../src/openapi/api";
import { FakeS3 } from "../fake-s3";
import { call, expectProblem, mintToken, seedTenant } from "../helpers";

async function token() {
  const { id, key } = await seedTenant();
  return mintToken(key, { iss: id });
}

describe("request bodies", () => {
  it("refuses bodies over 64 KiB with 413 before authenticating", async () => {
    const res = await call("/v1/presign", {
      rawBody: JSON.stringify({ method: "GET", key: "a", pad: "x".repeat(64 * 1024) }),
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(res, 413, "payload_too_large");
  });

  it("refuses non-JSON content types with 415", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", ""]) {
      const res = await call("/v1/presign", {
        token: await token(),
        rawBody: "method=GET&key=a",
        headers: contentType ? { "Content-Type": contentType } : {},
      });
      await expectProblem(res, 415, "unsupported_media_type");
    }
  });

  // Requests from the network declare their length (or are chunked); `call` builds requests
  // without either header, so these cases set them as a client would.
  it("checks a body with a declared Content-Length as any other: 413, 415, and through", async () => {
    const t = await token();
    const send = (body: string, headers: Record<string, string>) =>
      call("/v1/presign", {
        token: t,
        rawBody: body,
        headers: { "Content-Length": String(new TextEncoder().encode(body).length), ...headers },
      });
    const big = JSON.stringify({ method: "GET", key: "a", pad: "x".repeat(64 * 1024) });
    await expectProblem(
      await send(big, { "Content-Type": "application/json" }),
      413,
      "payload_too_large",
    );
    // A declared length may also be a lie; what is declared over the limit is refused unread.
    await expectProblem(
      await send("{}", { "Content-Type": "application/json", "Content-Length": "65537" }),
      413,
      "payload_too_large",
    );
    for (const contentType of ["text/plain", "application/jsonx", ""]) {
      const res = await send('{"method":"GET","key":"a"}', { "Content-Type": contentType });
      await expectProblem(res, 415, "unsupported_media_type");
    }
    const ok = await send('{"method":"GET","key":"a"}', { "Content-Type": "application/json" });
    expect(ok.status).toBe(200);
  });

  it("measures a chunked body whatever length it declares", async () => {
    const big = JSON.stringify({ method: "GET", key: "a", pad: "x".repeat(64 * 1024) });
    const res = await call("/v1/presign", {
      token: await token(),
      rawBody: big,
      headers: {
        "Content-Type": "application/json",
        "Content-Length": "2",
        "Transfer-Encoding": "chunked",
      },
    });
    await expectProblem(res, 413, "payload_too_large");
  });

  it("refuses malformed JSON with 400", async () => {
    const res = await call("/v1/presign", {
      token: await token(),
      rawBody: '{"method": "GET", "key": ',
      headers: { "Content-Type": "application/json" },
    });
    const problem = await expectProblem(res, 400, "invalid_request");
    expect(problem.detail).toMatch(/JSON/);
  });

  it("names the offending field of a wrong body", async () => {
    const t = await token();
    const cases: [unknown, string][] = [
      [{ key: "a" }, "method"],
      [{ method: "GET" }, "key"],
      [{ method: "GET", key: 7 }, "key"],
      [{ method: "GET", key: "a", expiresIn: "60" }, "expiresIn"],
      [{ method: "GET", key: "a", extra: true }, "extra"],
      [{ method: "PUT", key: "a", metadata: { "Bad Name": "x" } }, "metadata.Bad Name"],
      [[1, 2], "body"],
      [null, "body"],
    ];
    for (const [body, field] of cases) {
      const res = await call("/v1/presign", {
        token: t,
        rawBody: JSON.stringify(body),
        headers: { "Content-Type": "application/json" },
      });
      const problem = await expectProblem(res, 400, "invalid_request");
      expect(problem.field).toBe(field);
    }
  });

  it("treats __proto__ and constructor keys as unknown fields, not as prototypes", async () => {
    const res = await call("/v1/presign", {
      token: await token(),
      rawBody: '{"method":"GET","key":"a","__proto__":{"admin":true}}',
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(res, 400, "invalid_request");
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe("CORS", () => {
  const corsEnv = {
    ...(env as unknown as Record<string, unknown>),
    CORS_ORIGINS: "https://app.example, https://b.example",
  };

  it("answers preflight for an allowed origin and exposes the request id", async () => {
    const res = await app.fetch(
      new Request("https://gateway.test/v1/presign", {
        method: "OPTIONS",
        headers: {
          Origin: "https://app.example",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization, content-type",
        },
      }),
      corsEnv,
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    expect(res.headers.get("Access-Control-Allow-Headers")).toMatch(/Authorization/);
  });

  it("sends no CORS headers to an origin that is not configured", async () => {
    const res = await app.fetch(
      new Request("https://gateway.test/v1/presign", {
        method: "OPTIONS",
        headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
      }),
      corsEnv,
    );
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("adds CORS headers to actual responses, errors included", async () => {
    const res = await app.fetch(
      new Request("https://gateway.test/v1/presign", {
        method: "POST",
        headers: { Origin: "https://b.example", "Content-Type": "application/json" },
        body: "{}",
      }),
      corsEnv,
    );
    expect(res.status).toBe(401);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://b.example");
    expect(res.headers.get("Access-Control-Expose-Headers")).toMatch(/X-Request-Id/);
    expect(res.headers.get("Vary")).toMatch(/Origin/);
  });

  it("answers a request without Origin with Vary: Origin and no CORS headers", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    for (const [headers, status] of [
      [{}, 401],
      [{ Authorization: `Bearer ${token}` }, 200],
    ] as const) {
      const res = await app.fetch(
        new Request("https://gateway.test/v1/presign", {
          method: "POST",
          headers: { ...headers, "Content-Type": "application/json" },
          body: JSON.stringify({ method: "GET", key: "a.txt" }),
        }),
        corsEnv,
      );
      expect(res.status).toBe(status);
      expect(res.headers.get("Vary")).toBe("Origin");
      expect([...res.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual(
        [],
      );
      expect(res.headers.get("X-Request-Id")).not.toBeNull();
    }
  });
});

describe("errors", () => {
  it("are problem+json with type, title, status, detail, code and requestId", async () => {
    const res = await call("/v1/presign", { body: { method: "GET", key: "a" } });
    const problem = await expectProblem(res, 401, "invalid_token");
    expect(problem).toMatchObject({
      type: "urn:edgesign:problem:invalid_token",
      title: "Invalid token",
      status: 401,
      requestId: res.headers.get("X-Request-Id"),
    });
    expect(typeof problem.detail).toBe("string");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("GET /openapi.json", () => {
  it("serves the document the routes' configs and schemas make now (rebuilt by npm run build)", async () => {
    const served = await (await call("/openapi.json")).json();
    expect(served).toEqual(JSON.parse(JSON.stringify(apiDocument())));
  });

  it("answers 503, not a stale or empty document, when the build has not made one", async () => {
    const missing = { fetch: async () => new Response("not found", { status: 404 }) };
    const res = await call(
      "/openapi.json",
      {},
      { ...(env as unknown as Record<string, unknown>), ASSETS: missing },
    );
    await expectProblem(res, 503, "unavailable");
  });

  it("documents every route the app serves as OpenAPI 3.1", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map(
        (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`,
      ),
    );
    const served = fullApp.routes
      .filter((route) => route.method !== "ALL" && route.path !== "/openapi.json")
      .map((route) => `${route.method} ${route.path}`);
    expect(new Set(documented)).toEqual(new Set(served));
  });

  it("documents the webhook payload (component WebhookEvent), one variant per event type", async () => {
    // No route refers to it: the document's generator imports its schema (src/openapi/api.ts).
    const doc = (await (await call("/openapi.json")).json()) as {
      components: {
        schemas: Record<string, { oneOf?: { properties: { type: { const: string } } }[] }>;
      };
    };
    const variants = doc.components.schemas.WebhookEvent?.oneOf ?? [];
    expect(variants.map((variant) => variant.properties.type.const)).toEqual([...EVENT_TYPES]);
  });
});

describe("X-Request-Id", () => {
  it("is on every kind of response: success, problem, preflight, 413, 404", async () => {
    const corsEnv = { ...(env as unknown as Record<string, unknown>), CORS_ORIGINS: "*" };
    const responses = [
      await call("/healthz"),
      await call("/openapi.json"),
      await call("/nope"),
      await call("/v1/presign", { body: { method: "GET", key: "a" } }),
      await call("/v1/presign", {
        rawBody: "x".repeat(70_000),
        headers: { "Content-Type": "application/json" },
      }),
      await app.fetch(
        new Request("https://gateway.test/v1/presign", {
          method: "OPTIONS",
          headers: { Origin: "https://a.example", "Access-Control-Request-Method": "POST" },
        }),
        corsEnv,
      ),
    ];
    for (const res of responses)
      expect(res.headers.get("X-Request-Id"), String(res.status)).toMatch(/^[\w-]+$/);
  });
});

describe("OpenAPI examples", () => {
  it("every request example in the document validates and is accepted by its route", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>
      >;
      components: { schemas: Record<string, { example?: unknown }> };
    };
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    new FakeS3().install(); // the multipart route asks S3
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const ref = operation.requestBody?.content["application/json"]?.schema.$ref;
        const name = ref?.split("/").pop();
        const example = name === undefined ? undefined : doc.components.schemas[name]?.example;
        if (example === undefined || !path.startsWith("/v1/")) continue;
        const res = await call(path, { method: method.toUpperCase(), token, body: example });
        expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });
});
