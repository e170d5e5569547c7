/**
 * `GET /demo` and `GET /demo/{file}`: the Uppy demo page (demo/, bundled into the ASSETS binding
 * by scripts/build.mjs). Served only when the `DEMO` var is "1" (`npm start` sets it); otherwise
 * these paths are the same 404 as an unknown route. The page holds no secret and mints no token:
 * the user pastes one (docs/demo.md).
 */
import { staticPageRouter } from "./static-page";

export const demo = staticPageRouter({
  path: "/demo",
  assets: "/demo",
  title: "The Uppy demo page",
  when: "DEMO=1",
  bundle: "the demo page's bundle",
  enabled: (env) => env.DEMO === "1",
  headers: {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
  },
});
