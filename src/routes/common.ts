/** OpenAPI pieces shared by the route files. */
import type { Context } from "hono";
import * as v from "valibot";
import { component, integer, Router } from "../openapi/route";
import {
  emitInputOf,
  meterInputOf,
  validationError,
  waitUntilOf,
  type AppEnv,
} from "../middleware";
import { chargeRateLimit } from "../ratelimit";
import type { CallContext } from "../signing/service";
import { PROBLEMS } from "../errors";
import { meterUsage } from "../usage/meter";
import { emit } from "../events/emit";

export const ProblemSchema = component(
  "Problem",
  v.object({
    type: v.string(),
    title: v.string(),
    status: integer(),
    detail: v.string(),
    code: v.picklist(Object.keys(PROBLEMS) as (keyof typeof PROBLEMS)[]),
    requestId: v.string(),
    field: v.optional(v.string()),
  }),
);

/** The problem+json responses a route may give, for the OpenAPI document. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: Object.values(PROBLEMS).find((p) => p.status === status)?.title ?? "Error",
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
    ]),
  );
}

export function jsonBodyOf<T extends v.GenericSchema>(schema: T) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

export const BEARER = [{ bearerAuth: [] }];

/** A route group whose request validation failures become 400 problems naming the field. */
export function newRouter(): Router<AppEnv> {
  return new Router<AppEnv>((issues) => validationError(issues));
}

/**
 * Charges `cost` URLs to the caller's tenant and subject windows and puts the RateLimit headers
 * on the response (a refusal throws 429 carrying them).
 */
export async function chargeCaller(c: Context<AppEnv>, cost: number): Promise<void> {
  const { tenant, sub } = c.get("principal");
  const headers = await chargeRateLimit({
    env: c.env,
    tenant,
    sub,
    cost,
    nowMs: c.get("now").getTime(),
    waitUntil: waitUntilOf(c),
    requestId: c.get("requestId"),
  });
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
}

/** The services' view of an authenticated request. */
export function callOf(c: Context<AppEnv>): CallContext {
  const principal = c.get("principal");
  return {
    env: c.env,
    principal,
    requestId: c.get("requestId"),
    now: c.get("now"),
    meter: (counts) => meterUsage(meterInputOf(c, principal), counts),
    emit: (event) => emit(emitInputOf(c, principal.tenant, principal.sub, c.get("now")), event),
  };
}
