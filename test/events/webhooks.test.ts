/**
 * Upload events, in workerd: what each route enqueues (a fake EVENTS queue records the
 * messages), and what the queue handler does with them (a receiver stub verifies each delivery
 * with the `standardwebhooks` package, as a tenant's server would).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import type { EventMessage } from "../../src/events/emit";
import { DEAD_LETTER_QUEUE, EVENTS_QUEUE, retryDelaySeconds } from "../../src/events/deliver";
import worker from "../../src/index";
import { FakeS3 } from "../fake-s3";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  putTenant,
  storedTenant,
  tenantRecord,
} from "../helpers";
import { TEST_SECRETS } from "../secrets";
import { usageOf } from "../usage/support";

const HOOK = "https://hooks.example.com/edgesign";

function hook(events: string[], overrides: Record<string, unknown> = {}) {
  return { url: HOOK, events, secret: "WEBHOOK_TEST", ...overrides };
}

/** A tenant with `webhooks`, a token of its subject alice, and bindings whose queue records. */
async function setup(webhooks: unknown[], claims: Record<string, unknown> = {}) {
  const id = newTenantId();
  const key = await keyPair("EdDSA");
  await putTenant(tenantRecord(id, [key.publicJwk], { webhooks }));
  const token = await mintToken(key, { iss: id, claims });
  const sent: EventMessage[] = [];
  let failing = false;
  const queue = {
    sendBatch: async (messages: Iterable<{ body: EventMessage }>) => {
      if (failing) throw new Error("Queue send failed: internal error");
      for (const message of messages) sent.push(message.body);
    },
  };
  const bindings = { ...env, EVENTS: queue } as unknown as Record<string, unknown>;
  return { id, token, sent, bindings, failQueue: () => (failing = true) };
}

function payloadOf(message: EventMessage | undefined) {
  return JSON.parse(message?.payload ?? "null") as {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
  };
}

describe("tenant webhooks (admin API)", () => {
  async function put(webhooks: unknown[]) {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    return call(`/admin/tenants/${id}`, {
      method: "PUT",
      admin: true,
      body: tenantRecord(id, [key.publicJwk], { webhooks }),
    });
  }

  it("accepts https and loopback http URLs with a whsec_ secret", async () => {
    expect((await put([hook(["upload.completed"])])).status).toBe(200);
    expect((await put([hook(["link.created"], { url: "http://127.0.0.1:9/x" })])).status).toBe(200);
    expect((await put([hook(["link.created"], { url: "http://hooks.localhost/" })])).status).toBe(
      200,
    );
  });

  it("refuses plain http off loopback, an empty event list and unknown events, naming the field", async () => {
    const http = await expectProblem(
      await put([hook(["upload.completed"], { url: "http://hooks.example.com/" })]),
      400,
      "invalid_request",
    );
    expect(http.field).toBe("webhooks.0.url");
    expect((await expectProblem(await put([hook([])]), 400, "invalid_request")).field).toBe(
      "webhooks.0.events",
    );
    expect(
      (await expectProblem(await put([hook(["upload.started"])]), 400, "invalid_request")).field,
    ).toBe("webhooks.0.events.0");
  });

  it("refuses a secret that is not set, not whsec_, too short, or reserved", async () => {
    for (const [secret, problem] of [
      ["WEBHOOK_MISSING", /not set/],
      ["HMAC_TEST", /not a Standard Webhooks secret/],
      ["WEBHOOK_SHORT", /not a Standard Webhooks secret/],
      ["ADMIN_TOKEN", /reserved/],
    ] as const) {
      const res = await put([hook(["upload.completed"]), hook(["link.created"], { secret })]);
      const body = await expectProblem(res, 400, "invalid_request");
      expect(body.field).toBe("webhooks.1.secret");
      expect(body.detail).toMatch(problem);
    }
  });

  it("refuses a webhook on the gateway's own host", async () => {
    const res = await put([hook(["upload.completed"], { url: "https://gateway.test/hook" })]);
    expect((await expectProblem(res, 400, "invalid_request")).field).toBe("webhooks.0.url");
    // Another port is another host.
    expect(
      (await put([hook(["upload.completed"], { url: "https://gateway.test:8443/hook" })])).status,
    ).toBe(200);
  });
});

describe("events enqueued by the routes", () => {
  it("a multipart complete enqueues one upload.completed per subscribed webhook, with the size", async () => {
    const other = "https://other.example.com/in";
    const { id, token, sent, bindings } = await setup([
      hook(["upload.completed", "link.created"]),
      hook(["upload.completed"], { url: other }),
      hook(["link.deleted"], { url: "https://third.example.com/" }),
    ]);
    const s3 = new FakeS3().install();
    const created = await call(
      "/v1/uploads/multipart",
      { token, body: { key: "v.bin" } },
      bindings,
    );
    const { uploadId } = (await created.json()) as { uploadId: string };
    const etag = s3.addPart(uploadId, 1, 1234);
    const res = await call(
      "/v1/uploads/multipart/complete",
      { token, body: { key: "v.bin", uploadId, parts: [{ partNumber: 1, etag }] } },
      bindings,
    );
    expect(res.status).toBe(200);
    expect(sent.map((message) => message.url)).toEqual([HOOK, other]);
    const generation = (await storedTenant(id)).generation;
    for (const message of sent) {
      expect(message).toMatchObject({
        tenant: id,
        generation,
        type: "upload.completed",
        secret: "WEBHOOK_TEST",
        gatewayHost: "gateway.test",
      });
      expect(message.id).toMatch(/^msg_[0-9a-f]{32}$/);
    }
    expect(sent[0]?.id).not.toBe(sent[1]?.id);
    const payload = payloadOf(sent[0]);
    expect(payload).toEqual({
      type: "upload.completed",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        tenant: id,
        sub: "alice",
        bucket: "main",
        key: `${id}/users/alice/v.bin`,
        size: 1234,
        etag: expect.any(String),
        via: "multipart",
      },
    });
  });

  it("a tenant without webhooks, or none for the type, enqueues nothing", async () => {
    const { token, sent, bindings } = await setup([hook(["link.deleted"])]);
    const res = await call("/v1/links", { token, body: { key: "a", ttl: 60 } }, bindings);
    expect(res.status).toBe(201);
    expect(sent).toEqual([]);
  });

  it("links enqueue link.created and link.deleted, without the link's code", async () => {
    const { id, token, sent, bindings } = await setup([hook(["link.created", "link.deleted"])]);
    const res = await call("/v1/links", { token, body: { key: "a.txt", ttl: 60 } }, bindings);
    const { code } = (await res.json()) as { code: string };
    const deleted = await call(`/v1/links/${code}`, { token, method: "DELETE" }, bindings);
    expect(deleted.status).toBe(204);
    expect(sent.map((message) => message.type)).toEqual(["link.created", "link.deleted"]);
    for (const message of sent) {
      expect(payloadOf(message).data).toEqual({
        tenant: id,
        sub: "alice",
        bucket: "main",
        key: `${id}/users/alice/a.txt`,
        expiresAt: expect.any(String),
      });
      expect(message.payload).not.toContain(code);
    }
  });

  it("a revoke enqueues tenant.revoked with the new revocation time", async () => {
    const { id, sent, bindings } = await setup([hook(["tenant.revoked"])]);
    const res = await call(
      `/admin/tenants/${id}/revoke`,
      { method: "POST", admin: true },
      bindings,
    );
    const { auth } = (await res.json()) as { auth: { revokedBefore: number } };
    expect(sent).toHaveLength(1);
    expect(payloadOf(sent[0])).toMatchObject({
      type: "tenant.revoked",
      data: { tenant: id, revokedBefore: new Date(auth.revokedBefore * 1000).toISOString() },
    });
  });

  it("an event the queue refuses is logged with its payload and counted, and the answer stands", async () => {
    const { id, token, bindings, failQueue } = await setup([hook(["link.created"])]);
    failQueue();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call("/v1/links", { token, body: { key: "a", ttl: 60 } }, bindings);
    expect(res.status).toBe(201);
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    const unsent = lines.find((line) => line.event === "event_unsent");
    expect(unsent).toMatchObject({ tenant: id, type: "link.created", webhooks: 1 });
    expect(JSON.parse(unsent.payload)).toMatchObject({ type: "link.created" });
    expect((await usageOf(id)).totals).toMatchObject({ "webhooks.unsent": 1 });
  });
});

describe("POST /v1/uploads/confirm", () => {
  it("answers what S3 holds and enqueues upload.completed with it", async () => {
    const { id, token, sent, bindings } = await setup([hook(["upload.completed"])]);
    const s3 = new FakeS3().install();
    const bucket = `${id}-data`;
    s3.objects.set(`${bucket}/${id}/users/alice/photo.png`, {
      etag: '"abc123"',
      size: 4321,
      headers: { "content-type": "image/png", "x-amz-checksum-crc32": "yZRlqg==" },
    });
    const res = await call("/v1/uploads/confirm", { token, body: { key: "photo.png" } }, bindings);
    const result = await res.json();
    const expected = {
      key: `${id}/users/alice/photo.png`,
      bucket: "main",
      size: 4321,
      etag: '"abc123"',
      contentType: "image/png",
      checksum: { algorithm: "CRC32", value: "yZRlqg==" },
    };
    expect(res.status, JSON.stringify(result)).toBe(200);
    expect(result).toEqual(expected);
    const [head] = s3.callsOf("HeadObject");
    expect(head?.headers.get("x-amz-checksum-mode")).toBe("ENABLED");
    expect(sent).toHaveLength(1);
    expect(payloadOf(sent[0]).data).toEqual({
      tenant: id,
      sub: "alice",
      ...expected,
      via: "confirm",
    });
    expect((await usageOf(id)).totals).toMatchObject({ "uploads.completed": 1 });
  });

  it("answers 404 for a missing object and enqueues nothing", async () => {
    const { token, sent, bindings } = await setup([hook(["upload.completed"])]);
    new FakeS3().install();
    const res = await call("/v1/uploads/confirm", { token, body: { key: "none" } }, bindings);
    expect((await expectProblem(res, 404, "not_found")).detail).toMatch(/no such object/);
    expect(sent).toEqual([]);
  });

  it("needs a token granting put or post", async () => {
    const { token, sent, bindings } = await setup([hook(["upload.completed"])], { scope: "get" });
    const s3 = new FakeS3().install();
    const res = await call("/v1/uploads/confirm", { token, body: { key: "a" } }, bindings);
    await expectProblem(res, 403, "forbidden");
    expect(s3.calls).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe("delivery (the queue handler)", () => {
  interface Received {
    url: string;
    init: RequestInit;
    headers: Record<string, string>;
    body: string;
  }

  /** A receiver answering `statuses` in turn (then the last one), verifying every signature. */
  function receiver(statuses: (number | "down")[]) {
    const received: Received[] = [];
    const verified: unknown[] = [];
    /** The answers' bodies: chunks the gateway pulled, and whether it cancelled them. */
    const bodies = { pulled: 0, cancelled: 0 };
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
        const headers = Object.fromEntries(new Headers(init.headers).entries());
        const body = String(init.body);
        received.push({ url: String(input), init, headers, body });
        verified.push(new Webhook(TEST_SECRETS.WEBHOOK_TEST).verify(body, headers));
        const status = statuses[Math.min(received.length - 1, statuses.length - 1)];
        if (status === "down" || status === undefined) {
          throw new TypeError("Network connection lost.");
        }
        // A 1 MiB answer the gateway must not read (a null body where the status allows none).
        const large = new ReadableStream(
          {
            pull: (controller) => {
              bodies.pulled += 1;
              if (bodies.pulled > 16) controller.close();
              else controller.enqueue(new Uint8Array(65_536));
            },
            cancel: () => {
              bodies.cancelled += 1;
            },
          },
          { highWaterMark: 0 },
        );
        return new Response(status === 204 ? null : large, { status });
      }),
    );
    return { received, verified, bodies };
  }

  async function messageFor(
    id: string,
    overrides: Partial<EventMessage> = {},
  ): Promise<EventMessage> {
    return {
      id: `msg_${crypto.randomUUID().replaceAll("-", "")}`,
      tenant: id,
      generation: (await storedTenant(id)).generation,
      type: "upload.completed",
      url: HOOK,
      secret: "WEBHOOK_TEST",
      gatewayHost: "gateway.test",
      payload: JSON.stringify({ type: "upload.completed", timestamp: "t", data: { size: 7 } }),
      ...overrides,
    };
  }

  async function run(queue: string, messages: { body: EventMessage; attempts?: number }[]) {
    const batch = createMessageBatch(
      queue,
      messages.map(({ body, attempts }) => ({
        id: body.id,
        timestamp: new Date(),
        attempts: attempts ?? 1,
        body,
      })),
    );
    // getQueueResult names the retried messages, not their delays: those are read from the calls.
    const retried: { msgId: string; delaySeconds: number | undefined }[] = [];
    for (const message of batch.messages) {
      const retry = message.retry.bind(message);
      vi.spyOn(message, "retry").mockImplementation((options) => {
        retried.push({ msgId: message.id, delaySeconds: options?.delaySeconds });
        retry(options);
      });
    }
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((message) => message.msgId)).toEqual(
      retried.map((message) => message.msgId),
    );
    return { ...result, retryMessages: retried };
  }

  async function tenant() {
    const { id } = await setup([hook(["upload.completed"])]);
    return id;
  }

  it("POSTs the payload signed per Standard Webhooks, acknowledges a 2xx and counts it", async () => {
    const id = await tenant();
    const { received, verified } = receiver([204]);
    const message = await messageFor(id);
    const result = await run(EVENTS_QUEUE, [{ body: message }]);
    expect(result.explicitAcks).toEqual([message.id]);
    expect(result.retryMessages).toEqual([]);
    expect(received).toHaveLength(1);
    expect(received[0]?.url).toBe(HOOK);
    expect(received[0]?.init.method).toBe("POST");
    expect(received[0]?.headers["content-type"]).toBe("application/json");
    expect(received[0]?.headers["webhook-id"]).toBe(message.id);
    expect(received[0]?.body).toBe(message.payload);
    expect(verified).toEqual([JSON.parse(message.payload)]);
    expect((await usageOf(id)).totals).toEqual({ "webhooks.delivered": 1 });
  });

  it("never follows a redirect, bounds the wait, and never reads the answer", async () => {
    const id = await tenant();
    const { received, bodies } = receiver([302]);
    const message = await messageFor(id);
    const result = await run(EVENTS_QUEUE, [{ body: message }]);
    expect(bodies).toEqual({ pulled: 0, cancelled: 1 });
    expect(received[0]?.init.redirect).toBe("manual");
    expect(received[0]?.init.signal).toBeInstanceOf(AbortSignal);
    expect(result.retryMessages).toEqual([{ msgId: message.id, delaySeconds: 10 }]);
  });

  it("retries a non-2xx or a network failure with exponential backoff, and counts each failure", async () => {
    const id = await tenant();
    receiver([500]);
    const first = await messageFor(id);
    const third = await messageFor(id);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const result = await run(EVENTS_QUEUE, [
      { body: first, attempts: 1 },
      { body: third, attempts: 3 },
    ]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([
      { msgId: first.id, delaySeconds: 10 },
      { msgId: third.id, delaySeconds: 40 },
    ]);
    receiver(["down"]);
    const down = await messageFor(id);
    const again = await run(EVENTS_QUEUE, [{ body: down, attempts: 2 }]);
    expect(again.retryMessages).toEqual([{ msgId: down.id, delaySeconds: 20 }]);
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(lines.filter((line) => line.event === "webhook_failed" && line.tenant === id)).toEqual([
      expect.objectContaining({
        webhookId: first.id,
        attempt: 1,
        problem: "HTTP 500",
        retryIn: 10,
      }),
      expect.objectContaining({
        webhookId: third.id,
        attempt: 3,
        problem: "HTTP 500",
        retryIn: 40,
      }),
      expect.objectContaining({ webhookId: down.id, problem: "TypeError", retryIn: 20 }),
    ]);
    expect((await usageOf(id)).totals).toEqual({ "webhooks.failed": 3 });
  });

  it("backs off from WEBHOOK_RETRY_SECONDS, doubling, at most an hour", () => {
    expect([1, 2, 3, 4].map((attempts) => retryDelaySeconds(attempts, 10))).toEqual([
      10, 20, 40, 80,
    ]);
    expect(retryDelaySeconds(12, 10)).toBe(3600);
    expect(retryDelaySeconds(5, 0)).toBe(0);
  });

  it("retries while the webhook's secret is unusable, without calling the receiver", async () => {
    const id = await tenant();
    const { received } = receiver([200]);
    const message = await messageFor(id, { secret: "WEBHOOK_SHORT" });
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const result = await run(EVENTS_QUEUE, [{ body: message }]);
    expect(received).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: message.id, delaySeconds: 10 }]);
  });

  it("never calls the gateway's own host: the message is dead at once, logged with its payload", async () => {
    const id = await tenant();
    const { received } = receiver([200]);
    const message = await messageFor(id, { url: "https://gateway.test/hook" });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const result = await run(EVENTS_QUEUE, [{ body: message }]);
    expect(received).toEqual([]);
    expect(result.explicitAcks).toEqual([message.id]);
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(lines).toContainEqual(
      expect.objectContaining({
        event: "webhook_dead",
        webhookId: message.id,
        payload: message.payload,
      }),
    );
    expect((await usageOf(id)).totals).toEqual({ "webhooks.dead": 1 });
  });

  it("logs each dead letter as an ERROR with its payload, counts it, and acknowledges it", async () => {
    const id = await tenant();
    const { received } = receiver([200]);
    const message = await messageFor(id);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const result = await run(DEAD_LETTER_QUEUE, [{ body: message }]);
    expect(received).toEqual([]);
    expect(result.explicitAcks).toEqual([message.id]);
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        event: "webhook_dead",
        tenant: id,
        type: "upload.completed",
        webhookId: message.id,
        host: "hooks.example.com",
        payload: message.payload,
      }),
    );
    expect((await usageOf(id)).totals).toEqual({ "webhooks.dead": 1 });
  });

  it("acknowledges a message it cannot read, logging it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const batch = createMessageBatch(EVENTS_QUEUE, [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { hello: "world" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m1"]);
    expect(errors.mock.calls.map(([line]) => JSON.parse(String(line)).event)).toContain(
      "event_unreadable",
    );
  });
});
