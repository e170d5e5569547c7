// `node scripts/build.mjs`: bundles what is built ahead of time, with esbuild (wrangler.toml's
// [build] runs it before `wrangler dev` and `wrangler deploy`; `npm run build` runs it by hand):
// - dist/worker/: the Worker itself, split into modules (wrangler.toml uploads them as they are,
//   `no_bundle`): the entry index.js evaluates only the hot path (src/hot.ts) and the chunks it
//   imports statically; the full gateway (src/cold.ts) and what only it needs are modules that
//   only a dynamic `import()` reaches, which workerd does not compile at startup (wrangler has no
//   code splitting of its own: workers-sdk issue 417). dist/worker.meta.json is esbuild's
//   metafile of it (which module holds what) and dist/worker.startup.json its startup set, both
//   read by .ci/run; dist/worker/index.d.ts gives the entry the types of src/index.ts;
// - dist/client/index.js: the `edgesign/client` subpath export (ESM for browsers, Node and
//   Workers; type imports of the gateway's schemas are erased). The checksum libraries it uses
//   (@aws-crypto/crc32, @aws-crypto/crc32c, @aws-sdk/crc64-nvme) are bundled into it, resolved
//   as for browsers: their browser builds use TextEncoder, which every target has, instead of
//   Node's Buffer (a neutral build pulls in a 58 KB Buffer polyfill). The Worker never imports
//   the client, so none of them is in the Worker's bundle;
// - dist/assets/demo/: the demo page (index.html, app.js, app.css with Uppy's styles), served by
//   the Worker at /demo when DEMO=1;
// - dist/assets/admin-ui/: the operator page (index.html, app.js, app.css with uPlot's styles),
//   served by the Worker at /admin/ui when ADMIN_UI=1;
// - dist/assets/openapi.json: the OpenAPI 3.1 document, from the routes' configs and schemas
//   (src/openapi/api.ts), served by the Worker at /openapi.json.
// All are in dist/, which git and prettier ignore.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const started = Date.now();
// What wrangler's own bundler would set for workerd (wrangler 4.155.0, bundleWorker): its target,
// syntax workerd runs natively, the workerd/worker/browser export conditions (the platform stays
// esbuild's default, browser), `cloudflare:*` left to the runtime.
rmSync("dist/worker", { recursive: true, force: true });
const worker = await build({
  entryPoints: ["src/index.ts"],
  outdir: "dist/worker",
  // index.js and its chunks `edgesign-<name>-<hash>.js`: the names wrangler.toml's module rule
  // matches, and no file of node_modules does (the test runner applies the rule too).
  chunkNames: "edgesign-[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  target: "es2024",
  supported: { "import-source": true, using: true },
  conditions: ["workerd", "worker", "browser"],
  external: ["cloudflare:*"],
  define: { "process.env.NODE_ENV": '"production"' },
  // Minified, the Worker is a third of its size and less JavaScript to parse when an isolate
  // starts (docs/performance.md, "Cold start"). esbuild's keepNames (wrangler's default) is off:
  // it wraps every function created at run time in a `__name()` call, a few µs per request
  // (docs/performance.md); errors are logged by message and code, never by stack or name.
  minify: true,
  keepNames: false,
  metafile: true,
  logLevel: "warning",
});
writeFileSync("dist/worker.meta.json", JSON.stringify(worker.metafile));

// The startup set: the entry and the chunks it imports statically, what an isolate compiles
// before it answers (the others are compiled on first use). Written to dist/worker.startup.json
// for .ci/run, which prints its size.
const outputs = worker.metafile.outputs;
const startupSet = new Set(
  Object.keys(outputs).filter((file) => outputs[file].entryPoint === "src/index.ts"),
);
for (const file of startupSet) {
  for (const { path, kind } of outputs[file].imports) {
    if (kind === "import-statement" && path in outputs) startupSet.add(path);
  }
}
writeFileSync("dist/worker.startup.json", JSON.stringify([...startupSet]));

// It must not hold what only the full gateway needs: esbuild splits by whole module, so one
// import from a hot module (e.g. the XML escaping the presign path needs, from the module with
// the XML reader) moves a cold module into every isolate's startup. These are the ones that did,
// or would weigh most.
const COLD_ONLY = [
  /^src\/s3\/(xml|xml-reader|multipart)\.ts$/,
  /^src\/signing\/post-policy\.ts$/,
  /^src\/(uploads|links)\//,
  /^src\/routes\/(admin|admin-ui|static-page|links|uploads|sign-request|demo)\.ts$/,
  /^src\/events\/(deliver|schema)\.ts$/,
  // hono's default preset and its TrieRouter: the hot app's router is a SmartRouter over
  // RegExpRouter alone (src/hot.ts), and a value import of "hono" in a hot module brings it back.
  /^node_modules\/hono\/dist\/(hono|router\/trie-router\/[a-z-]+)\.js$/,
];
const misplaced = [...startupSet]
  .flatMap((file) => Object.keys(outputs[file].inputs))
  .filter((input) => COLD_ONLY.some((pattern) => pattern.test(input)));
if (misplaced.length > 0) {
  throw new Error(
    `build: the Worker's startup set holds modules only the full gateway needs (${misplaced.join(", ")}): ` +
      'a hot module imports them (src/hot.ts; docs/performance.md, "Splitting the Worker")',
  );
}
// The entry's types are the source's: `wrangler types` (npm run types) types the Durable Object
// binding and `mainModule` from wrangler.toml's `main`. Not uploaded (no module rule matches it).
writeFileSync(
  "dist/worker/index.d.ts",
  'export * from "../../src/index";\nexport { default } from "../../src/index";\n',
);

await build({
  entryPoints: ["src/client/index.ts"],
  outfile: "dist/client/index.js",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  logLevel: "warning",
});

// The pages: the demo (demo/: index.html, app.js with Uppy, app.css with Uppy's styles) and the
// operator page (admin-ui/: index.html, app.js with uPlot, app.css with uPlot's styles), served
// by the Worker at /demo and /admin/ui; their libraries are in these bundles, not the Worker's.
for (const page of ["demo", "admin-ui"]) {
  mkdirSync(`dist/assets/${page}`, { recursive: true });
  await build({
    entryPoints: [`${page}/app.ts`],
    outdir: `dist/assets/${page}`,
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
  copyFileSync(`${page}/index.html`, `dist/assets/${page}/index.html`);
}

// The document is generated by the gateway's own code, bundled for Node and run once here.
const scratch = mkdtempSync(join(tmpdir(), "edgesign-openapi-"));
try {
  const generator = join(scratch, "api.mjs");
  await build({
    entryPoints: ["src/openapi/api.ts"],
    outfile: generator,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    alias: { "cloudflare:workers": resolve("scripts/cloudflare-workers-stub.mjs") },
    logLevel: "warning",
  });
  const { apiDocument } = await import(pathToFileURL(generator).href);
  writeFileSync("dist/assets/openapi.json", JSON.stringify(apiDocument()));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.error(
  `build: dist/worker, dist/client, dist/assets/demo, dist/assets/admin-ui, dist/assets/openapi.json in ${Date.now() - started} ms`,
);
