/**
 * Gateway middleware: body guard (413/415), client auth, admin auth, and the one error mapper.
 * Each factory returns a named async function, as Hono's own middleware do.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { BaseIssue } from "valibot";
import { authenticate, type Principal } from "./auth/verify";
import { corsOrigins, type Env } from "./env";
import { GatewayError, PROBLEMS, type ProblemCode } from "./errors";
import { logError, setLogLevel } from "./log";
import { meterUsage, type MeterInput } from "./usage/meter";
import type { EmitInput } from "./events/emit";
import type { Tenant } from "./tenants/store";

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; principal: Principal; now: Date };
}

/** A client's `X-Request-Id` is echoed when it is short and plain; otherwise a UUID is issued. */
const CLIENT_REQUEST_ID = /^[\w=-]{1,255}$/;

/**
 * Per-request context, first in the chain: the request id (`c.var.requestId` and the
 * `X-Request-Id` response header, docs/api.md) and the `LOG_LEVEL` var. Hono's `requestId()` plus
 * a second middleware did the same in two layers; one is measurably cheaper on the hot path.
 * @example app.use("*", requestContext())
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const given = c.req.header("x-request-id");
    const id = given !== undefined && CLIENT_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    setLogLevel(c.env.LOG_LEVEL);
    await next();
  };
}

/**
 * CORS for the client endpoints (`CORS_ORIGINS`). Only requests that carry an `Origin` header
 * (every cross-origin browser request and preflight does) go through Hono's `cors()`; the rest
 * get just `Vary: Origin`. Hono's `cors()` writes `Access-Control-Expose-Headers` before the
 * handler runs, which makes Hono build a placeholder response and copy headers into the real
 * one, and appends `Vary` after, which copies the response again: that cost is only paid when
 * a browser is on the other end.
 * @example app.use("/v1/*", clientCors())
 */
export function clientCors(): MiddlewareHandler<AppEnv> {
  const browserCors = cors({
    origin: (origin, c) => {
      const allowed = corsOrigins(c.env);
      return allowed.includes("*") || allowed.includes(origin) ? origin : null;
    },
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "Retry-After", "RateLimit", "RateLimit-Policy"],
    maxAge: 600,
  });
  return async function clientCors(c, next) {
    if (c.req.header("origin") !== undefined) return browserCors(c, next);
    // What Hono's cors() adds to a request without Origin, minus the headers browsers ignore.
    c.header("Vary", "Origin");
    await next();
  };
}

/** docs/api.md, "Conventions": bodies over 64 KiB → 413. */
export const MAX_BODY_BYTES = 64 * 1024;

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i;

/**
 * Requests that carry a body must be JSON (415) of at most 64 KiB (413), checked before any parsing.
 * @example app.use("/v1/*", jsonBody())
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new GatewayError("payload_too_large", `bodies are limited to ${MAX_BODY_BYTES} bytes`);
    },
  });
  return function jsonBody(c, next) {
    const headers = c.req.raw.headers;
    const length = headers.get("content-length");
    // A request without a body (GET, DELETE, POST /admin/tenants/:id/revoke) has nothing to
    // check; clients send DELETE and empty POSTs with `Content-Length: 0`.
    if (length === "0") return next();
    // The usual JSON request passes on its headers alone, as `bodyLimit` would pass it (a
    // declared length, no chunked encoding), without touching `body`: reading that getter
    // costs the request ~2 µs in workerd (docs/performance.md), and a request without a body
    // would pass here too.
    if (
      length !== null &&
      !headers.has("transfer-encoding") &&
      JSON_MEDIA_TYPE.test(headers.get("content-type") ?? "") &&
      !(parseInt(length, 10) > MAX_BODY_BYTES)
    ) {
      return next();
    }
    if (c.req.raw.body === null) return next();
    if (!JSON_MEDIA_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new GatewayError("unsupported_media_type", "send 'Content-Type: application/json'");
    }
    return limit(c, next);
  };
}

/**
 * Verifies the bearer JWT and stores the caller in `c.var.principal`.
 * @example app.use("/v1/*", clientAuth())
 */
export function clientAuth(): MiddlewareHandler<AppEnv> {
  return async function clientAuth(c, next) {
    const now = new Date();
    c.set("now", now);
    c.set("principal", await authenticate(c.env, c.req.header("authorization"), now));
    await next();
  };
}

/**
 * Guards the admin API with the ADMIN_TOKEN secret, compared in constant time (equal-length
 * SHA-256 digests through `crypto.subtle.timingSafeEqual`). No secret → the API does not exist.
 * Paths matching `except` pass unguarded: the operator page's static files, which hold no secret
 * and check ADMIN_TOKEN themselves (src/routes/admin-ui.ts).
 * @example app.use("/admin/*", adminAuth({ except: /^\/admin\/ui(\/|$)/ }))
 */
export function adminAuth(options: { except?: RegExp } = {}): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    if (options.except?.test(c.req.path)) return next();
    const expected = c.env.ADMIN_TOKEN;
    if (expected === undefined || expected === "") {
      throw new GatewayError("not_found", "no such route");
    }
    const match = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
    if (match === null || match[1] === undefined || !(await sameSecret(match[1], expected))) {
      throw new GatewayError("unauthorized", "a valid admin token is required", {
        headers: { "WWW-Authenticate": 'Bearer realm="edgesign-admin"' },
      });
    }
    await next();
  };
}

async function sameSecret(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** A failed validation as a 400 naming the first offending field (`a.b.0.c`). */
export function validationError(issues: readonly BaseIssue<unknown>[], prefix = ""): GatewayError {
  const issue = issues[0];
  if (issue === undefined) return new GatewayError("invalid_request", "invalid request body");
  const path = (issue.path ?? []).map((item) => String(item.key));
  const field = prefix + path.join(".");
  const detail = field === "" ? issue.message : `${field}: ${issue.message}`;
  return new GatewayError("invalid_request", detail, { field: field === "" ? "body" : field });
}

/** `app.onError`: every error becomes problem+json; unexpected ones are logged and a 500. */
export function problemResponse(error: Error, c: Context<AppEnv>): Response {
  const gatewayError = asGatewayError(error);
  if (gatewayError.status >= 500) {
    logError("request_failed", {
      requestId: c.get("requestId"),
      code: gatewayError.code,
      error: error instanceof GatewayError ? error.message : `${error.name}: ${error.message}`,
      cause: error.cause === undefined ? undefined : String(error.cause),
    });
  }
  countRefusal(c, gatewayError);
  return problemOf(c, gatewayError);
}

/** Refusals count as usage (`refusals.<code>`) when the caller's tenant is known. */
function countRefusal(c: Context<AppEnv>, error: GatewayError): void {
  const principal = c.get("principal") as Principal | undefined;
  if (principal === undefined) return;
  void meterUsage(meterInputOf(c, principal), { [`refusals.${error.code}`]: 1 });
}

/** What usage metering needs of an authenticated request (src/usage/meter.ts). */
export function meterInputOf(c: Context<AppEnv>, principal: Principal): MeterInput {
  return {
    env: c.env,
    tenant: principal.tenant,
    sub: principal.sub,
    nowMs: c.get("now").getTime(),
    waitUntil: waitUntilOf(c),
    requestId: c.get("requestId"),
  };
}

/**
 * What `emit` needs of a request that makes an event for `tenant` at `now` (src/events/emit.ts);
 * on client routes `now` is the caller's (`c.var.now`, set by clientAuth).
 */
export function emitInputOf(
  c: Context<AppEnv>,
  tenant: Tenant,
  sub: string | undefined,
  now: Date,
): EmitInput {
  return {
    env: c.env,
    tenant,
    sub,
    gatewayHost: new URL(c.req.url).host,
    now,
    requestId: c.get("requestId"),
    waitUntil: waitUntilOf(c),
  };
}

/** `ctx.waitUntil`, or a fire-and-forget fallback where no execution context exists. */
export function waitUntilOf(c: Context<AppEnv>): (promise: Promise<unknown>) => void {
  try {
    const ctx = c.executionCtx;
    return (promise) => ctx.waitUntil(promise);
  } catch {
    return (promise) => void promise.catch(() => undefined);
  }
}

export function problemOf(c: Context<AppEnv>, error: GatewayError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  c.header("Content-Type", "application/problem+json");
  c.header("Cache-Control", "no-store");
  return c.body(JSON.stringify(error.toProblem(c.get("requestId") ?? "")), error.status as 400);
}

function asGatewayError(error: Error): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof HTTPException) {
    // Hono's validator throws these for unparsable JSON bodies.
    const code = codeForStatus(error.status);
    const detail = error.status === 400 ? `malformed JSON body: ${error.message}` : error.message;
    return new GatewayError(code, detail, { field: "body" });
  }
  return new GatewayError("internal", "an unexpected error occurred", { cause: error });
}

function codeForStatus(status: number): ProblemCode {
  const entry = Object.entries(PROBLEMS).find(([, problem]) => problem.status === status);
  return entry === undefined ? "internal" : (entry[0] as ProblemCode);
}
