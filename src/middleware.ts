/**
 * Gateway middleware: body guard (413/415), client auth, admin auth, and the one error mapper.
 * Each factory returns a named async function, as Hono's own middleware do.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { authenticate, type Principal } from "./auth/verify";
import type { Env } from "./env";
import { GatewayError, PROBLEMS, type ProblemCode } from "./errors";
import { logError } from "./log";

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; principal: Principal; now: Date };
}

/** API.md: bodies over 64 KiB → 413. */
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
  return async function jsonBody(c, next) {
    // A request without a body (GET, DELETE, POST /admin/tenants/:id/revoke) has nothing to
    // check; clients send DELETE and empty POSTs with `Content-Length: 0`.
    if (c.req.raw.body === null || c.req.header("content-length") === "0") return next();
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
 * @example app.use("/admin/*", adminAuth())
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
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

/** A zod failure as a 400 naming the first offending field. */
export function validationError(error: ZodError, prefix = ""): GatewayError {
  const issue = error.issues[0];
  if (issue === undefined) return new GatewayError("invalid_request", "invalid request body");
  const path = [...issue.path];
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const field = prefix + path.map(String).join(".");
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
  return problemOf(c, gatewayError);
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
