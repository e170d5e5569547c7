/**
 * The producer side of upload events (docs/webhooks.md): a service that makes an event calls
 * `emit`, which puts one queue message per subscribed webhook on the `EVENTS` queue.
 *
 * The send is handed to `waitUntil`, not awaited: a response never waits for the queue (a send
 * is a few ms, and the client's upload is done whatever happens to its event). A send that
 * fails is not lost silently: it is an ERROR line `event_unsent` carrying the whole payload, and
 * counted as `webhooks.unsent` in the tenant's usage.
 */
import type { Env } from "../env";
import { logError } from "../log";
import type { Tenant } from "../tenants/store";
import { meterUsage } from "../usage/meter";
import type { GatewayEvent } from "./schema";
import type { EventType } from "./types";

/** One delivery: an event for one webhook. Everything the consumer needs, but secret values. */
export interface EventMessage {
  /** `webhook-id`: one per event and webhook, the same on every retry (for deduplication). */
  id: string;
  tenant: string;
  generation: string;
  type: EventType;
  url: string;
  /** The name of the Worker secret holding the webhook's `whsec_` secret, read at delivery. */
  secret: string;
  /** The host of the request that made the event: a webhook URL there is never called. */
  gatewayHost: string;
  /** The JSON body, exactly as signed and sent. */
  payload: string;
}

export interface EmitInput {
  env: Env;
  tenant: Tenant;
  /** For the usage count of an unsent event. */
  sub: string | undefined;
  gatewayHost: string;
  now: Date;
  requestId: string;
  waitUntil: (promise: Promise<unknown>) => void;
}

/** The queue messages of `event` for the tenant's webhooks that subscribe to its type. */
export function eventMessages(
  input: Pick<EmitInput, "tenant" | "gatewayHost" | "now">,
  event: GatewayEvent,
): EventMessage[] {
  const hooks = (input.tenant.webhooks ?? []).filter((hook) => hook.events.includes(event.type));
  if (hooks.length === 0) return [];
  const payload = JSON.stringify({
    type: event.type,
    timestamp: input.now.toISOString(),
    data: event.data,
  });
  return hooks.map((hook) => ({
    id: `msg_${crypto.randomUUID().replaceAll("-", "")}`,
    tenant: input.tenant.id,
    generation: input.tenant.generation,
    type: event.type,
    url: hook.url,
    secret: hook.secret,
    gatewayHost: input.gatewayHost,
    payload,
  }));
}

/** Enqueues `event` for every webhook of the tenant that wants it; returns at once. */
export function emit(input: EmitInput, event: GatewayEvent): void {
  const messages = eventMessages(input, event);
  if (messages.length === 0) return;
  const queue = input.env.EVENTS as Queue<EventMessage>;
  input.waitUntil(
    queue
      .sendBatch(messages.map((body) => ({ body, contentType: "json" })))
      .catch(async (error: unknown) => {
        logError("event_unsent", {
          requestId: input.requestId,
          tenant: input.tenant.id,
          type: event.type,
          webhooks: messages.length,
          payload: messages[0]?.payload,
          error: String(error),
        });
        await meterUsage(
          { ...input, nowMs: input.now.getTime() },
          { "webhooks.unsent": messages.length },
        );
      }),
  );
}

/** The tenant and subject an event of a caller names. */
export function eventSubject(call: { principal: { tenant: { id: string }; sub: string } }) {
  return { tenant: call.principal.tenant.id, sub: call.principal.sub };
}
