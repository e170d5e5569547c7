/** Admin API (docs/api.md, "Admin endpoints"): tenants in KV, guarded by ADMIN_TOKEN. */
import { createRoute, z } from "@hono/zod-openapi";
import { GatewayError } from "../errors";
import { TenantId, TenantRecord } from "../tenants/schema";
import { deleteTenant, getTenant, putTenant } from "../tenants/store";
import { BEARER, jsonBodyOf, newRouter, problemResponses } from "./common";

const params = z.object({ id: TenantId });
const ADMIN_ERRORS = problemResponses(400, 401, 404, 413, 415, 503);
const tenantBody = { "application/json": { schema: TenantRecord } };

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
  security: BEARER,
  request: { params },
  responses: {
    200: {
      description: "The new revocation time",
      content: {
        "application/json": {
          schema: z.object({ id: z.string(), revokedBefore: z.number().int() }),
        },
      },
    },
    ...ADMIN_ERRORS,
  },
});

export const admin = newRouter()
  .openapi(putRoute, async (c) => {
    const { id } = c.req.valid("param");
    const record = c.req.valid("json");
    if (record.id !== id) {
      throw new GatewayError("invalid_request", "id: must equal the id in the path", {
        field: "id",
      });
    }
    await putTenant(c.env.KV, record);
    return c.json(record, 200);
  })
  .openapi(getRoute, async (c) => {
    const record = await existingTenant(c.env.KV, c.req.valid("param").id);
    return c.json(record, 200);
  })
  .openapi(deleteRoute, async (c) => {
    await deleteTenant(c.env.KV, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(revokeRoute, async (c) => {
    const record = await existingTenant(c.env.KV, c.req.valid("param").id);
    // `iat < revokedBefore` is refused; +1 s also catches tokens minted earlier in this second.
    const revokedBefore = Math.floor(Date.now() / 1000) + 1;
    await putTenant(c.env.KV, { ...record, auth: { ...record.auth, revokedBefore } });
    return c.json({ id: record.id, revokedBefore }, 200);
  });

async function existingTenant(kv: KVNamespace, id: string): Promise<TenantRecord> {
  const record = await getTenant(kv, id);
  if (record === null) throw new GatewayError("not_found", `no tenant '${id}'`);
  return record;
}
