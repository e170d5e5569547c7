/**
 * The hot path: the requests the Worker answers from the modules it evaluates at startup. Every
 * other request, and the events queue, goes to the full app (src/cold.ts), which src/index.ts
 * loads with a dynamic `import()` on first use. In workerd a module of the upload that only a
 * dynamic `import()` reaches is not compiled at startup, so a new isolate (each point of
 * presence, deploy and scale-out) pays only for what these routes need before it answers
 * (docs/performance.md, "Cold start").
 *
 * Which routes: the URL-issuing ones a client calls before every transfer, and the liveness
 * probe. Measured (docs/performance.md, "Splitting the Worker"; module evaluation in fresh Node 24
 * processes, median of 21): the single bundle 14.2–14.4 ms, this hot set 12.1–12.4 ms (140 KiB of
 * the 182; since trimmed to 131 KiB, 0.2–0.4 ms less), the bare Worker 3.3 ms; a request off the
 * hot path first loads the rest, 4.7 ms once per isolate. Short-link visits (`GET /l/{code}`)
 * stay off: on the hot path they cost every isolate's start +0.5 ms (12.7–12.9 ms), against
 * 4.7 ms once for an isolate whose first request off the hot path is a visit.
 */
import { HonoBase } from "hono/hono-base";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { getPath } from "hono/utils/url";
import { gatewayApp } from "./app";
import type { Router } from "./openapi/route";
import type { AppEnv } from "./middleware";
import { health } from "./routes/health";
import { presign } from "./routes/presign";

/** The hot routers, mounted on the hot app; the full app mounts them too (src/routes/index.ts). */
const HOT_ROUTERS: readonly Router<AppEnv>[] = [health, presign];

/**
 * hono's default router without its fallback: a SmartRouter over RegExpRouter alone, which
 * takes every route the hot app has, so TrieRouter (about 2 KB) stays out of startup. Same
 * matching per request as the default (`npm run bench:ab`, 31 rounds: 9 and 70 µs for /healthz
 * and /v1/presign, as before). The `tiny` preset saved 3 KB more but its PatternRouter tries the
 * routes one by one, +1 µs a request; RegExpRouter alone registers routes eagerly, at startup,
 * where the SmartRouter defers that to the first request (docs/performance.md, "Second trim").
 */
export const hotApp = gatewayApp(
  new HonoBase<AppEnv>({ router: new SmartRouter({ routers: [new RegExpRouter()] }) }),
  HOT_ROUTERS,
);

/** A route path's characters that mean something in a regular expression. */
const REGEX_SPECIALS = /[.*+?^$()|[\]\\]/g;

/**
 * Each hot route as Hono matches it: its path with every `{param}` one segment, and its method,
 * plus HEAD for a GET (Hono answers HEAD with the GET route) and OPTIONS (a browser's CORS
 * preflight, which `clientCors` answers; without `Origin` the hot app gives the same problem as
 * the full app, as it has the same middleware).
 */
const HOT_ROUTES = HOT_ROUTERS.flatMap((router) => router.documented).map((route) => {
  const method = route.method.toUpperCase();
  const path = route.path.replace(REGEX_SPECIALS, "\\$&").replace(/\{\w+\}/g, "[^/]+");
  return {
    methods: new Set([method, ...(method === "GET" ? ["HEAD"] : []), "OPTIONS"]),
    path: new RegExp(`^${path}$`),
  };
});

/**
 * Whether the hot app answers `request`: its method and path (as Hono reads it, `getPath`) match
 * a hot route. Anything else, an unknown path included, goes to the full app, which answers every
 * request as it always has.
 */
export function isHot(request: Request): boolean {
  const path = getPath(request);
  return HOT_ROUTES.some((route) => route.methods.has(request.method) && route.path.test(path));
}
