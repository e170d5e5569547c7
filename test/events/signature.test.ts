import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signWebhook, webhookKey } from "../../src/events/signature";
import { TEST_SECRETS } from "../secrets";
import vector from "../vectors/standard-webhooks.json";

describe("Standard Webhooks signatures", () => {
  it("reproduces the reference libraries' published signature", async () => {
    const key = webhookKey(vector.secret);
    expect(key).toBeDefined();
    const signed = await signWebhook(key!, vector.id, vector.timestamp, vector.payload);
    expect(signed).toEqual({
      "webhook-id": vector.id,
      "webhook-timestamp": String(vector.timestamp),
      "webhook-signature": vector.signature,
    });
    // The receiver's library agrees on the same inputs.
    expect(
      new Webhook(vector.secret).sign(vector.id, new Date(vector.timestamp * 1000), vector.payload),
    ).toBe(vector.signature);
  });

  it("signs what the standardwebhooks package verifies, and nothing else", async () => {
    const body = JSON.stringify({ type: "upload.completed", data: { size: 3, key: "é/ü.bin" } });
    const now = Math.floor(Date.now() / 1000);
    const headers = await signWebhook(webhookKey(TEST_SECRETS.WEBHOOK_TEST)!, "msg_1", now, body);
    const receiver = new Webhook(TEST_SECRETS.WEBHOOK_TEST);
    expect(receiver.verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => receiver.verify(body.replace("3", "4"), { ...headers })).toThrow(/signature/i);
    expect(() => new Webhook(vector.secret).verify(body, { ...headers })).toThrow(/signature/i);
  });

  it("accepts whsec_ secrets of 24 to 64 bytes only", () => {
    expect(webhookKey(TEST_SECRETS.WEBHOOK_TEST)?.byteLength).toBe(36);
    expect(webhookKey(`whsec_${btoa("k".repeat(24))}`)?.byteLength).toBe(24);
    expect(webhookKey(`whsec_${btoa("k".repeat(64))}`)?.byteLength).toBe(64);
    expect(webhookKey(`whsec_${btoa("k".repeat(65))}`)).toBeUndefined();
    expect(webhookKey(TEST_SECRETS.WEBHOOK_SHORT)).toBeUndefined();
    expect(webhookKey(btoa("k".repeat(32)))).toBeUndefined(); // no prefix
    expect(webhookKey("whsec_not base64!!")).toBeUndefined();
    expect(webhookKey("whsec_")).toBeUndefined();
  });
});
