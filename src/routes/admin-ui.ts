/**
 * `GET /admin/ui` and `GET /admin/ui/{file}`: the operator page (admin-ui/, bundled into the
 * ASSETS binding by scripts/build.mjs), docs/admin-ui.md. Served only when the `ADMIN_UI` var is
 * "1" and the admin API exists (`ADMIN_TOKEN` set); otherwise the same 404 as an unknown route.
 * The files hold no secret, so they are served without the admin token (src/index.ts exempts
 * these paths from `adminAuth`): the operator pastes the token into the page, which sends it to
 * the admin API as a bearer token and keeps it in a variable of the tab only.
 */
import * as v from "valibot";
import type { Context } from "hono";
import { GatewayError } from "../errors";
import type { AppEnv } from "../middleware";
import { createRoute, documented } from "../openapi/route";
import { newRouter, problemResponses } from "./common";

/** The page's paths, which `adminAuth` lets through (src/index.ts). */
export const ADMIN_UI_PATH = /^\/admin\/ui(\/|$)/;

/**
 * The page may run only its own bundled script and style, talk only to this origin, and be
 * framed by no one (clickjacking of the revoke button): CSP Level 3 `frame-ancestors`, with
 * `X-Frame-Options` for older browsers. No inline script or style is allowed; uPlot sets styles
 * through the CSSOM (`element.style`), which `style-src` does not govern.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  // Nothing of an operator page is kept by the browser or any cache on the way.
  "Cache-Control": "no-store",
};

const UI_FILE = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a file of the operator page's bundle"),
  documented({ example: "app.js" }),
);

const page = createRoute({
  method: "get",
  path: "/admin/ui",
  summary: "The operator page (only when ADMIN_UI=1 and ADMIN_TOKEN is set)",
  responses: {
    200: { description: "The page", content: { "text/html": { schema: v.string() } } },
    ...problemResponses(404),
  },
});

const file = createRoute({
  method: "get",
  path: "/admin/ui/{file}",
  summary: "A file of the operator page's bundle (only when ADMIN_UI=1 and ADMIN_TOKEN is set)",
  request: { params: v.object({ file: UI_FILE }) },
  responses: {
    200: { description: "The file" },
    ...problemResponses(404),
  },
});

export const adminUi = newRouter()
  .openapi(page, (c) => uiAsset(c, "index.html"))
  .openapi(file, (c) => uiAsset(c, c.req.valid("param").file));

/** The asset `/admin-ui/<name>`, or 404 when the page is off, the bundle is missing or lacks it. */
async function uiAsset(c: Context<AppEnv>, name: string): Promise<Response> {
  const assets = c.env.ASSETS as Fetcher | undefined;
  if (c.env.ADMIN_UI !== "1" || !c.env.ADMIN_TOKEN || assets === undefined) {
    throw new GatewayError("not_found", "no such route");
  }
  const asset = await assets.fetch(new URL(`/admin-ui/${name}`, c.req.url));
  if (!asset.ok) throw new GatewayError("not_found", "no such file in the operator page's bundle");
  const response = new Response(asset.body, asset);
  for (const [header, value] of Object.entries(SECURITY_HEADERS)) {
    response.headers.set(header, value);
  }
  return response;
}
