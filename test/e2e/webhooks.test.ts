/**
 * Upload events end to end (docs/webhooks.md): the gateway under `wrangler dev` enqueues, its own
 * queue consumer delivers to a Node receiver on loopback, which verifies every delivery with the
 * `standardwebhooks` package as a tenant's server would. scripts/e2e.mjs sets
 * WEBHOOK_RETRY_SECONDS=0 (retries at once) and the secret WEBHOOK_E2E.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edgesign } from "../../src/client/index";
import {
  ADMIN_TOKEN,
  api,
  createTenant,
  GATEWAY_URL,
  RUN,
  S3,
  s3Request,
  type TestTenant,
} from "./support";

const SECRET = process.env.WEBHOOK_E2E ?? "";
const verifier = new Webhook(SECRET);

interface Delivery {
  path: string;
  id: string;
  event: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** A receiver on 127.0.0.1: `/flaky` answers 500 twice, then 200; every other path 200. */
let server: Server;
let receiverUrl: string;
/** A loopback port nothing listens on: a receiver that is always down. */
let downUrl: string;
const deliveries: Delivery[] = [];
const unverified: IncomingHttpHeaders[] = [];
let flakyAttempts = 0;

function listen(target: Server): Promise<number> {
  return new Promise((resolve) =>
    target.listen(0, "127.0.0.1", () => resolve((target.address() as AddressInfo).port)),
  );
}

async function until<T>(what: string, read: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function totals(id: string): Promise<Record<string, number>> {
  const res = await fetch(`${GATEWAY_URL}/admin/tenants/${id}/usage`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { totals: Record<string, number> }).totals;
}

function hook(path: string, events: string[]) {
  return [{ url: `${receiverUrl}${path}`, events, secret: "WEBHOOK_E2E" }];
}

let down: TestTenant;

beforeAll(async () => {
  expect(SECRET).toMatch(/^whsec_/);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let event: Delivery["event"];
      try {
        event = verifier.verify(body, req.headers as Record<string, string>) as Delivery["event"];
      } catch {
        unverified.push(req.headers);
        res.writeHead(400).end();
        return;
      }
      const path = req.url ?? "/";
      deliveries.push({ path, id: String(req.headers["webhook-id"]), event });
      if (path === "/flaky" && ++flakyAttempts <= 2) {
        res.writeHead(500).end("not yet");
        return;
      }
      res.writeHead(204).end();
    });
  });
  receiverUrl = `http://127.0.0.1:${await listen(server)}`;
  const closed = createServer();
  downUrl = `http://127.0.0.1:${await listen(closed)}`;
  await new Promise((resolve) => closed.close(resolve));

  // Started first: its 11 attempts and the dead-letter queue run while the other tests do.
  down = await createTenant(`e2e-hooks-down-${RUN}`, S3.bucket, {
    webhooks: [{ url: `${downUrl}/never`, events: ["link.created"], secret: "WEBHOOK_E2E" }],
  });
  const link = await api(await down.token(), "/v1/links", { key: "down.txt", ttl: 60 });
  expect(link.status, JSON.stringify(link.json)).toBe(201);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("webhooks against the gateway's own queue", () => {
  it("refuses a webhook URL on the gateway itself", async () => {
    const res = await fetch(`${GATEWAY_URL}/admin/tenants/e2e-hooks-self-${RUN}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        id: `e2e-hooks-self-${RUN}`,
        auth: { hmacSecret: null, jwksUrl: "https://issuer.example/jwks.json" },
        prefix: "self/",
        buckets: {
          path: {
            endpoint: S3.endpoint,
            bucket: S3.bucket,
            style: "path",
            credentials: "S3_E2E",
          },
        },
        defaultBucket: "path",
        webhooks: [{ url: `${GATEWAY_URL}/hook`, events: ["link.created"], secret: "WEBHOOK_E2E" }],
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { field: string }).field).toBe("webhooks.0.url");
  });

  it("a multipart upload completed through the gateway is one signed upload.completed with its size", async () => {
    const tenant = await createTenant(`e2e-hooks-mp-${RUN}`, S3.bucket, {
      webhooks: hook("/multipart", ["upload.completed"]),
    });
    const token = await tenant.token();
    const body = randomBytes(1_234_567);
    const created = await api(token, "/v1/uploads/multipart", { key: "hook.bin" });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const { uploadId } = created.json as { uploadId: string };
    const signed = await api(token, "/v1/uploads/multipart/sign-parts", {
      key: "hook.bin",
      uploadId,
      partNumbers: [1],
    });
    const put = await s3Request(signed.json.parts[0].url, { method: "PUT", body });
    expect(put.status).toBe(200);
    const done = await api(token, "/v1/uploads/multipart/complete", {
      key: "hook.bin",
      uploadId,
      parts: [{ partNumber: 1, etag: String(put.headers.etag) }],
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);

    const delivery = await until("the multipart upload.completed", () =>
      deliveries.find((d) => d.path === "/multipart"),
    );
    expect(delivery.event).toMatchObject({
      type: "upload.completed",
      data: {
        tenant: tenant.id,
        sub: "alice",
        bucket: "path",
        key: done.json.key,
        size: body.length,
        via: "multipart",
      },
    });
    // Exactly one: give a duplicate time to arrive, then count.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(deliveries.filter((d) => d.path === "/multipart")).toHaveLength(1);
    expect(unverified).toEqual([]);
  });

  it("the client's uploadFile confirms a presigned PUT: one upload.completed with the size S3 holds", async () => {
    const tenant = await createTenant(`e2e-hooks-put-${RUN}`, S3.bucket, {
      webhooks: hook("/put", ["upload.completed"]),
    });
    const client = edgesign({ gateway: GATEWAY_URL, token: () => tenant.token() });
    const body = randomBytes(4321);
    const result = await client.uploadFile(new Blob([body], { type: "application/octet-stream" }), {
      key: "put.bin",
    });
    expect(result).toMatchObject({ confirmed: true, size: 4321, multipart: false });

    const delivery = await until("the confirm's upload.completed", () =>
      deliveries.find((d) => d.path === "/put"),
    );
    expect(delivery.event.data).toMatchObject({
      key: result.key,
      size: 4321,
      etag: result.etag,
      contentType: "application/octet-stream",
      via: "confirm",
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(deliveries.filter((d) => d.path === "/put")).toHaveLength(1);

    // A key nothing was uploaded to: 404, and no event.
    const missing = await api(await tenant.token(), "/v1/uploads/confirm", { key: "none.bin" });
    expect(missing.status).toBe(404);
    expect((await totals(tenant.id))["uploads.completed"]).toBe(1);
  });

  it("retries a receiver answering 500, 500, then 200: three signed attempts of one message", async () => {
    const tenant = await createTenant(`e2e-hooks-flaky-${RUN}`, S3.bucket, {
      webhooks: hook("/flaky", ["link.created"]),
    });
    const link = await api(await tenant.token(), "/v1/links", { key: "flaky.txt", ttl: 60 });
    expect(link.status).toBe(201);
    const attempts = await until("three attempts", () => {
      const seen = deliveries.filter((d) => d.path === "/flaky");
      return seen.length >= 3 ? seen : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(deliveries.filter((d) => d.path === "/flaky")).toHaveLength(3);
    // One message: the same webhook-id on every attempt, for the receiver's deduplication.
    expect(new Set(attempts.map((d) => d.id)).size).toBe(1);
    expect(attempts[0]?.event).toMatchObject({
      type: "link.created",
      data: { tenant: tenant.id, key: `${tenant.id}/users/alice/flaky.txt` },
    });
    const counts = await until("the delivery counts", async () => {
      const counted = await totals(tenant.id);
      return counted["webhooks.delivered"] === 1 ? counted : undefined;
    });
    expect(counts).toMatchObject({ "webhooks.failed": 2, "webhooks.delivered": 1 });
  });

  it("a receiver that is always down: 11 attempts, then the dead-letter queue, counted", async () => {
    const counts = await until("the dead letter", async () => {
      const counted = await totals(down.id);
      return counted["webhooks.dead"] === 1 ? counted : undefined;
    });
    expect(counts).toMatchObject({ "webhooks.failed": 11, "webhooks.dead": 1 });
    expect(counts["webhooks.delivered"]).toBeUndefined();
  });
});
