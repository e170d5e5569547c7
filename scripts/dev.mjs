// `npm start [-- wrangler dev args]`: local secrets, the seeded demo tenant, then `wrangler dev`
// with the demo page on (DEMO=1, /demo). Once the local radosgw answers, its demo bucket gets the
// CORS rules of `edgesign cors` for this origin, so the page can upload straight to it.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { AwsClient } from "aws4fetch";
import { corsConfiguration, putBucketCors } from "../cli/cors.mjs";
import { DEMO_DIR, demoKey, demoTenant, DEMO_TENANT_ID } from "./demo.mjs";

const args = process.argv.slice(2);
const portIndex = args.indexOf("--port");
const port = portIndex >= 0 ? args[portIndex + 1] : "8787";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (local secrets).");
}

const key = await demoKey();
const tenantFile = `${DEMO_DIR}/demo-tenant.json`;
writeFileSync(tenantFile, JSON.stringify(demoTenant(key.publicJwk), null, 2));
const seeded = spawnSync(
  "wrangler",
  [
    "kv",
    "key",
    "put",
    "--local",
    "--binding",
    "KV",
    `tenant:${DEMO_TENANT_ID}`,
    "--path",
    tenantFile,
  ],
  { stdio: ["ignore", "ignore", "inherit"] },
);
if (seeded.status !== 0) {
  console.error("Could not seed the demo tenant into local KV.");
  process.exit(1);
}

const base = `http://localhost:${port}`;
console.log(`
edgesign is starting on ${base} (local workerd, local KV, secrets from .dev.vars).
Seeded demo tenant '${DEMO_TENANT_ID}' (keys under demo/users/<sub>/, bucket on 127.0.0.1:7480).

  Mint a demo token:   npm run token -- --sub alice
  Get a URL:           curl -s ${base}/v1/presign -H "Authorization: Bearer $(npm run -s token -- --sub alice)" \\
                         -H 'Content-Type: application/json' -d '{"method":"GET","key":"hello.txt"}'
  Health / API doc:    ${base}/healthz   ${base}/openapi.json
  Local S3 to use it:  npm run rgw:start   (Ceph RADOS Gateway on 127.0.0.1:7480)
  Demo page (Uppy):    ${base}/demo   paste a token from: npm run -s token -- --sub alice
`);

/**
 * Applies the demo bucket's CORS rules as soon as radosgw answers (it may be started after us),
 * then stops trying. Browsers may use either loopback name for the page.
 */
async function demoBucketCors() {
  const tenant = demoTenant({});
  const bucket = tenant.buckets.main;
  const secret = /^S3_DEMO=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1];
  if (secret === undefined) return;
  const credentials = JSON.parse(secret);
  const client = new AwsClient({
    ...credentials,
    service: "s3",
    region: bucket.region,
    retries: 0,
  });
  const origins = [base, `http://127.0.0.1:${port}`];
  for (;;) {
    try {
      await putBucketCors(
        client,
        `${bucket.endpoint}/${bucket.bucket}`,
        corsConfiguration({ origins }),
      );
      console.log(`Demo bucket ${bucket.bucket}: CORS set for ${origins.join(", ")}.`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 3000).unref());
    }
  }
}
void demoBucketCors();

const dev = spawn("wrangler", ["dev", "--var", "DEMO:1", ...args], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
