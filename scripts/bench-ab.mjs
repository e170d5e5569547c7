// `npm run bench:ab -- <git revision>`: is the working tree's request path faster than the
// revision's? Loads both apps (this `src/` and the revision's `src/`, from `git archive`) into
// one bench Worker under `wrangler dev`, seeds the same tenant in both, and alternates them in
// rounds of requests (so drift on a shared machine hits both alike). Prints the median and the
// minimum µs per request of each, and new/old. Loopback only; the server and the copy are
// removed after.
//
// Both apps are bundled together with this script's settings (keep_names = false, console
// lines dropped), so it compares code, not build settings. The tenant and its tokens are the
// whole-request benchmark's (bench/src/tenant.ts).
//
// Options: --rounds N (15), --requests N per round (1000), --routes healthz,presign,presign-new.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "./free-port.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "node_modules", ".bin");
// Inside the repository (ignored by git), so the old `src/` resolves this node_modules.
const WORK = join(ROOT, "bench", ".ab");

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "15" },
    requests: { type: "string", default: "1000" },
    routes: { type: "string", default: "healthz,presign,presign-new" },
  },
});
const base = positionals[0] ?? "HEAD";

const WORKER = `
import { exportJWK, generateKeyPair } from "jose";
import appNew from "../../src/index";
import appOld from "./base/src/index";
import { mintToken, TENANT_ID, tenantRecord } from "../src/tenant";

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const rounds = Number(url.searchParams.get("rounds"));
    const n = Number(url.searchParams.get("requests"));
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "ab", alg: "EdDSA" };
    for (const app of [appNew, appOld]) {
      const put = await app.fetch(new Request("https://ab/admin/tenants/" + TENANT_ID, {
        method: "PUT",
        headers: { authorization: "Bearer " + env.ADMIN_TOKEN, "content-type": "application/json" },
        body: JSON.stringify(tenantRecord(jwk)),
      }), env, ctx);
      if (put.status !== 200) return new Response(await put.text(), { status: 500 });
    }
    const mint = (jti) => mintToken(privateKey, { kid: "ab", audience: env.AUDIENCE, jti });
    const token = await mint("repeated");
    const body = JSON.stringify({ method: "GET", key: "photos/a b.jpg" });
    const post = (t) => new Request("https://ab/v1/presign", { method: "POST", body,
      headers: { authorization: "Bearer " + t, "content-type": "application/json", "content-length": String(body.length) } });
    const fresh = [];
    let next = 0;
    const ops = {
      healthz: () => new Request("https://ab/healthz"),
      presign: () => post(token),
      "presign-new": () => post(fresh[next++]),
    };
    const routes = url.searchParams.get("routes").split(",");
    if (routes.includes("presign-new")) {
      for (let i = 0; i < 2 * n * (rounds + 1); i++) fresh.push(await mint("t" + i));
    }
    const log = console.log;
    console.log = () => {}; // one line per URL would be relayed through wrangler's inspector
    const report = {};
    try {
      for (const route of routes) {
        const samples = { old: [], new: [] };
        for (let round = 0; round <= rounds; round++) {
          const order = round % 2 ? [["old", appOld], ["new", appNew]] : [["new", appNew], ["old", appOld]];
          for (const [name, app] of order) {
            // Timed as the runtime runs a Worker, Request in hand to Response out; building the
            // requests and reading the responses (the client's side) is untimed.
            const requests = Array.from({ length: n }, () => ops[route]());
            const responses = [];
            const started = performance.now();
            for (const req of requests) responses.push(await app.fetch(req, env, ctx));
            const elapsed = performance.now() - started;
            for (const res of responses) {
              const text = await res.text();
              if (res.status !== 200) throw new Error(res.status + " " + text);
            }
            // Round 0 is warm-up.
            if (round > 0) samples[name].push((elapsed * 1000) / n);
          }
        }
        report[route] = samples;
      }
    } finally {
      console.log = log;
    }
    return Response.json(report);
  },
};
`;

const CONFIG = `
name = "edgesign-bench-ab"
main = "worker.ts"
compatibility_date = "2026-10-23"
send_metrics = false
keep_names = false
[vars]
AUDIENCE = "edgesign"
CORS_ORIGINS = ""
LOG_LEVEL = "info"
ADMIN_TOKEN = "bench-ab-admin-token-5e1f0c3a"
S3_BENCH = '{"accessKeyId":"AKIABENCHACCESSKEY01","secretAccessKey":"bench/secret+key/0123456789abcdefGHIJKLMN"}'
[[kv_namespaces]]
binding = "KV"
id = "00000000000000000000000000000000"
`;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

rmSync(WORK, { recursive: true, force: true });
mkdirSync(join(WORK, "base"), { recursive: true });
const archive = spawnSync(
  "sh",
  ["-c", `git archive ${JSON.stringify(base)} src | tar -x -C bench/.ab/base`],
  { cwd: ROOT, encoding: "utf8" },
);
if (archive.status !== 0) {
  console.error(`bench:ab: cannot read src/ of '${base}': ${archive.stderr}`);
  process.exit(2);
}
writeFileSync(join(WORK, "worker.ts"), WORKER);
writeFileSync(join(WORK, "wrangler.toml"), CONFIG);

const port = await freePort();
const child = spawn(
  join(BIN, "wrangler"),
  ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false"],
  {
    cwd: WORK,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", X_LOCAL_OBSERVABILITY: "false" },
  },
);
const output = [];
child.stdout.on("data", (chunk) => output.push(chunk));
child.stderr.on("data", (chunk) => output.push(chunk));
let exitCode = 0;
try {
  const url = `http://127.0.0.1:${port}/?rounds=${options.rounds}&requests=${options.requests}&routes=${options.routes}`;
  let res;
  for (let attempt = 0; attempt < 120 && res === undefined; attempt++) {
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(900_000) });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  if (res === undefined || !res.ok) {
    throw new Error(`${res?.status ?? "no answer"} ${res ? await res.text() : ""}`);
  }
  const report = await res.json();
  console.log(`new = this working tree, old = ${base}; µs per request, median (min) of rounds`);
  for (const [route, { old, new: current }] of Object.entries(report)) {
    const ratio = median(current) / median(old);
    console.log(
      `${route.padEnd(12)} old ${median(old).toFixed(1).padStart(7)} (${Math.min(...old).toFixed(1)})` +
        `   new ${median(current).toFixed(1).padStart(7)} (${Math.min(...current).toFixed(1)})` +
        `   new/old ${ratio.toFixed(2)}`,
    );
  }
} catch (error) {
  console.error(`bench:ab: ${error.message}\n${Buffer.concat(output).toString().slice(-4000)}`);
  exitCode = 1;
} finally {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
  rmSync(WORK, { recursive: true, force: true });
}
process.exit(exitCode);
