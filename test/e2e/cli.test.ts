/**
 * The `edgesign` CLI run as a subprocess, as users run it: help and exit codes, a tenant's whole
 * life through the admin API (keys generate → tenant put → token → presign → revoke → delete),
 * and the CORS configuration applied to radosgw, whose preflight then admits a browser upload.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, GATEWAY_URL, RUN, S3 } from "./support";

const CLI = join(import.meta.dirname, "../../cli/edgesign.mjs");
const work = mkdtempSync(join(tmpdir(), "edgesign-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function edgesign(args: string[], env: Record<string, string> = {}, input?: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: work,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", EDGESIGN_GATEWAY: GATEWAY_URL, ...env },
    ...(input === undefined ? {} : { input }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const admin = { EDGESIGN_ADMIN_TOKEN: ADMIN_TOKEN };

/** No error output may carry a stack trace. */
function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trim().split("\n")).toHaveLength(1);
}

describe("edgesign CLI", () => {
  it("prints readable help with exit 0, and usage errors with exit 2 and no stack", () => {
    const help = edgesign(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["token", "tenant put|get|delete|revoke", "keys generate", "cors"]) {
      expect(help.stdout).toContain(command);
    }
    for (const command of ["token", "tenant", "keys", "cors"]) {
      const sub = edgesign([command, "--help"]);
      expect(sub.code, command).toBe(0);
      expect(sub.stdout).toMatch(/^Usage: edgesign /);
    }
    expect(edgesign([]).code).toBe(2);
    for (const args of [
      ["bogus"],
      ["token", "--nope"],
      ["token", "--sub", "a", "--key", "missing.json"],
      ["cors"],
      ["cors", "--origin", "https://app.example/path"],
      ["cors", "--origin", "https://a.example", "--format", "yaml"],
      ["tenant", "get", "Bad Id"],
      ["keys", "generate", "--alg", "HS256"],
    ]) {
      const run = edgesign(args, admin);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(/^edgesign: /);
      expectNoStack(run.stderr);
    }
  });

  it("runs a tenant's life: keys generate, tenant put/get, token, revoke, delete", async () => {
    const id = `cli-${RUN}`;
    const keys = edgesign(["keys", "generate", "--tenant", id, "--out", "k.json"]);
    expect(keys.code, keys.stderr).toBe(0);
    const jwks = JSON.parse(keys.stdout) as { keys: Record<string, unknown>[] };
    expect(jwks.keys[0]).toMatchObject({
      kty: "OKP",
      alg: "EdDSA",
      kid: `${id}-${new Date().toISOString().slice(0, 10)}`,
    });
    expect(jwks.keys[0]).not.toHaveProperty("d");
    expect(statSync(join(work, "k.json")).mode & 0o777).toBe(0o600);
    expect(edgesign(["keys", "generate", "--tenant", id, "--out", "k.json"]).code).toBe(2);

    const record = {
      id,
      auth: { jwks },
      prefix: `${id}/`,
      buckets: {
        main: { endpoint: S3.endpoint, bucket: S3.bucket, style: "path", credentials: "S3_E2E" },
      },
      defaultBucket: "main",
    };
    writeFileSync(join(work, "tenant.json"), JSON.stringify(record));
    const put = edgesign(["tenant", "put", id, "--file", "tenant.json"], admin);
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ id, prefix: `${id}/` });
    const fromStdin = edgesign(["tenant", "put", id, "--file", "-"], admin, JSON.stringify(record));
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    const got = edgesign(["tenant", "get", id], admin);
    expect(JSON.parse(got.stdout)).toMatchObject({ id, defaultBucket: "main" });

    const token = edgesign(["token", "--key", "k.json", "--sub", "carol", "--ttl", "120"]);
    expect(token.code, token.stderr).toBe(0);
    const presign = () =>
      fetch(`${GATEWAY_URL}/v1/presign`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token.stdout.trim()}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ method: "GET", key: "a.txt" }),
      });
    const ok = await presign();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { key: string }).key).toBe(`${id}/users/carol/a.txt`);

    expect(edgesign(["tenant", "revoke", id], admin).code).toBe(0);
    expect((await presign()).status).toBe(401);

    const refused = edgesign(
      ["tenant", "put", id, "--file", "-"],
      admin,
      JSON.stringify({ ...record, prefix: "no-slash" }),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/400 invalid_request: .*\(field prefix\)/);
    expectNoStack(refused.stderr);

    expect(edgesign(["tenant", "delete", id], admin).code).toBe(0);
    const gone = edgesign(["tenant", "get", id], admin);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/404 not_found/);
  });

  it("exits 1 for a wrong admin token and 3 for an unreachable gateway, without stacks", () => {
    const wrong = edgesign(["tenant", "get", "x"], { EDGESIGN_ADMIN_TOKEN: "wrong" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/401 unauthorized/);
    const down = edgesign(["tenant", "get", "x", "--gateway", "http://127.0.0.1:59998"], admin);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot reach/);
    expectNoStack(down.stderr);
  });

  it("prints a CORS configuration that radosgw accepts and whose preflight admits uploads", async () => {
    const origin = "https://app.example";
    const json = edgesign(["cors", "--origin", origin, "--origin", "http://localhost:5173"]);
    expect(json.code).toBe(0);
    const rule = (JSON.parse(json.stdout) as { CORSRules: Record<string, string[]>[] })
      .CORSRules[0];
    expect(rule?.AllowedMethods).toEqual(expect.arrayContaining(["PUT", "POST", "GET", "HEAD"]));
    expect(rule?.ExposeHeaders).toEqual(["ETag"]);
    expect(rule?.AllowedHeaders).toEqual(
      expect.arrayContaining(["content-type", "x-amz-checksum-sha256", "x-amz-content-sha256"]),
    );

    const xml = edgesign(["cors", "--origin", origin, "--format", "xml"]).stdout;
    const s3 = new AwsClient({
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? "",
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? "",
      service: "s3",
      region: S3.region,
      retries: 0,
    });
    const bucketUrl = `${S3.endpoint}/${S3.bucketB}`;
    const applied = await s3.fetch(`${bucketUrl}?cors=`, {
      method: "PUT",
      headers: {
        "Content-Type": "application/xml",
        "Content-MD5": createHash("md5").update(xml).digest("base64"),
      },
      body: xml,
    });
    expect(applied.status, await applied.text()).toBe(200);

    const preflight = (method: string, headers: string, from = origin) =>
      fetch(`${bucketUrl}/any/key.bin?partNumber=1&uploadId=x`, {
        method: "OPTIONS",
        headers: {
          Origin: from,
          "Access-Control-Request-Method": method,
          "Access-Control-Request-Headers": headers,
        },
      });
    const allowed = await preflight("PUT", "content-type,x-amz-content-sha256");
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(origin);
    expect(allowed.headers.get("access-control-allow-methods")).toMatch(/PUT/);
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/ETag/i);
    const stranger = await preflight("PUT", "content-type", "https://evil.example");
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });
});
