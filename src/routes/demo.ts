/**
 * `GET /demo` and `GET /demo/{file}`: the Uppy demo page (demo/, bundled into the ASSETS binding
 * by scripts/build.mjs). Served only when the `DEMO` var is "1" (`npm start` sets it); otherwise
 * these paths are the same 404 as an unknown route. The page holds no secret and mints no token:
 * the user pastes one (docs/demo.md).
 */
import * as v from "valibot";
import type { Context } from "hono";
import { GatewayError } from "../errors";
import type { AppEnv } from "../middleware";
import { createRoute, documented } from "../openapi/route";
import { newRouter, problemResponses } from "./common";

const DEMO_FILE = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a file of the demo bundle"),
  documented({ example: "app.js" }),
);

const page = createRoute({
  method: "get",
  path: "/demo",
  summary: "The Uppy demo page (only when DEMO=1)",
  responses: {
    200: { description: "The page", content: { "text/html": { schema: v.string() } } },
    ...problemResponses(404),
  },
});

const file = createRoute({
  method: "get",
  path: "/demo/{file}",
  summary: "A file of the demo page's bundle (only when DEMO=1)",
  request: { params: v.object({ file: DEMO_FILE }) },
  responses: {
    200: { description: "The file" },
    ...problemResponses(404),
  },
});

export const demo = newRouter()
  .openapi(page, (c) => demoAsset(c, "index.html"))
  .openapi(file, (c) => demoAsset(c, c.req.valid("param").file));

/** The asset `/demo/<name>`, or 404 when the demo is off, the bundle is missing or has no such file. */
async function demoAsset(c: Context<AppEnv>, name: string): Promise<Response> {
  const assets = c.env.ASSETS as Fetcher | undefined;
  if (c.env.DEMO !== "1" || assets === undefined) {
    throw new GatewayError("not_found", "no such route");
  }
  const asset = await assets.fetch(new URL(`/demo/${name}`, c.req.url));
  if (!asset.ok) throw new GatewayError("not_found", "no such file in the demo bundle");
  const response = new Response(asset.body, asset);
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("Referrer-Policy", "no-referrer");
  response.headers.set("Cache-Control", "no-cache");
  return response;
}
