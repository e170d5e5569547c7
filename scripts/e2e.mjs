// `npm run test:e2e`: start radosgw and the gateway (`wrangler dev` on a free loopback port with
// test secrets and its own local state), run the e2e suite, and stop both, even on failure.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";

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

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, child, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the gateway did not answer on ${url} within ${seconds} s`);
}

/** `export NAME=value` lines of `rgw.sh env` as an object. */
function parseExports(text) {
  return Object.fromEntries(
    [...text.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)].map(([, name, value]) => [name, value]),
  );
}

const work = mkdtempSync(join(tmpdir(), "edgesign-e2e-"));
let gateway;
let exitCode = 1;
try {
  const started = rgw("start");
  process.stdout.write(started.stdout);
  if (started.status !== 0) throw new Error("radosgw did not start");
  const s3 = parseExports(rgw("env").stdout);

  const adminToken = randomBytes(24).toString("hex");
  const credentials = JSON.stringify({
    accessKeyId: s3.S3_ACCESS_KEY_ID,
    secretAccessKey: s3.S3_SECRET_ACCESS_KEY,
  });
  const varsFile = join(work, "e2e.vars");
  const temporary = JSON.stringify(await assumeRole(s3));
  writeFileSync(
    varsFile,
    `ADMIN_TOKEN=${adminToken}\nS3_E2E=${credentials}\nS3_E2E_TEMP=${temporary}\n`,
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
    await waitForHealth(url, gateway, 60);
  } catch (error) {
    process.stderr.write(Buffer.concat(gatewayLog));
    throw error;
  }
  console.log(`gateway up on ${url}`);

  const suite = spawnSync(
    "vitest",
    ["run", "--config", "vitest.e2e.config.ts", ...process.argv.slice(2)],
    {
      stdio: "inherit",
      env: { ...process.env, ...s3, GATEWAY_URL: url, ADMIN_TOKEN: adminToken },
    },
  );
  exitCode = suite.status ?? 1;
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
