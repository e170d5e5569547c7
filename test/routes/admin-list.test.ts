/** `GET /admin/tenants`: tenant ids from KV, a page at a time, with `disabled` from the metadata. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tenantKey } from "../../src/tenants/store";
import {
  call,
  expectProblem,
  keyPair,
  newTenantId,
  putRawTenant,
  putTenant,
  tenantRecord,
} from "../helpers";

interface Page {
  tenants: { id: string; disabled?: boolean }[];
  cursor?: string;
}

async function list(query = ""): Promise<Page> {
  const res = await call(`/admin/tenants${query}`, { admin: true });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

/** Every page, following cursors, with `limit` per page. */
async function listAll(limit: number): Promise<{ pages: Page[]; ids: string[] }> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const query = `?limit=${limit}${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page = await list(query);
    pages.push(page);
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 100);
  return { pages, ids: pages.flatMap((page) => page.tenants.map((tenant) => tenant.id)) };
}

async function storeTenants(count: number, overrides: Record<string, unknown> = {}) {
  const key = await keyPair("EdDSA");
  const ids = Array.from({ length: count }, () => newTenantId());
  for (const id of ids) await putTenant(tenantRecord(id, [key.publicJwk], overrides));
  return ids;
}

describe("GET /admin/tenants", () => {
  it("needs the admin token", async () => {
    await expectProblem(await call("/admin/tenants"), 401, "unauthorized");
    await expectProblem(await call("/admin/tenants", { admin: "wrong" }), 401, "unauthorized");
  });

  it("lists every tenant once across pages, in key order, with no revocation keys", async () => {
    const ids = await storeTenants(5);
    // A revocation floor (`tenant-revoked:<id>`) is not a tenant.
    const revoke = await call(`/admin/tenants/${ids[0]}/revoke`, { method: "POST", admin: true });
    expect(revoke.status).toBe(200);
    const { pages, ids: listed } = await listAll(2);
    for (const id of ids) expect(listed.filter((seen) => seen === id)).toEqual([id]);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual([...listed].sort());
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages.slice(0, -1)) {
      expect(page.tenants).toHaveLength(2);
      expect(typeof page.cursor).toBe("string");
    }
    expect(pages.at(-1)?.cursor).toBeUndefined();
  });

  it("asks KV for 100 keys by default and for `limit` when given, under `tenant:`", async () => {
    const asked: KVNamespaceListOptions[] = [];
    const kv = {
      list: async (options: KVNamespaceListOptions) => {
        asked.push(options);
        return { keys: [], list_complete: true, cacheStatus: null };
      },
    };
    const bindings = { ...(env as unknown as Record<string, unknown>), KV: kv };
    expect((await call("/admin/tenants", { admin: true }, bindings)).status).toBe(200);
    expect(
      (await call("/admin/tenants?limit=7&cursor=abc", { admin: true }, bindings)).status,
    ).toBe(200);
    expect(asked).toEqual([
      { prefix: "tenant:", limit: 100 },
      { prefix: "tenant:", limit: 7, cursor: "abc" },
    ]);
  });

  it("a cursor KV refuses is a 400 naming it; any other KV failure a 503", async () => {
    const failing = (message: string) => ({
      ...(env as unknown as Record<string, unknown>),
      KV: {
        list: async () => {
          throw new Error(message);
        },
      },
    });
    const refused = failing("KV LIST failed: 400 Invalid cursor");
    const badCursor = await call("/admin/tenants?cursor=zzz", { admin: true }, refused);
    expect((await expectProblem(badCursor, 400, "invalid_request")).field).toBe("cursor");
    const down = failing("KV LIST failed: 500 Internal Server Error");
    await expectProblem(await call("/admin/tenants", { admin: true }, down), 503, "unavailable");
    await expectProblem(
      await call("/admin/tenants?cursor=zzz", { admin: true }, down),
      503,
      "unavailable",
    );
  });

  it("shows `disabled` from what the last PUT stored, and nothing for a record without metadata", async () => {
    const [active] = await storeTenants(1);
    const [off] = await storeTenants(1, { disabled: true });
    const raw = newTenantId();
    const key = await keyPair("EdDSA");
    await putRawTenant(raw, JSON.stringify(tenantRecord(raw, [key.publicJwk])));
    const { pages } = await listAll(100);
    const byId = new Map(pages.flatMap((page) => page.tenants).map((t) => [t.id, t]));
    expect(byId.get(active ?? "")).toEqual({ id: active, disabled: false });
    expect(byId.get(off ?? "")).toEqual({ id: off, disabled: true });
    expect(byId.get(raw)).toEqual({ id: raw });

    // Enabled again by a PUT: the metadata follows the record.
    const record = await call(`/admin/tenants/${off}`, { admin: true });
    const body = { ...((await record.json()) as Record<string, unknown>), disabled: false };
    const put = await call(`/admin/tenants/${off}`, { method: "PUT", admin: true, body });
    expect(put.status).toBe(200);
    const again = (await listAll(100)).pages.flatMap((page) => page.tenants);
    expect(again.find((t) => t.id === off)).toEqual({ id: off, disabled: false });
  });

  it("refuses a limit outside 1..100 with 400 naming the field", async () => {
    for (const limit of ["0", "101", "-1", "abc", "1.5", ""]) {
      const res = await call(`/admin/tenants?limit=${limit}`, { admin: true });
      const problem = await expectProblem(res, 400, "invalid_request");
      expect(problem.field, limit).toBe("limit");
    }
  });

  it("reads keys and metadata only, never a record", async () => {
    const [id] = await storeTenants(1);
    // A record that no longer parses would make any read 503; the list does not read it.
    await env.KV.put(tenantKey(id ?? ""), "{ not a tenant", {
      metadata: { generation: "g", version: "v", disabled: false },
    });
    const { ids } = await listAll(100);
    expect(ids).toContain(id);
  });
});
