// `npm run test:e2e`: start radosgw and the gateway (`wrangler dev` on a free loopback port with
// test secrets, its own local state and the demo page on), run the e2e suite (test/e2e, which
// includes the CLI and the Chromium test of the demo page), and stop both, even on failure.
// `npm run test:browser` (`--browser`) runs the Chromium test alone; other arguments go to vitest.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { corsConfiguration, putBucketCors } from "../cli/cors.mjs";
import { freePort } from "./free-port.mjs";
import { waitForAnswer } from "./wait-for-answer.mjs";

const CHROMIUM = "/usr/bin/chromium";
const BROWSER_TEST = "test/e2e/browser.test.ts";
/** Every file that drives Chromium (the demo page, the operator page). */
const BROWSER_TESTS = [BROWSER_TEST, "test/e2e/admin-ui.test.ts"];

// STS on: the suite also proves presigned URLs made with temporary credentials (session token).
const rgw = (command) =>
  spawnSync("bash", ["scripts/rgw.sh", command], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RGW_STS: "1" },
  });

/** Temporary credentials from radosgw's STS AssumeRole, signed with the static test keys. */
async function assumeRole(s3) {
  const sts = new AwsClient({
    accessKeyId: s3.S3_ACCESS_KEY_ID,
    secretAccessKey: s3.S3_SECRET_ACCESS_KEY,
    service: "sts",
    region: s3.S3_REGION,
    retries: 0,
  });
  const form = new URLSearchParams({
    Action: "AssumeRole",
    RoleArn: s3.S3_ROLE_ARN,
    RoleSessionName: "edgesign-e2e",
    DurationSeconds: "3600",
    Version: "2011-06-15",
  });
  const res = await sts.fetch(`${s3.S3_ENDPOINT}/`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  const xml = await res.text();
  const field = (name) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1];
  const credentials = {
    accessKeyId: field("AccessKeyId"),
    secretAccessKey: field("SecretAccessKey"),
    sessionToken: field("SessionToken"),
  };
  if (!res.ok || Object.values(credentials).some((v) => v === undefined)) {
    throw new Error(
      `AssumeRole failed (${res.status}); is a radosgw without STS running? 'npm run rgw:stop' first. ${xml}`,
    );
  }
  return credentials;
}

/** `export NAME=value` lines of `rgw.sh env` as an object. */
function parseExports(text) {
  return Object.fromEntries(
    [...text.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)].map(([, name, value]) => [name, value]),
  );
}

/**
 * Debian's Chromium for the browser test (no browser download: playwright-core drives the system
 * one). Installed on first use, as scripts/rgw.sh installs Ceph; we run as root on CI.
 */
function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  console.log("e2e: installing Debian's chromium for the browser test (first run only)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
    const result = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed`);
  }
}

const browserOnly = process.argv.includes("--browser");
const vitestArgs = browserOnly
  ? [BROWSER_TEST, ...process.argv.slice(2).filter((arg) => arg !== "--browser")]
  : process.argv.slice(2);
const wantsBrowser =
  browserOnly ||
  !vitestArgs.some((arg) => arg.startsWith("test/")) ||
  vitestArgs.some((arg) => BROWSER_TESTS.includes(arg));

const work = mkdtempSync(join(tmpdir(), "edgesign-e2e-"));
let gateway;
let exitCode = 1;
try {
  const setupStarted = Date.now();
  if (wantsBrowser) ensureChromium();
  const started = rgw("start");
  process.stdout.write(started.stdout);
  if (started.status !== 0) throw new Error("radosgw did not start");
  const s3 = parseExports(rgw("env").stdout);

  const adminToken = randomBytes(24).toString("hex");
  // The webhook secret of test/e2e/webhooks.test.ts (its receiver verifies with it).
  const webhookSecret = `whsec_${randomBytes(32).toString("base64")}`;
  const credentials = JSON.stringify({
    accessKeyId: s3.S3_ACCESS_KEY_ID,
    secretAccessKey: s3.S3_SECRET_ACCESS_KEY,
  });
  const varsFile = join(work, "e2e.vars");
  const temporaryCredentials = await assumeRole(s3);
  const temporary = JSON.stringify(temporaryCredentials);
  // Values that must never appear in anything the gateway prints (checked after the suite).
  const secrets = [
    adminToken,
    s3.S3_SECRET_ACCESS_KEY,
    temporaryCredentials.secretAccessKey,
    webhookSecret,
  ];
  writeFileSync(
    varsFile,
    `ADMIN_TOKEN=${adminToken}\nS3_E2E=${credentials}\nS3_E2E_TEMP=${temporary}\n` +
      `WEBHOOK_E2E=${webhookSecret}\n`,
  );

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  gateway = spawn(
    "wrangler",
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--env-file",
      varsFile,
      "--persist-to",
      join(work, "state"),
      "--show-interactive-dev-session=false",
      // The demo page (/demo) for the browser test; wrangler.toml's [build] bundles it first.
      "--var",
      "DEMO:1",
      // Webhook retries at once (no backoff), so the e2e suite sees retries and dead letters fast.
      "--var",
      "WEBHOOK_RETRY_SECONDS:0",
      // The operator page (/admin/ui) for its browser test.
      "--var",
      "ADMIN_UI:1",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  const gatewayLog = [];
  gateway.stdout.on("data", (chunk) => gatewayLog.push(chunk));
  gateway.stderr.on("data", (chunk) => gatewayLog.push(chunk));
  try {
    await waitForAnswer(`${url}/healthz`, gateway, 60);
  } catch (error) {
    process.stderr.write(Buffer.concat(gatewayLog));
    throw error;
  }
  console.log(`gateway up on ${url}`);

  // Browsers upload straight to radosgw from the demo page's origin: the bucket needs the CORS
  // rules `edgesign cors` prints, for that origin.
  await putBucketCors(
    new AwsClient({
      accessKeyId: s3.S3_ACCESS_KEY_ID,
      secretAccessKey: s3.S3_SECRET_ACCESS_KEY,
      service: "s3",
      region: s3.S3_REGION,
      retries: 0,
    }),
    `${s3.S3_ENDPOINT}/${s3.S3_BUCKET}`,
    corsConfiguration({ origins: [url] }),
  );
  console.log(`e2e: setup took ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);

  const suiteStarted = Date.now();
  // Async, so this process keeps reading the gateway's output while the suite runs.
  const suite = spawn("vitest", ["run", "--config", "vitest.e2e.config.ts", ...vitestArgs], {
    stdio: "inherit",
    env: {
      ...process.env,
      ...s3,
      GATEWAY_URL: url,
      ADMIN_TOKEN: adminToken,
      WEBHOOK_E2E: webhookSecret,
      CHROMIUM_PATH: CHROMIUM,
    },
  });
  exitCode = await new Promise((resolve) => suite.on("exit", (code) => resolve(code ?? 1)));
  console.log(`e2e: suite took ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s`);

  // Every log line the gateway wrote during the suite: no secret value may be in it.
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the last lines arrive
  const log = Buffer.concat(gatewayLog).toString("utf8");
  if (process.env.E2E_GATEWAY_LOG) writeFileSync(process.env.E2E_GATEWAY_LOG, log);
  const leaked = secrets.filter((secret) => log.includes(secret));
  const lines = log.split("\n").filter((line) => line.trim() !== "").length;
  if (leaked.length > 0) {
    console.error(`e2e: the gateway log contains ${leaked.length} secret value(s)`);
    exitCode = 1;
  } else if (/X-Amz-Signature=/i.test(log)) {
    console.error("e2e: the gateway log contains a signed URL");
    exitCode = 1;
  } else {
    console.log(
      `e2e: scanned ${lines} gateway log lines for ${secrets.length} secrets and signed URLs: none found`,
    );
  }
} catch (error) {
  console.error(`e2e: ${error.message}`);
  exitCode = 1;
} finally {
  if (gateway && gateway.exitCode === null) {
    try {
      process.kill(-gateway.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  if (!process.env.E2E_KEEP_RGW) rgw("stop");
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
