/**
 * edgesign: wiring only. Middleware order: request id → CORS → body guard → auth → routes;
 * every error is mapped once, in onError, to problem+json.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
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
import { admin } from "./routes/admin";
import { demo } from "./routes/demo";
import { health } from "./routes/health";
import { links } from "./routes/links";
import { presign } from "./routes/presign";
import { signRequest } from "./routes/sign-request";
import { uploads } from "./routes/uploads";
import { VERSION } from "./version";

const app = new OpenAPIHono<AppEnv>();

app.use("*", requestContext());
app.use("/v1/*", clientCors());
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
