/**
 * The operator page's paths (./admin-ui.ts), which `adminAuth` lets through (src/app.ts). Apart
 * from the page's router so the hot app, which has the same middleware, does not load the page's
 * static-file serving (src/hot.ts).
 */
export const ADMIN_UI_PATH = /^\/admin\/ui(\/|$)/;
