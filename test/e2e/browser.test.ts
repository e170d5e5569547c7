/**
 * The demo page in a real browser: Debian's Chromium, driven by playwright-core, opens /demo on
 * the gateway (DEMO=1), and Uppy — unchanged, with `signRequest` from edgesign/client — uploads
 * straight to radosgw (bucket CORS from `edgesign cors`): a small file by one PUT and a 12 MiB
 * file by multipart. Progress must reach 100 %, both files must download byte for byte, by the
 * page's download link (fetched in the browser, so CORS GET is exercised) and by its short link.
 * The same again for a tenant with an upload limit (POST form; pinned multipart complete).
 * Screenshots go to test-results/.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant, GATEWAY_URL, RUN, S3, s3Request, type TestTenant } from "./support";
import { openChromium, type Chromium } from "./chromium";

const MiB = 1024 ** 2;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let tenant: TestTenant;
/** A tenant with upload.maxBytes: Uppy's PutObject becomes a POST form, its complete is pinned. */
let limitedTenant: TestTenant;
let chrome: Chromium;
let page: Page;
let consoleErrors: string[] = [];
const s3Requests: { method: string; url: string; headers: Record<string, string> }[] = [];
/** The page's `POST /v1/uploads/confirm` calls (the Uppy adapter's, on upload-success). */
const confirms: { key: string; status: number }[] = [];

interface DemoFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

beforeAll(async () => {
  tenant = await createTenant(`e2e-browser-${RUN}`, S3.bucket);
  limitedTenant = await createTenant(`e2e-browser-lim-${RUN}`, S3.bucket, {
    upload: { maxBytes: 16 * MiB },
  });
  chrome = await openChromium({ width: 1100, height: 900 });
  ({ page, consoleErrors } = chrome);
  page.on("response", (response) => {
    const request = response.request();
    if (request.url() === `${GATEWAY_URL}/v1/uploads/confirm` && request.method() === "POST") {
      const body = JSON.parse(request.postData() ?? "{}") as { key?: string };
      confirms.push({ key: body.key ?? "", status: response.status() });
    }
  });
  page.on("request", (request) => {
    if (request.url().startsWith(S3.endpoint) && request.method() !== "OPTIONS") {
      s3Requests.push({ method: request.method(), url: request.url(), headers: request.headers() });
    }
  });
}, 60_000);

afterAll(async () => {
  await chrome?.close();
});

/** Opens the demo as `tenant`'s alice, uploads `files` with Uppy, waits for 100 % and links. */
async function uploadThroughDemo(tenant: TestTenant, files: DemoFile[], screenshot: string) {
  s3Requests.length = 0;
  confirms.length = 0;
  const token = await tenant.token({}, "alice");
  // A fresh document: a second visit differing only in the fragment would not reload the page.
  await page.goto("about:blank");
  await page.goto(`${GATEWAY_URL}/demo#token=${token}`);
  // The token left the address bar (it was only ever in the fragment).
  expect(page.url()).toBe(`${GATEWAY_URL}/demo`);
  await page
    .waitForFunction(() => "edgesignDemo" in window, undefined, { timeout: 10_000 })
    .catch(() => {
      throw new Error(`the demo page did not start: ${consoleErrors.join("; ")}`);
    });
  await expect.poll(() => page.textContent("#token-state")).toContain(`Tenant ${tenant.id}`);

  await page.setInputFiles(".uppy-Dashboard-input >> nth=0", files);
  await page.click(".uppy-StatusBar-actionBtn--upload");

  for (const file of files) {
    await expect
      .poll(() => row(file.name).locator("td.progress").textContent(), { timeout: 60_000 })
      .toBe("100 %");
    await row(file.name).locator("a[data-role=short-link]").waitFor({ timeout: 30_000 });
  }
  await page.locator(".uppy-StatusBar.is-complete").waitFor({ timeout: 10_000 });
  // The adapter confirmed each upload (single PUT, POST form or multipart) with the gateway.
  await expect.poll(() => confirms.length, { timeout: 10_000 }).toBe(files.length);
  for (const file of files) {
    const confirm = confirms.find((c) => c.key.endsWith(file.name));
    expect(confirm?.status, file.name).toBe(200);
  }
  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: `test-results/${screenshot}`, fullPage: true });
}

const row = (name: string) => page.locator(`tr[data-name="${name}"]`);

/** Both links of each file give its bytes: the download link fetched by the page, the short link. */
async function expectDownloads(files: DemoFile[]) {
  for (const file of files) {
    const download = await row(file.name).locator("a[data-role=download]").getAttribute("href");
    // Downloaded by the page itself: radosgw's CORS must admit the GET.
    const inBrowser = await page.evaluate(async (url) => {
      const res = await fetch(url ?? "");
      const digest = await crypto.subtle.digest("SHA-256", await res.arrayBuffer());
      return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    }, download);
    expect(inBrowser, file.name).toBe(sha256(file.buffer));

    const shortLink =
      (await row(file.name).locator("a[data-role=short-link]").getAttribute("href")) ?? "";
    expect(shortLink).toMatch(new RegExp(`^${GATEWAY_URL}/l/[A-Za-z0-9_-]{22}$`));
    const redirect = await fetch(shortLink, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    const viaLink = await s3Request(redirect.headers.get("location") ?? "");
    expect(viaLink.status).toBe(200);
    expect(sha256(viaLink.body)).toBe(sha256(file.buffer));
    expect(String(viaLink.headers["content-disposition"])).toContain(file.name);
  }
}

/** The S3 requests the page sent for `name`'s key (by its URL; a POST form names no key). */
const requestsFor = (name: string) =>
  s3Requests.filter((r) => r.url.includes(encodeURIComponent(name)));

function demoFiles(label: string): DemoFile[] {
  return [
    { name: `small-${label}-${RUN}.txt`, mimeType: "text/plain", buffer: randomBytes(10 * 1024) },
    {
      name: `large-${label}-${RUN}.bin`,
      mimeType: "application/octet-stream",
      buffer: randomBytes(12 * MiB),
    },
  ];
}

/** Uppy's multipart for 12 MiB: create, 3 parts (5 + 5 + 2 MiB), complete. */
function expectMultipart(name: string) {
  const requests = requestsFor(name);
  const creates = requests.filter((r) => r.method === "POST" && r.url.includes("uploads="));
  const parts = requests.filter((r) => r.method === "PUT" && r.url.includes("partNumber="));
  const completes = requests.filter((r) => r.method === "POST" && r.url.includes("uploadId="));
  expect([creates.length, parts.length, completes.length]).toEqual([1, 3, 1]);
  return completes[0];
}

describe("the demo page in Chromium", () => {
  it("uploads a small file by PUT and 12 MiB by multipart; both download byte for byte", async () => {
    const files = demoFiles("put");
    await uploadThroughDemo(tenant, files, "demo.png");
    const small = requestsFor(files[0]?.name ?? "");
    expect(small.map((r) => r.method)).toEqual(["PUT"]);
    expect(small[0]?.url).not.toContain("uploadId=");
    expectMultipart(files[1]?.name ?? "");
    await expectDownloads(files);
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("with the tenant's upload.maxBytes: a POST form, and a complete pinned to the checked parts", async () => {
    const files = demoFiles("limited");
    await uploadThroughDemo(limitedTenant, files, "demo-limited.png");
    const forms = s3Requests.filter(
      (r) => r.method === "POST" && r.url === `${S3.endpoint}/${S3.bucket}`,
    );
    expect(forms).toHaveLength(1);
    const complete = expectMultipart(files[1]?.name ?? "");
    expect(complete?.headers["x-amz-content-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    await expectDownloads(files);
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
