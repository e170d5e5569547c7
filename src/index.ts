/**
 * edgesign: wiring only. Middleware order: request id → CORS → body guard → auth → routes;
 * every error is mapped once, in onError, to problem+json.
 */
import { Hono } from "hono";
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
import { openapiDocument } from "./openapi/document";
import { admin } from "./routes/admin";
import { demo } from "./routes/demo";
import { health } from "./routes/health";
import { links } from "./routes/links";
import { presign } from "./routes/presign";
import { signRequest } from "./routes/sign-request";
import { uploads } from "./routes/uploads";
import { VERSION } from "./version";

const app = new Hono<AppEnv>();

app.use("*", requestContext());
app.use("/v1/*", clientCors());
app.use("/v1/*", jsonBody());
app.use("/admin/*", jsonBody());
app.use("/v1/*", clientAuth());
app.use("/admin/*", adminAuth());

const routers = [health, presign, uploads, signRequest, admin, links, demo];
for (const router of routers) app.route("/", router);

/** Built on the first request for it, from the same route configs and schemas as the routes. */
let document: Record<string, unknown> | undefined;
app.get("/openapi.json", (c) => {
  document ??= openapiDocument(
    routers.flatMap((router) => router.documented),
    { title: "edgesign", version: VERSION, description: "Edge presigning gateway for S3" },
    { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
  );
  return c.json(document);
});

app.notFound((c) => problemOf(c, new GatewayError("not_found", "no such route")));
app.onError(problemResponse);

export { RateLimitCounter } from "./ratelimit/exact";
export default app;
