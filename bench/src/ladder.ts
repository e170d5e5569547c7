/**
 * Where the time of a `/v1/presign` goes: the same request through apps built up one layer at a
 * time from the gateway's own pieces (`src/middleware.ts`, `src/routes/common.ts`), ending one
 * step short of the real app, which is measured beside them. The step from one row to the next
 * is what that layer costs inside a whole request. Beside them, a bound: the same work in one
 * handler, i.e. what dropping the middleware chain and the route validator could buy at most.
 */
import { Hono } from "hono";
import {
  clientAuth,
  clientCors,
  jsonBody,
  problemResponse,
  requestContext,
  type AppEnv,
} from "../../src/middleware";
import { authenticate } from "../../src/auth/verify";
import { GatewayError } from "../../src/errors";
import { createRoute, parseBody, type Router } from "../../src/openapi/route";
import { callOf, chargeCaller, jsonBodyOf, newRouter } from "../../src/routes/common";
import { PresignRequest } from "../../src/signing/schema";
import { presignForCaller } from "../../src/signing/service";

export interface LadderStep {
  id: string;
  label: string;
  app: { fetch: Hono<AppEnv>["fetch"] };
}

/** The body's route as in src/routes/presign.ts, answering the validated body itself. */
const echoRoute = createRoute({
  method: "post",
  path: "/v1/presign",
  summary: "echo",
  request: { body: jsonBodyOf(PresignRequest) },
  responses: {
    200: {
      description: "The validated body",
      content: { "application/json": { schema: PresignRequest } },
    },
  },
});

function echoRouter(chargeRateLimit: boolean): Router<AppEnv> {
  return newRouter().openapi(echoRoute, async (c) => {
    if (chargeRateLimit) await chargeCaller(c, 1);
    return c.json(c.req.valid("json"), 200);
  });
}

type Layer = "middleware" | "auth" | "rate limit";

function gatewayApp(layers: readonly Layer[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  if (layers.includes("middleware")) {
    app.use("*", requestContext());
    app.use("/v1/*", clientCors());
    app.use("/v1/*", jsonBody());
  }
  if (layers.includes("auth")) app.use("/v1/*", clientAuth());
  echoRouter(layers.includes("rate limit")).mountOn(app);
  app.onError(problemResponse);
  return app;
}

export function ladder(): LadderStep[] {
  const bare = new Hono<AppEnv>();
  bare.post("/v1/presign", async (c) => c.json(await c.req.json()));
  return [
    {
      id: "ladder-hono",
      label: "floor: a bare Hono app answering the parsed JSON body",
      app: bare,
    },
    {
      id: "ladder-validate",
      label: "+ the route validating PresignRequest (src/openapi/route.ts)",
      app: gatewayApp([]),
    },
    {
      id: "ladder-middleware",
      label: "+ request id, CORS, body guard",
      app: gatewayApp(["middleware"]),
    },
    {
      id: "ladder-auth",
      label: "+ client auth (repeated token)",
      app: gatewayApp(["middleware", "auth"]),
    },
    {
      id: "ladder-rate-limit",
      label: "+ rate limit and its headers",
      app: gatewayApp(["middleware", "auth", "rate limit"]),
    },
  ];
}

/**
 * A bound, not a design: `/v1/presign`'s work (request id, `Vary`, body checks, auth, one
 * synchronous `parseBody`, rate limit, signer) in one Hono handler, so no middleware chain and
 * no route validator run. Error responses are not the app's; the bench only sends
 * valid requests. The gap to the real app is the most that flattening the app could save.
 */
export function oneHandlerApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/v1/presign", async (c) => {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    c.header("Vary", "Origin");
    if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
      throw new GatewayError("unsupported_media_type", "send JSON");
    }
    if (Number(c.req.header("content-length")) > 64 * 1024) {
      throw new GatewayError("payload_too_large", "too large");
    }
    const now = new Date();
    c.set("now", now);
    c.set("principal", await authenticate(c.env, c.req.header("authorization"), now));
    const parsed = parseBody(PresignRequest, await c.req.json());
    if (!parsed.success) throw new GatewayError("invalid_request", "invalid body");
    await chargeCaller(c, 1);
    return c.json(await presignForCaller(callOf(c), parsed.output), 200);
  });
  app.onError(problemResponse);
  return app;
}
