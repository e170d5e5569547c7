/**
 * `GET /admin/ui` and `GET /admin/ui/{file}`: the operator page (admin-ui/, bundled into the
 * ASSETS binding by scripts/build.mjs), docs/admin-ui.md. Served only when the `ADMIN_UI` var is
 * "1" and the admin API exists (`ADMIN_TOKEN` set); otherwise the same 404 as an unknown route.
 * The files hold no secret, so they are served without the admin token (src/app.ts exempts
 * these paths from `adminAuth`): the operator pastes the token into the page, which sends it to
 * the admin API as a bearer token and keeps it in a variable of the tab only.
 */
import { staticPageRouter } from "./static-page";

export { ADMIN_UI_PATH } from "./admin-ui-path";

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

export const adminUi = staticPageRouter({
  path: "/admin/ui",
  assets: "/admin-ui",
  title: "The operator page",
  when: "ADMIN_UI=1 and ADMIN_TOKEN is set",
  bundle: "the operator page's bundle",
  enabled: (env) => env.ADMIN_UI === "1" && Boolean(env.ADMIN_TOKEN),
  headers: SECURITY_HEADERS,
});
