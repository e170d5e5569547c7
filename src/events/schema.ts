/**
 * Upload events (docs/webhooks.md): the payload each delivery carries (the types a webhook
 * subscribes to are in ./types.ts), as one schema (the OpenAPI component `WebhookEvent`, the
 * TypeScript types, and what the tests check deliveries against). The payload follows the
 * Standard Webhooks recommendation: `{ type, timestamp, data }`.
 */
import * as v from "valibot";
import { component, documented, integerIn } from "../openapi/route";
import { CHECKSUM_ALGORITHMS } from "../s3/providers";
import type { EventType } from "./types";

const Base = {
  tenant: v.string(),
  /** The caller's subject (the token's `sub`). */
  sub: v.optional(v.string()),
};

const UploadCompleted = v.object({
  ...Base,
  bucket: v.pipe(v.string(), documented({ description: "The tenant's bucket alias" })),
  key: v.pipe(v.string(), documented({ description: "The full object key" })),
  size: integerIn(0, Number.MAX_SAFE_INTEGER),
  etag: v.string(),
  contentType: v.optional(v.string()),
  checksum: v.optional(v.object({ algorithm: v.picklist(CHECKSUM_ALGORITHMS), value: v.string() })),
  via: v.pipe(
    v.picklist(["multipart", "confirm"]),
    documented({
      description:
        "multipart: the gateway completed the upload; confirm: POST /v1/uploads/confirm found the object",
    }),
  ),
});

const LinkEvent = v.object({
  ...Base,
  bucket: v.string(),
  key: v.string(),
  expiresAt: v.string(),
});

const TenantRevoked = v.object({
  tenant: v.string(),
  revokedBefore: v.pipe(
    v.string(),
    documented({ description: "Tokens and links issued before this time are refused" }),
  ),
});

const envelope = <T extends EventType, D extends v.GenericSchema>(type: T, data: D) =>
  v.object({
    type: v.literal(type),
    timestamp: v.pipe(v.string(), documented({ example: "2026-11-28T10:00:00.000Z" })),
    data,
  });

export const WebhookEvent = component(
  "WebhookEvent",
  v.variant("type", [
    envelope("upload.completed", UploadCompleted),
    envelope("link.created", LinkEvent),
    envelope("link.deleted", LinkEvent),
    envelope("tenant.revoked", TenantRevoked),
  ]),
);
export type WebhookEvent = v.InferOutput<typeof WebhookEvent>;
/** An event before it is stamped: what the services emit. */
export type GatewayEvent = WebhookEvent extends infer E
  ? E extends { type: infer T; data: infer D }
    ? { type: T; data: D }
    : never
  : never;
