/**
 * The consumer side of upload events (docs/webhooks.md, "Delivery"). The Worker consumes its own
 * queue: each message is one event for one webhook, POSTed with Standard Webhooks headers.
 *
 * - A 2xx answer acknowledges the message. Anything else (another status, a redirect, which is
 *   never followed, a network error, no answer within DELIVERY_TIMEOUT_MS, the secret unusable)
 *   retries it after WEBHOOK_RETRY_SECONDS × 2^(attempt − 1), at most MAX_RETRY_DELAY_SECONDS;
 *   after the consumer's `max_retries` (wrangler.toml) the queue moves it to the dead-letter
 *   queue, whose consumer (`deadLetters`) logs each message with its payload and counts it.
 * - The answer's body is never read: a receiver cannot make the gateway hold or buffer anything.
 * - A webhook URL on the gateway's own host (as the event's request saw it) is not called: the
 *   message is dead at once, logged with its payload.
 * Each outcome is counted in the tenant's usage (`webhooks.delivered|failed|dead`), one call to
 * the tenant's object per batch.
 */
import * as v from "valibot";
import { withDeadline } from "../deadline";
import { checkSecret, type Env } from "../env";
import { logError, logInfo } from "../log";
import { hourOf, rowsOf, type Counts, type WebhookOutcome } from "../usage/metrics";
import { objectOf } from "../usage/meter";
import type { EventMessage } from "./emit";
import { EVENT_TYPES } from "./types";
import { signWebhook } from "./signature";

/** The queue names of wrangler.toml: events, and where the queue moves what it gave up on. */
export const EVENTS_QUEUE = "edgesign-events";
export const DEAD_LETTER_QUEUE = "edgesign-events-dlq";

/** How long one delivery may take, connection to status line. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Default of the `WEBHOOK_RETRY_SECONDS` var: the first retry's delay. */
export const DEFAULT_RETRY_SECONDS = 10;
/** No retry waits longer than an hour. */
export const MAX_RETRY_DELAY_SECONDS = 3600;

const Message = v.object({
  id: v.string(),
  tenant: v.string(),
  generation: v.string(),
  type: v.picklist(EVENT_TYPES),
  url: v.string(),
  secret: v.string(),
  gatewayHost: v.string(),
  payload: v.string(),
}) satisfies v.GenericSchema<unknown, EventMessage>;

/** The delay before attempt `attempts + 1`: exponential from `baseSeconds`, capped at an hour. */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return Math.min(baseSeconds * 2 ** Math.max(attempts - 1, 0), MAX_RETRY_DELAY_SECONDS);
}

/** `WEBHOOK_RETRY_SECONDS` as whole seconds in [0, 3600] (Queues delays are whole seconds). */
export function retryBase(env: Env): number {
  const text = env.WEBHOOK_RETRY_SECONDS ?? "";
  const seconds = Number(text);
  return text !== "" && Number.isInteger(seconds) && seconds >= 0
    ? Math.min(seconds, MAX_RETRY_DELAY_SECONDS)
    : DEFAULT_RETRY_SECONDS;
}

type Outcome = { ok: true; status: number } | { ok: false; dead: boolean; problem: string };

/** One attempt: signs with the secret's current value and POSTs the payload. */
export async function deliver(env: Env, message: EventMessage, now: Date): Promise<Outcome> {
  const url = new URL(message.url);
  if (url.host === message.gatewayHost) {
    return { ok: false, dead: true, problem: "the webhook URL is the gateway itself" };
  }
  const secret = checkSecret(env, message.secret, "webhook");
  if (!secret.ok) return { ok: false, dead: false, problem: secret.problem };
  const signed = await signWebhook(
    secret.value,
    message.id,
    Math.floor(now.getTime() / 1000),
    message.payload,
  );
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "edgesign", ...signed },
      body: message.payload,
      // A redirect could lead anywhere the URL rule refuses: it is a failed attempt.
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, dead: false, problem: `HTTP ${res.status}` };
  } catch (error) {
    // The error's kind, not its text: the text may hold the URL.
    return { ok: false, dead: false, problem: error instanceof Error ? error.name : "Error" };
  }
}

/** Counts per tenant object (`<tenant>:<generation>`), recorded once per batch. */
class BatchCounts {
  readonly #byObject = new Map<string, { id: string; generation: string; counts: Counts }>();

  add(message: Pick<EventMessage, "tenant" | "generation">, outcome: WebhookOutcome): void {
    const name = `${message.tenant}:${message.generation}`;
    let entry = this.#byObject.get(name);
    if (entry === undefined) {
      entry = { id: message.tenant, generation: message.generation, counts: {} };
      this.#byObject.set(name, entry);
    }
    const metric = `webhooks.${outcome}` as const;
    entry.counts[metric] = (entry.counts[metric] ?? 0) + 1;
  }

  async record(env: Env, now: Date): Promise<void> {
    await Promise.all(
      [...this.#byObject.values()].map(async (entry) => {
        try {
          await withDeadline(
            objectOf(env, entry).recordUsage(
              rowsOf(entry.counts, hourOf(now.getTime()), undefined),
            ),
            "the usage store",
          );
        } catch (error) {
          logError("usage_dropped", {
            tenant: entry.id,
            counts: JSON.stringify(entry.counts),
            error: String(error),
          });
        }
      }),
    );
  }
}

/** The `queue` handler: events are delivered, dead letters logged; both counted. */
export async function handleQueue(
  batch: MessageBatch<unknown>,
  env: Env,
  now: () => Date = () => new Date(),
): Promise<void> {
  const counts = new BatchCounts();
  const dead = batch.queue === DEAD_LETTER_QUEUE;
  await Promise.all(
    batch.messages.map(async (queued) => {
      const parsed = v.safeParse(Message, queued.body);
      if (!parsed.success) {
        // Not ours to deliver, and retrying cannot make it readable.
        logError("event_unreadable", { queue: batch.queue, messageId: queued.id });
        queued.ack();
        return;
      }
      const message = parsed.output;
      if (dead) {
        logDead(message, `gave up after ${queued.attempts} attempts of the events queue`);
        counts.add(message, "dead");
        queued.ack();
        return;
      }
      const outcome = await deliver(env, message, now());
      if (outcome.ok) {
        logInfo("webhook_delivered", {
          tenant: message.tenant,
          type: message.type,
          webhookId: message.id,
          host: new URL(message.url).host,
          attempt: queued.attempts,
          status: outcome.status,
        });
        counts.add(message, "delivered");
        queued.ack();
      } else if (outcome.dead) {
        logDead(message, outcome.problem);
        counts.add(message, "dead");
        queued.ack();
      } else {
        const delaySeconds = retryDelaySeconds(queued.attempts, retryBase(env));
        logError("webhook_failed", {
          tenant: message.tenant,
          type: message.type,
          webhookId: message.id,
          host: new URL(message.url).host,
          attempt: queued.attempts,
          problem: outcome.problem,
          retryIn: delaySeconds,
        });
        counts.add(message, "failed");
        queued.retry({ delaySeconds });
      }
    }),
  );
  await counts.record(env, now());
}

/** The record of a message given up: everything but the secret's value, payload included. */
function logDead(message: EventMessage, problem: string): void {
  logError("webhook_dead", {
    tenant: message.tenant,
    type: message.type,
    webhookId: message.id,
    host: new URL(message.url).host,
    problem,
    payload: message.payload,
  });
}
