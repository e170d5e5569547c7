/**
 * The full gateway: every route (src/routes/index.ts) and `/openapi.json` on the gateway's app
 * (src/app.ts), and the events queue's consumer (src/events/deliver.ts). src/index.ts loads this
 * module with a dynamic `import()` the first time an isolate gets a request off the hot path
 * (src/hot.ts) or a queue batch, and keeps it: no module here is compiled at startup.
 */
import { Hono } from "hono";
import { gatewayApp } from "./app";
import type { Env } from "./env";
import type { AppEnv } from "./middleware";
import { GatewayError } from "./errors";
import { handleQueue } from "./events/deliver";
import { setLogLevel } from "./log";
import { routers } from "./routes";

export const app = gatewayApp(new Hono<AppEnv>(), routers);

/** Built ahead of time from the same route configs and schemas (src/openapi/api.ts). */
app.get("/openapi.json", async (c) => {
  const assets = c.env.ASSETS as Fetcher | undefined;
  const document = await assets?.fetch(new URL("/openapi.json", c.req.url));
  if (document === undefined || !document.ok) {
    throw new GatewayError("unavailable", "the OpenAPI document is not built (npm run build)");
  }
  return c.body(await document.text(), 200, { "Content-Type": "application/json" });
});

/** Delivers a batch of upload events (webhooks) or dead letters. */
export const queue: ExportedHandlerQueueHandler<Env> = async (batch, env) => {
  setLogLevel(env.LOG_LEVEL);
  await handleQueue(batch, env);
};
