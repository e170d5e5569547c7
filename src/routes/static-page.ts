/**
 * A page bundled into the ASSETS binding by scripts/build.mjs and served by the Worker under its
 * own path, only while a var turns it on: `GET <path>` (its `index.html`) and `GET <path>/{file}`.
 * Off, without the bundle, or for a file the bundle lacks: the same 404 as an unknown route. The
 * demo (src/routes/demo.ts) and the operator page (src/routes/admin-ui.ts) are two such pages.
 */
import * as v from "valibot";
import type { Context } from "hono";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import type { AppEnv } from "../middleware";
import { createRoute, documented } from "../openapi/route";
import { newRouter, problemResponses } from "./common";

export interface StaticPage {
  /** The route path, e.g. `/demo`. */
  path: string;
  /** Where the bundle lives in ASSETS, e.g. `/demo`. */
  assets: string;
  /** How the document names the page, e.g. "The Uppy demo page". */
  title: string;
  /** What the document says turns it on, e.g. "DEMO=1". */
  when: string;
  /** How the document names a file of it, e.g. "the demo bundle". */
  bundle: string;
  enabled: (env: Env) => boolean;
  /** Headers set on every answer of the page. */
  headers: Record<string, string>;
}

export function staticPageRouter(page: StaticPage) {
  const fileName = v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, `a file of ${page.bundle}`),
    documented({ example: "app.js" }),
  );
  const index = createRoute({
    method: "get",
    path: page.path,
    summary: `${page.title} (only when ${page.when})`,
    responses: {
      200: { description: "The page", content: { "text/html": { schema: v.string() } } },
      ...problemResponses(404),
    },
  });
  const file = createRoute({
    method: "get",
    path: `${page.path}/{file}`,
    summary: `A file of ${page.bundle} (only when ${page.when})`,
    request: { params: v.object({ file: fileName }) },
    responses: {
      200: { description: "The file" },
      ...problemResponses(404),
    },
  });
  return newRouter()
    .openapi(index, (c) => asset(c, page, "index.html"))
    .openapi(file, (c) => asset(c, page, c.req.valid("param").file));
}

/** The asset `<assets>/<name>` with the page's headers, or the 404 of an unknown route. */
async function asset(c: Context<AppEnv>, page: StaticPage, name: string): Promise<Response> {
  const assets = c.env.ASSETS as Fetcher | undefined;
  if (!page.enabled(c.env) || assets === undefined) {
    throw new GatewayError("not_found", "no such route");
  }
  const answer = await assets.fetch(new URL(`${page.assets}/${name}`, c.req.url));
  if (!answer.ok) throw new GatewayError("not_found", `no such file in ${page.bundle}`);
  const response = new Response(answer.body, answer);
  for (const [header, value] of Object.entries(page.headers)) response.headers.set(header, value);
  return response;
}
