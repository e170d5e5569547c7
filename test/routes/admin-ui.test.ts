/**
 * `/admin/ui`: the operator page exists only with ADMIN_UI=1 (and an admin API), is served
 * without the admin token but with strict security headers, and opens no way around the admin
 * token to the rest of `/admin/*`. Also the page's pure part (admin-ui/views.ts) and its view of
 * the admin API's answers (admin-ui/types.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { TenantListPage, TenantView, UsageView } from "../../admin-ui/types";
import {
  chartSeries,
  formatBytes,
  monthStartOf,
  quotaUse,
  webhookFailures,
} from "../../admin-ui/views";
import type { TenantList } from "../../src/tenants/list";
import type { TenantRecord } from "../../src/tenants/schema";
import type { UsageReport } from "../../src/usage/schema";
import { call, expectProblem, fakeAssets as assets, seedTenant } from "../helpers";

const base = env as unknown as Record<string, unknown>;
const bundle = {
  "/admin-ui/index.html": "<!doctype html><title>operator</title>",
  "/admin-ui/app.js": "js",
};

describe("GET /admin/ui", () => {
  it("is the same 404 as an unknown route unless ADMIN_UI=1 and ADMIN_TOKEN is set", async () => {
    const store = assets(bundle);
    const { ADMIN_TOKEN: _unset, ...withoutAdmin } = base;
    const offs = [
      ...[undefined, "", "0", "true"].map((on) => ({ ...base, ADMIN_UI: on, ASSETS: store })),
      { ...withoutAdmin, ADMIN_UI: "1", ASSETS: store },
      { ...base, ADMIN_TOKEN: "", ADMIN_UI: "1", ASSETS: store },
    ];
    for (const bindings of offs) {
      for (const path of ["/admin/ui", "/admin/ui/app.js"]) {
        const problem = await expectProblem(await call(path, {}, bindings), 404, "not_found");
        expect(problem.detail).toBe("no such route");
      }
    }
    expect(store.requested).toEqual([]);
  });

  it("serves the page and its files without the admin token when ADMIN_UI=1", async () => {
    const store = assets(bundle);
    const on = { ...base, ADMIN_UI: "1", ASSETS: store };
    const page = await call("/admin/ui", {}, on);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>operator</title>");
    const script = await call("/admin/ui/app.js", {}, on);
    expect(script.status).toBe(200);
    expect(await script.text()).toBe("js");
    expect(store.requested).toEqual(["/admin-ui/index.html", "/admin-ui/app.js"]);
  });

  it("sends a CSP without inline script or framing, no referrer, no sniffing, no caching", async () => {
    const on = { ...base, ADMIN_UI: "1", ASSETS: assets(bundle) };
    for (const path of ["/admin/ui", "/admin/ui/app.js"]) {
      const res = await call(path, {}, on);
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      const directives = new Map(
        csp.split(";").map((part) => {
          const [name = "", ...values] = part.trim().split(/\s+/);
          return [name, values.join(" ")];
        }),
      );
      expect(directives.get("default-src")).toBe("'none'");
      expect(directives.get("script-src")).toBe("'self'");
      expect(directives.get("style-src")).toBe("'self'");
      expect(directives.get("connect-src")).toBe("'self'");
      expect(directives.get("frame-ancestors")).toBe("'none'");
      expect(directives.get("base-uri")).toBe("'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(res.headers.get("X-Frame-Options")).toBe("DENY");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Cache-Control")).toBe("no-store");
    }
  });

  it("answers 404 for files outside the bundle; names that are no file reach no file", async () => {
    const store = assets(bundle);
    const on = { ...base, ADMIN_UI: "1", ASSETS: store };
    await expectProblem(await call("/admin/ui/missing.js", {}, on), 404, "not_found");
    for (const path of [
      "/admin/ui/.env",
      "/admin/ui/..%2F..%2Fwrangler.toml",
      "/admin/ui/%2e%2e",
    ]) {
      // 400 (not a file name), 404, or 401 where the URL's dot segments left /admin/ui.
      expect([400, 401, 404], path).toContain((await call(path, {}, on)).status);
    }
    expect(store.requested).toEqual(["/admin-ui/missing.js"]);
  });

  it("opens nothing else of /admin/* without the admin token", async () => {
    const { id } = await seedTenant();
    const on = { ...base, ADMIN_UI: "1", ASSETS: assets(bundle) };
    for (const path of [
      "/admin/tenants",
      `/admin/tenants/${id}`,
      `/admin/ui/../tenants/${id}`,
      `/admin/ui/%2e%2e/tenants/${id}`,
      `/admin/uitenants/${id}`,
      `/admin/ui-x/tenants/${id}`,
    ]) {
      const res = await call(path, {}, on);
      expect(res.status, path).not.toBe(200);
      if (!path.startsWith("/admin/ui/")) await expectProblem(res, 401, "unauthorized");
    }
    const revoke = await call(`/admin/ui/../tenants/${id}/revoke`, { method: "POST" }, on);
    await expectProblem(revoke, 401, "unauthorized");
  });
});

describe("the operator page's views (admin-ui/views.ts)", () => {
  const hourly: UsageView = {
    from: "2026-11-27T10:00:00.000Z",
    to: "2026-11-27T14:00:00.000Z",
    granularity: "hour",
    buckets: [
      { start: "2026-11-27T10:00:00.000Z", counts: { "urls.get": 3, "webhooks.failed": 1 } },
      { start: "2026-11-27T12:00:00.000Z", counts: { "urls.put": 2, "webhooks.dead": 4 } },
      { start: "2026-11-27T13:00:00.000Z", counts: { "urls.get": 5, "webhooks.failed": 2 } },
    ],
    totals: { "urls.get": 8, "urls.put": 2, "webhooks.failed": 3, "webhooks.dead": 4 },
  };

  it("charts every bucket of the range, the ones the API left out as 0, one series per metric", () => {
    const { xs, series } = chartSeries(hourly);
    expect(xs).toEqual(
      ["10", "11", "12", "13"].map((h) => Date.parse(`2026-11-27T${h}:00:00Z`) / 1000),
    );
    expect(series).toEqual([
      ["urls.get", [3, 0, 0, 5]],
      ["urls.put", [0, 0, 2, 0]],
      ["webhooks.dead", [0, 0, 4, 0]],
      ["webhooks.failed", [1, 0, 0, 2]],
    ]);
  });

  it("charts by UTC day with granularity=day", () => {
    const daily: UsageView = {
      from: "2026-11-01T00:00:00.000Z",
      to: "2026-11-04T00:00:00.000Z",
      granularity: "day",
      buckets: [{ start: "2026-11-02T00:00:00.000Z", counts: { "links.visits": 7 } }],
      totals: { "links.visits": 7 },
    };
    const { xs, series } = chartSeries(daily);
    expect(xs).toEqual([1, 2, 3].map((d) => Date.UTC(2026, 10, d) / 1000));
    expect(series).toEqual([["links.visits", [0, 7, 0]]]);
  });

  it("lists webhook failures newest first, and nothing else", () => {
    expect(webhookFailures(hourly)).toEqual([
      { start: "2026-11-27T13:00:00.000Z", metric: "webhooks.failed", count: 2 },
      { start: "2026-11-27T12:00:00.000Z", metric: "webhooks.dead", count: 4 },
      { start: "2026-11-27T10:00:00.000Z", metric: "webhooks.failed", count: 1 },
    ]);
    expect(webhookFailures({ ...hourly, buckets: [hourly.buckets[0]!] })).toHaveLength(1);
  });

  it("counts URLs and bytes of today against day quotas and of the month against the month's", () => {
    const now = Date.parse("2026-11-27T15:30:00Z");
    expect(monthStartOf(now)).toBe("2026-11-01");
    const month: UsageView = {
      from: "2026-11-01T00:00:00.000Z",
      to: "2026-11-28T00:00:00.000Z",
      granularity: "day",
      buckets: [
        { start: "2026-10-31T00:00:00.000Z", counts: { "bytes.put": 1000 } },
        { start: "2026-11-02T00:00:00.000Z", counts: { "urls.get": 50, "bytes.put": 300 } },
        {
          start: "2026-11-27T00:00:00.000Z",
          counts: { "urls.get": 4, "urls.put": 2, "bytes.put": 20, "bytes.multipart": 5 },
        },
      ],
      totals: {},
    };
    const tenant: TenantView = {
      id: "acme",
      disabled: false,
      auth: { revokedBefore: 0 },
      quota: { urlsPerDay: 10, uploadBytesPerDay: 100, uploadBytesPerMonth: 1000 },
    };
    expect(quotaUse(tenant, month, now)).toEqual([
      { name: "urlsPerDay", used: 6, limit: 10, unit: "URLs" },
      { name: "uploadBytesPerDay", used: 25, limit: 100, unit: "bytes" },
      { name: "uploadBytesPerMonth", used: 325, limit: 1000, unit: "bytes" },
    ]);
    expect(quotaUse({ ...tenant, quota: { urlsPerDay: 10 } }, month, now)).toHaveLength(1);
    const { quota: _none, ...unlimited } = tenant;
    expect(quotaUse(unlimited, month, now)).toEqual([]);
  });

  it("writes sizes in IEC units", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(6 * 1024 ** 2)).toBe("6.0 MiB");
    expect(formatBytes(300 * 1024 ** 3)).toBe("300 GiB");
  });

  it("reads the admin API's answers as the gateway's schemas type them", () => {
    expectTypeOf<TenantList>().toExtend<TenantListPage>();
    expectTypeOf<TenantRecord>().toExtend<TenantView>();
    expectTypeOf<UsageReport>().toExtend<UsageView>();
  });
});
