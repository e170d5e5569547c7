/**
 * The operator page in a real browser: Debian's Chromium, driven by playwright-core, opens
 * /admin/ui on the gateway (ADMIN_UI=1), the admin token is pasted, a tenant that just had URLs
 * issued through the gateway is opened, and the page's chart and totals must show the counts the
 * usage API gives. Then the page revokes the tenant (confirming the dialog): a token minted before
 * is refused by /v1/presign. Then it disables the tenant. The page must log no error (a CSP
 * violation would be one) and keep the token nowhere but in memory. Screenshots go to
 * test-results/.
 *
 * Presigning contacts no S3 server, so this file needs only the gateway (scripts/e2e.mjs starts
 * both; the S3 variables only fill the tenant's bucket fields).
 */
import { mkdirSync } from "node:fs";
import type { Dialog, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  createTenant,
  GATEWAY_URL,
  presign,
  RUN,
  S3,
  type TestTenant,
} from "./support";
import { openChromium, type Chromium } from "./chromium";

/** URLs issued before the page is opened: the counts it must show. */
const ISSUED = { "urls.get": 3, "urls.put": 2 };

let tenant: TestTenant;
let chrome: Chromium;
let page: Page;
let consoleErrors: string[] = [];
const dialogs: string[] = [];

interface Usage {
  buckets: { start: string; counts: Record<string, number> }[];
  totals: Record<string, number>;
}

async function usage(id: string): Promise<Usage> {
  const res = await fetch(`${GATEWAY_URL}/admin/tenants/${id}/usage`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Usage;
}

/** The usage API's answer once the isolate's batch has reached the tenant's object (≤ 10 s). */
async function usageWhen(id: string, until: (totals: Record<string, number>) => boolean) {
  let report = await usage(id);
  for (let attempt = 0; attempt < 40 && !until(report.totals); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    report = await usage(id);
  }
  return report;
}

async function presignStatus(token: string): Promise<number> {
  const res = await fetch(`${GATEWAY_URL}/v1/presign`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ method: "GET", key: `ui/after-${RUN}.txt` }),
  });
  return res.status;
}

/** Answers the page's next confirm() with `accept`. */
function nextDialog(accept: boolean): void {
  page.once("dialog", (dialog: Dialog) => {
    dialogs.push(dialog.message());
    void (accept ? dialog.accept() : dialog.dismiss());
  });
}

async function screenshot(name: string): Promise<void> {
  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: `test-results/${name}`, fullPage: true });
}

beforeAll(async () => {
  tenant = await createTenant(`e2e-admin-ui-${RUN}`, S3.bucket, {
    quota: { urlsPerDay: 1000 },
  });
  const token = await tenant.token();
  for (const [metric, count] of Object.entries(ISSUED)) {
    const method = metric === "urls.get" ? "GET" : "PUT";
    for (let i = 0; i < count; i++) await presign(token, { method, key: `ui/${i}-${RUN}.txt` });
  }
  chrome = await openChromium({ width: 1200, height: 1000 });
  ({ page, consoleErrors } = chrome);
}, 60_000);

afterAll(async () => {
  await chrome?.close();
});

describe("the operator page in Chromium", () => {
  it("shows the tenant's real counts in its chart and table, and its quota use", async () => {
    const api = await usageWhen(tenant.id, (totals) =>
      Object.entries(ISSUED).every(([metric, count]) => totals[metric] === count),
    );
    expect(api.totals).toEqual(ISSUED);

    await page.goto(`${GATEWAY_URL}/admin/ui`);
    await page.fill("#token", ADMIN_TOKEN);
    await page.click("#token-form button[type=submit]");
    const entry = page.locator(`#tenants tr[data-tenant="${tenant.id}"] button.select`);
    await entry.waitFor({ timeout: 10_000 }).catch(() => {
      throw new Error(`no tenant row: ${consoleErrors.join("; ")}`);
    });
    await entry.click();
    await page.locator("#chart canvas").waitFor({ timeout: 10_000 });
    await expect.poll(() => page.textContent("#tenant-title")).toBe(tenant.id);

    // The table next to the chart: exactly the usage API's totals.
    const rows = await page
      .locator("#totals tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => [
          (tr as HTMLElement).dataset.metric,
          Number(tr.querySelector("td.count")?.textContent),
        ]),
      );
    expect(Object.fromEntries(rows)).toEqual((await usage(tenant.id)).totals);

    // The chart was drawn from the same counts: each series sums to its metric's total.
    const drawn = await page.evaluate(() => {
      type Chart = { series: { label?: unknown }[]; data: (number | null)[][] };
      const chart = (
        window as unknown as { edgesignAdmin: { chart: () => Chart | null } }
      ).edgesignAdmin.chart();
      if (chart === null) return null;
      return Object.fromEntries(
        chart.series
          .slice(1)
          .map((series, i) => [
            String(series.label),
            (chart.data[i + 1] ?? []).reduce<number>((sum, value) => sum + (value ?? 0), 0),
          ]),
      );
    });
    expect(drawn).toEqual(ISSUED);

    // Quota: today's URLs against urlsPerDay (a run across UTC midnight could split them).
    const quota = page.locator('#quota tr[data-quota="urlsPerDay"]');
    expect(await quota.locator("td.limit").getAttribute("title")).toBe("1000");
    expect(Number(await quota.locator("td.used").getAttribute("title"))).toBeLessThanOrEqual(5);
    expect(await page.locator("#webhooks tbody td.empty").textContent()).toBe(
      "No webhook failures.",
    );
    await screenshot("admin-ui.png");

    // The token is in no storage, URL or field of the page.
    const kept = await page.evaluate(
      () =>
        JSON.stringify({ ...localStorage }) +
        JSON.stringify({ ...sessionStorage }) +
        location.href +
        document.documentElement.outerHTML,
    );
    expect(kept).not.toContain(ADMIN_TOKEN);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it("revokes the tenant after confirmation: a token minted before is refused", async () => {
    const before = await tenant.token();
    expect(await presignStatus(before)).toBe(200);

    // Dismissed: nothing happens.
    nextDialog(false);
    await page.click("#revoke");
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toContain(tenant.id);
    expect(await presignStatus(before)).toBe(200);

    nextDialog(true);
    await page.click("#revoke");
    await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toContain("Revoked");
    expect(await presignStatus(before)).toBe(401);
    expect(await page.textContent("#tenant-state")).toMatch(/issued before .* are refused/);
    await screenshot("admin-ui-revoked.png");

    // Tokens minted after the revocation (floor: now + 1 s) work again.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await presignStatus(await tenant.token())).toBe(200);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it("disables the tenant after confirmation: every token is refused", async () => {
    nextDialog(true);
    await page.click("#toggle-disabled");
    await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toContain("disabled");
    expect(await page.getAttribute("#tenant-state", "data-disabled")).toBe("true");
    expect(await page.textContent(`#tenants tr[data-tenant="${tenant.id}"] .disabled-badge`)).toBe(
      "disabled",
    );
    expect(await presignStatus(await tenant.token())).toBe(401);
    const record = await fetch(`${GATEWAY_URL}/admin/tenants/${tenant.id}`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const stored = (await record.json()) as { disabled: boolean; quota: unknown };
    // Only `disabled` changed: the quota (and the rest) went back as it was.
    expect(stored).toMatchObject({ disabled: true, quota: { urlsPerDay: 1000 } });
    await screenshot("admin-ui-disabled.png");
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
