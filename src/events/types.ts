/**
 * The event types a tenant's webhook may subscribe to, and how many webhooks it may have: the
 * constants the tenant record's schema needs, apart from the event payload schemas of
 * ./schema.ts (the OpenAPI component `WebhookEvent`), which only the full gateway and the
 * document use. Kept apart so those schemas are not built when an isolate starts
 * (docs/performance.md, "Cold start").
 */
export const EVENT_TYPES = [
  "upload.completed",
  "link.created",
  "link.deleted",
  "tenant.revoked",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Webhooks per tenant: each event is one queue message per subscribed webhook. */
export const MAX_WEBHOOKS = 8;
