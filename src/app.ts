/**
 * The gateway's Hono app, wired in one place for both halves of the Worker (src/index.ts): the
 * hot app (src/hot.ts) mounts the latency-critical routers, the full app (src/cold.ts) all of
 * them, on the same middleware and the same error mapping, so a request gets the same answer
 * from either. Middleware order: request id → CORS → body guard → auth → routes; every error is
 * mapped once, in onError, to problem+json.
 */
import type { Hono } from "hono";
import { GatewayError } from "./errors";
import {
  adminAuth,
  clientAuth,
  clientCors,
  jsonBody,
  problemOf,
  problemResponse,
  requestContext,
  type AppEnv,
} from "./middleware";
import type { Router } from "./openapi/route";
import { ADMIN_UI_PATH } from "./routes/admin-ui-path";

/**
 * `app` serving `routers`' routes behind the gateway's middleware; a request no route takes
 * gets the `not_found` problem. The caller picks the app's router: the hot app one without
 * hono's fallback router (src/hot.ts), the full app hono's default.
 * @example const app = gatewayApp(new Hono<AppEnv>(), [health, presign])
 */
export function gatewayApp(app: Hono<AppEnv>, routers: readonly Router<AppEnv>[]): Hono<AppEnv> {
  app.use("*", requestContext());
  app.use("/v1/*", clientCors());
  app.use("/v1/*", jsonBody());
  app.use("/admin/*", jsonBody());
  app.use("/v1/*", clientAuth());
  app.use("/admin/*", adminAuth({ except: ADMIN_UI_PATH }));
  for (const router of routers) router.mountOn(app);
  app.notFound((c) => problemOf(c, new GatewayError("not_found", "no such route")));
  app.onError(problemResponse);
  return app;
}
