// `node scripts/build.mjs`: bundles what is built ahead of time, with esbuild (wrangler.toml's
// [build] runs it before `wrangler dev` and `wrangler deploy`; `npm run build` runs it by hand):
// - dist/client/index.js: the `edgesign/client` subpath export (ESM, platform-neutral: browsers,
//   Node, Workers; type imports of the gateway's schemas are erased, so no runtime dependency);
// - dist/assets/demo/: the demo page (index.html, app.js, app.css with Uppy's styles), served by
//   the Worker at /demo when DEMO=1. Both are in dist/, which git and prettier ignore.
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

const started = Date.now();
await build({
  entryPoints: ["src/client/index.ts"],
  outfile: "dist/client/index.js",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  logLevel: "warning",
});

mkdirSync("dist/assets/demo", { recursive: true });
await build({
  entryPoints: ["demo/app.ts"],
  outdir: "dist/assets/demo",
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  // Uppy and its Preact UI read process.env.NODE_ENV.
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "linked",
  logLevel: "warning",
});
copyFileSync("demo/index.html", "dist/assets/demo/index.html");
console.error(`build: dist/client, dist/assets/demo in ${Date.now() - started} ms`);
