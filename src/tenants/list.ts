/**
 * `GET /admin/tenants`: the tenants in KV, one page of `tenant:` keys at a time (KV lists keys in
 * byte order, up to 1,000 per call; we ask for at most 100). Only the keys and their metadata are
 * read, never the records: a page costs one KV list operation, whatever its size. `disabled` comes
 * from the metadata `putTenant` writes, so a record stored before it was written there (or by
 * hand with `wrangler kv key put`) lists without it.
 */
import * as v from "valibot";
import { withDeadline } from "../deadline";
import { GatewayError } from "../errors";
import { logError } from "../log";
import { component, documented } from "../openapi/route";
import { tenantKey, type TenantMetadata } from "./store";

/** The most tenants one page lists (and the default). */
export const TENANT_PAGE_MAX = 100;

export const TenantListQuery = v.object({
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(1024),
      documented({ description: "The `cursor` of the previous page." }),
    ),
  ),
  // A query value is a string: "1".."100", read as a number by the route.
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^(100|[1-9][0-9]?)$/, "a whole number from 1 to 100"),
      documented({ description: "Tenants per page, 1 to 100 (default 100).", example: "100" }),
    ),
    String(TENANT_PAGE_MAX),
  ),
});

export const TenantList = component(
  "TenantList",
  v.object({
    tenants: v.array(
      v.object({
        id: v.string(),
        disabled: v.optional(
          v.pipe(
            v.boolean(),
            documented({
              description:
                "The record's `disabled`, from its KV metadata; absent for a record stored " +
                "before the metadata carried it (or written to KV by hand)",
            }),
          ),
        ),
      }),
    ),
    cursor: v.optional(
      v.pipe(
        v.string(),
        documented({ description: "Pass back as `cursor` for the next page; absent on the last" }),
      ),
    ),
  }),
);
export type TenantList = v.InferOutput<typeof TenantList>;
type TenantSummary = TenantList["tenants"][number];

const PREFIX = tenantKey("");

export async function listTenants(
  kv: KVNamespace,
  page: { cursor?: string | undefined; limit: number },
): Promise<TenantList> {
  let listed: KVNamespaceListResult<TenantMetadata, string>;
  try {
    listed = await withDeadline(
      kv.list<TenantMetadata>({
        prefix: PREFIX,
        limit: page.limit,
        ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      }),
      "KV",
    );
  } catch (cause) {
    // KV refuses a cursor it did not issue (its error names the cursor): the caller's fault.
    if (page.cursor !== undefined && /cursor/i.test(String(cause))) {
      throw new GatewayError("invalid_request", "cursor: not a cursor of this list", {
        field: "cursor",
        cause,
      });
    }
    logError("kv_list_failed", { prefix: PREFIX, error: String(cause) });
    throw new GatewayError("unavailable", "the tenant store cannot be listed right now", {
      cause,
    });
  }
  const tenants = listed.keys.map(({ name, metadata }): TenantSummary => {
    const id = name.slice(PREFIX.length);
    return typeof metadata?.disabled === "boolean" ? { id, disabled: metadata.disabled } : { id };
  });
  return listed.list_complete ? { tenants } : { tenants, cursor: listed.cursor };
}
