/** Admin API (docs/api.md, "Admin endpoints"): tenants in KV, guarded by ADMIN_TOKEN. */
import * as v from "valibot";
import { checkSecret, type Env, type SecretPurpose } from "../env";
import { GatewayError } from "../errors";
import { createRoute } from "../openapi/route";
import { listTenants, TenantList, TenantListQuery } from "../tenants/list";
import { TenantId, TenantRecord } from "../tenants/schema";
import { deleteTenant, putTenant, readTenant, recordOf, revokeTenant } from "../tenants/store";
import { usageReport } from "../usage/report";
import { UsageQuery, UsageReport } from "../usage/schema";
import { emit } from "../events/emit";
import { emitInputOf } from "../middleware";
import { BEARER, jsonBodyOf, newRouter, problemResponses } from "./common";

const params = v.object({ id: TenantId });
const ADMIN_ERRORS = problemResponses(400, 401, 404, 413, 415, 503);
const tenantBody = { "application/json": { schema: TenantRecord } };
const usageBody = { "application/json": { schema: UsageReport } };

const listRoute = createRoute({
  method: "get",
  path: "/admin/tenants",
  summary: "List tenants, a page at a time",
  description:
    "Tenant ids in byte order, at most `limit` (default and maximum 100) per page, each with " +
    "`disabled` when the stored record's KV metadata carries it; `cursor` fetches the next page.",
  security: BEARER,
  request: { query: TenantListQuery },
  responses: {
    200: { description: "One page", content: { "application/json": { schema: TenantList } } },
    ...ADMIN_ERRORS,
  },
});

const putRoute = createRoute({
  method: "put",
  path: "/admin/tenants/{id}",
  summary: "Create or replace a tenant",
  security: BEARER,
  request: { params, body: jsonBodyOf(TenantRecord) },
  responses: { 200: { description: "The stored record", content: tenantBody }, ...ADMIN_ERRORS },
});

const getRoute = createRoute({
  method: "get",
  path: "/admin/tenants/{id}",
  summary: "Read a tenant",
  security: BEARER,
  request: { params },
  responses: { 200: { description: "The record", content: tenantBody }, ...ADMIN_ERRORS },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/admin/tenants/{id}",
  summary: "Delete a tenant (idempotent)",
  security: BEARER,
  request: { params },
  responses: { 204: { description: "Deleted" }, ...ADMIN_ERRORS },
});

const revokeRoute = createRoute({
  method: "post",
  path: "/admin/tenants/{id}/revoke",
  summary: "Refuse every token issued up to now",
  description:
    "Raises the tenant's revocation floor (kept apart from the record, so no PUT can lower it) " +
    "and answers the record as KV has it now, with the effective `auth.revokedBefore`.",
  security: BEARER,
  request: { params },
  responses: {
    200: { description: "The current record, with the new revocation time", content: tenantBody },
    ...ADMIN_ERRORS,
  },
});

const usageRoute = createRoute({
  method: "get",
  path: "/admin/tenants/{id}/usage",
  summary: "The tenant's usage, by hour or UTC day (docs/usage.md)",
  description:
    "Counts from the tenant's Durable Object, tenant-wide or for one `subject`, over " +
    "[from, to) (default: the last 24 hours, or the last 30 days by day), at most 91 days.",
  security: BEARER,
  request: { params, query: UsageQuery },
  responses: {
    200: { description: "Buckets in time order, and their totals", content: usageBody },
    ...ADMIN_ERRORS,
  },
});

export const admin = newRouter()
  .openapi(listRoute, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listTenants(c.env.KV, { cursor, limit: Number(limit) }), 200);
  })
  .openapi(putRoute, async (c) => {
    const { id } = c.req.valid("param");
    const record = c.req.valid("json");
    if (record.id !== id) {
      throw new GatewayError("invalid_request", "id: must equal the id in the path", {
        field: "id",
      });
    }
    requireUsableSecrets(c.env, record);
    refuseWebhooksToGateway(record, new URL(c.req.url).host);
    return c.json(recordOf(await putTenant(c.env.KV, record)), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(recordOf(found(id, await readTenant(c.env.KV, id))), 200);
  })
  .openapi(deleteRoute, async (c) => {
    await deleteTenant(c.env.KV, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    // `iat < revokedBefore` is refused; +1 s also catches tokens minted earlier in this second.
    const revokedBefore = Math.floor(Date.now() / 1000) + 1;
    const tenant = found(id, await revokeTenant(c.env.KV, id, revokedBefore));
    emit(emitInputOf(c, tenant, undefined, new Date()), {
      type: "tenant.revoked",
      data: { tenant: id, revokedBefore: new Date(revokedBefore * 1000).toISOString() },
    });
    return c.json(recordOf(tenant), 200);
  })
  .openapi(usageRoute, async (c) => {
    const tenant = found(
      c.req.valid("param").id,
      await readTenant(c.env.KV, c.req.valid("param").id),
    );
    return c.json(await usageReport(c.env, tenant, c.req.valid("query"), Date.now()), 200);
  });

function found<T>(id: string, tenant: T | null): T {
  if (tenant === null) throw new GatewayError("not_found", `no tenant '${id}'`);
  return tenant;
}

/** 400 naming the field unless every secret the record names is usable now (`checkSecret`). */
function requireUsableSecrets(env: Env, record: TenantRecord): void {
  const named: [field: string, name: string, purpose: SecretPurpose][] = Object.entries(
    record.buckets,
  ).map(([alias, bucket]) => [`buckets.${alias}.credentials`, bucket.credentials, "credentials"]);
  if (record.auth.hmacSecret !== null) {
    named.unshift(["auth.hmacSecret", record.auth.hmacSecret, "hmac"]);
  }
  for (const [index, hook] of (record.webhooks ?? []).entries()) {
    named.push([`webhooks.${index}.secret`, hook.secret, "webhook"]);
  }
  for (const [field, name, purpose] of named) {
    const checked = checkSecret(env, name, purpose);
    if (!checked.ok) {
      throw new GatewayError("invalid_request", `${field}: ${checked.problem}`, { field });
    }
  }
}

/**
 * 400 for a webhook on the admin request's own host: the gateway would call itself. Delivery
 * checks again against the host of the request that made each event (src/events/deliver.ts),
 * since a gateway may answer on several hosts.
 */
function refuseWebhooksToGateway(record: TenantRecord, gatewayHost: string): void {
  for (const [index, hook] of (record.webhooks ?? []).entries()) {
    if (new URL(hook.url).host === gatewayHost) {
      const field = `webhooks.${index}.url`;
      throw new GatewayError("invalid_request", `${field}: must not point at the gateway itself`, {
        field,
      });
    }
  }
}
