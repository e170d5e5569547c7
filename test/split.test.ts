/**
 * The Worker's split (src/split.ts, src/hot.ts): the hot path is answered without loading the
 * full gateway, everything else loads it once per isolate and gets the full app's answer, and
 * the hot app answers its requests exactly as the full app does.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { EVENTS_QUEUE } from "../src/events/deliver";
import { isHot } from "../src/hot";
import { splitWorker } from "../src/split";
import { mintToken, seedTenant } from "./helpers";

const bindings = env as unknown as Record<string, unknown>;
const corsBindings = { ...bindings, CORS_ORIGINS: "*" };

/** A split Worker whose loader of the full gateway counts its calls. */
function countingWorker() {
  const loads = { count: 0 };
  const worker = splitWorker(() => {
    loads.count += 1;
    return import("../src/cold");
  });
  return { worker, loads };
}

function request(method: string, path: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  headers.set("X-Request-Id", "split-test");
  return new Request(`https://gateway.test${path}`, { ...init, method, headers });
}

async function send(
  worker: ReturnType<typeof splitWorker>,
  req: Request,
  given = bindings,
): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(req, given, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Status, headers and body: what a client sees. */
async function seen(res: Response) {
  return { status: res.status, headers: [...res.headers], body: await res.text() };
}

const preflight = (path: string) =>
  request("OPTIONS", path, {
    headers: {
      Origin: "https://app.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "authorization, content-type",
    },
  });

describe("the hot path", () => {
  it("is answered without loading the full gateway: /healthz, presign, batch, their preflights", async () => {
    const { worker, loads } = countingWorker();
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    const json = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    expect((await send(worker, request("GET", "/healthz"))).status).toBe(200);
    expect((await send(worker, request("HEAD", "/healthz"))).status).toBe(200);
    const one = JSON.stringify({ method: "GET", key: "a.txt" });
    expect(
      (await send(worker, request("POST", "/v1/presign", { headers: json, body: one }))).status,
    ).toBe(200);
    const batch = JSON.stringify({ requests: [{ method: "GET", key: "a.txt" }] });
    expect(
      (await send(worker, request("POST", "/v1/presign/batch", { headers: json, body: batch })))
        .status,
    ).toBe(200);
    expect((await send(worker, preflight("/v1/presign"), corsBindings)).status).toBe(204);
    expect((await send(worker, preflight("/v1/presign/batch"), corsBindings)).status).toBe(204);
    expect(loads.count).toBe(0);
  });

  it("is exactly the hot routers' routes: every other route of the full app goes to it", async () => {
    const { app } = await import("../src/cold");
    // A route with validators is one entry per handler: each route once.
    const routes = new Set(
      app.routes
        .filter((route) => route.method !== "ALL")
        .map((route) => `${route.method} ${route.path}`),
    );
    const hot = [...routes].filter((route) => {
      const [method, path] = route.split(" ") as [string, string];
      return isHot(new Request(`https://gateway.test${path}`, { method }));
    });
    expect(routes.size).toBeGreaterThan(20);
    expect(hot).toEqual(["GET /healthz", "POST /v1/presign", "POST /v1/presign/batch"]);
    for (const path of ["/healthz/", "/v1/presign/", "/v1/presign/batch/x", "/v1/presignx"]) {
      expect(isHot(new Request(`https://gateway.test${path}`, { method: "POST" }))).toBe(false);
    }
    expect(isHot(new Request("https://gateway.test/v1/presign", { method: "GET" }))).toBe(false);
  });

  it("answers as the full app does, problems and preflights included", async () => {
    const { worker, loads } = countingWorker();
    const { app } = await import("../src/cold");
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    const cases: [Request, Record<string, unknown>][] = [
      [request("GET", "/healthz"), bindings],
      [request("HEAD", "/healthz"), bindings],
      [request("OPTIONS", "/healthz"), bindings],
      [request("POST", "/v1/presign", { headers: auth, body: "{" }), bindings],
      [request("POST", "/v1/presign", { headers: auth, body: '{"method":"GET"}' }), bindings],
      [request("POST", "/v1/presign", { body: '{"method":"GET","key":"a"}' }), bindings],
      [request("POST", "/v1/presign/batch", { headers: auth, body: '{"requests":[]}' }), bindings],
      [
        request("POST", "/v1/presign", { headers: { "Content-Type": "text/plain" }, body: "x" }),
        bindings,
      ],
      [request("OPTIONS", "/v1/presign"), bindings],
      [preflight("/v1/presign"), corsBindings],
      [preflight("/v1/presign/batch"), bindings],
    ];
    for (const [req, given] of cases) {
      const split = await seen(await send(worker, req.clone(), given));
      const full = await seen(await app.fetch(req, given, createExecutionContext()));
      expect(split, `${req.method} ${new URL(req.url).pathname}`).toEqual(full);
    }
    expect(loads.count).toBe(0);
  });
});

describe("off the hot path", () => {
  it("loads the full gateway on first use, once, and answers from it", async () => {
    const { worker, loads } = countingWorker();
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    const link = await send(
      worker,
      request("POST", "/v1/links", {
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ key: "a.txt", ttl: 3600 }),
      }),
    );
    expect(link.status).toBe(201);
    expect(loads.count).toBe(1);
    const { code } = (await link.json()) as { code: string };
    const visits = await Promise.all([
      send(worker, request("GET", `/l/${code}`)),
      send(worker, request("HEAD", `/l/${code}`)),
    ]);
    expect(visits.map((res) => res.status)).toEqual([302, 302]);
    expect((await send(worker, request("GET", "/healthz"))).status).toBe(200);
    expect(loads.count).toBe(1);
  });

  it("loads it once for concurrent first requests", async () => {
    const { worker, loads } = countingWorker();
    const answers = await Promise.all(
      ["/nope", "/v1/links/AAAAAAAAAAAAAAAAAAAAAA", "/admin/tenants"].map((path) =>
        send(worker, request("GET", path)),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual([404, 401, 401]);
    expect(loads.count).toBe(1);
  });

  it("gives an unknown path the full app's 404 problem", async () => {
    const { worker, loads } = countingWorker();
    const { app } = await import("../src/cold");
    for (const [method, path] of [
      ["GET", "/nope"],
      ["GET", "/v1/presign"],
      ["POST", "/healthz"],
      ["GET", "/healthz/"],
    ] as const) {
      const res = await send(worker, request(method, path));
      expect(res.headers.get("Content-Type")).toBe("application/problem+json");
      const full = await seen(
        await app.fetch(request(method, path), bindings, createExecutionContext()),
      );
      expect(await seen(res)).toEqual(full);
    }
    expect(loads.count).toBe(1);
  });

  it("answers a preflight of a cold path from the full app", async () => {
    const { worker, loads } = countingWorker();
    const res = await send(worker, preflight("/v1/uploads/post"), corsBindings);
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    expect(loads.count).toBe(1);
  });

  it("hands queue batches to the full gateway's consumer", async () => {
    const { worker, loads } = countingWorker();
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const batch = createMessageBatch(EVENTS_QUEUE, [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { hello: "world" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m1"]);
    expect(loads.count).toBe(1);
  });
});
