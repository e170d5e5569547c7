/**
 * edgesign: wiring only. Middleware order: request id → CORS → body guard → auth → routes;
 * every error is mapped once, in onError, to problem+json.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { corsOrigins } from "./env";
import { GatewayError } from "./errors";
import { setLogLevel } from "./log";
import {
  adminAuth,
  clientAuth,
  jsonBody,
  problemOf,
  problemResponse,
  type AppEnv,
} from "./middleware";
import { admin } from "./routes/admin";
import { demo } from "./routes/demo";
import { health } from "./routes/health";
import { links } from "./routes/links";
import { presign } from "./routes/presign";
import { signRequest } from "./routes/sign-request";
import { uploads } from "./routes/uploads";
import { VERSION } from "./version";

const app = new OpenAPIHono<AppEnv>();

app.use("*", requestId());
app.use("*", async function logLevel(c, next) {
  setLogLevel(c.env.LOG_LEVEL);
  await next();
});
app.use(
  "/v1/*",
  cors({
    origin: (origin, c) => {
      const allowed = corsOrigins(c.env);
      return allowed.includes("*") || allowed.includes(origin) ? origin : null;
    },
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "Retry-After", "RateLimit", "RateLimit-Policy"],
    maxAge: 600,
  }),
);
app.use("/v1/*", jsonBody());
app.use("/admin/*", jsonBody());
app.use("/v1/*", clientAuth());
app.use("/admin/*", adminAuth());

app.route("/", health);
app.route("/", presign);
app.route("/", uploads);
app.route("/", signRequest);
app.route("/", admin);
app.route("/", links);
app.route("/", demo);

app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
  type: "http",
  scheme: "bearer",
  bearerFormat: "JWT",
});
app.doc31("/openapi.json", {
  openapi: "3.1.0",
  info: { title: "edgesign", version: VERSION, description: "Edge presigning gateway for S3" },
});

app.notFound((c) => problemOf(c, new GatewayError("not_found", "no such route")));
app.onError(problemResponse);

export { RateLimitCounter } from "./ratelimit/exact";
export default app;
