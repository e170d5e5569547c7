/**
 * edgesign: wiring only. Middleware order: request id → CORS → body guard → auth → routes;
 * every error is mapped once, in onError, to problem+json. The queue handler delivers upload
 * events (src/events/deliver.ts).
 */
import { Hono } from "hono";
import type { Env } from "./env";
import { GatewayError } from "./errors";
import { handleQueue } from "./events/deliver";
import { setLogLevel } from "./log";
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
import { routers } from "./routes";
import { ADMIN_UI_PATH } from "./routes/admin-ui";

const app = new Hono<AppEnv>();

app.use("*", requestContext());
app.use("/v1/*", clientCors());
app.use("/v1/*", jsonBody());
app.use("/admin/*", jsonBody());
app.use("/v1/*", clientAuth());
app.use("/admin/*", adminAuth({ except: ADMIN_UI_PATH }));

for (const router of routers) router.mountOn(app);

/** Built ahead of time from the same route configs and schemas (src/openapi/api.ts). */
app.get("/openapi.json", async (c) => {
  const assets = c.env.ASSETS as Fetcher | undefined;
  const document = await assets?.fetch(new URL("/openapi.json", c.req.url));
  if (document === undefined || !document.ok) {
    throw new GatewayError("unavailable", "the OpenAPI document is not built (npm run build)");
  }
  return c.body(await document.text(), 200, { "Content-Type": "application/json" });
});

app.notFound((c) => problemOf(c, new GatewayError("not_found", "no such route")));
app.onError(problemResponse);

export { RateLimitCounter } from "./ratelimit/exact";
/** The app serves HTTP (`fetch`) and consumes the events queue (`queue`); tests use its routes. */
const queue: ExportedHandlerQueueHandler<Env> = async (batch, env) => {
  setLogLevel(env.LOG_LEVEL);
  await handleQueue(batch, env);
};
export default Object.assign(app, { queue });
