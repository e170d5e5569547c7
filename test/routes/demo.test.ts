/** `/demo`: the Uppy demo page exists only with DEMO=1, and serves only its bundle's files. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, fakeAssets as assets } from "../helpers";

const base = env as unknown as Record<string, unknown>;
const bundle = { "/demo/index.html": "<!doctype html><title>demo</title>", "/demo/app.js": "js" };

describe("GET /demo", () => {
  it("is the same 404 as an unknown route when DEMO is off, whatever the bundle", async () => {
    const store = assets(bundle);
    for (const demo of [undefined, "", "0", "true"]) {
      for (const path of ["/demo", "/demo/app.js"]) {
        const res = await call(path, {}, { ...base, DEMO: demo, ASSETS: store });
        const problem = await expectProblem(res, 404, "not_found");
        expect(problem.detail).toBe("no such route");
      }
    }
    expect(store.requested).toEqual([]);
  });

  it("serves the page and its files when DEMO=1, with no-sniff and no-referrer", async () => {
    const store = assets(bundle);
    const page = await call("/demo", {}, { ...base, DEMO: "1", ASSETS: store });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>demo</title>");
    expect(page.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(page.headers.get("Referrer-Policy")).toBe("no-referrer");
    const script = await call("/demo/app.js", {}, { ...base, DEMO: "1", ASSETS: store });
    expect(await script.text()).toBe("js");
    expect(store.requested).toEqual(["/demo/index.html", "/demo/app.js"]);
  });

  it("answers 404 for files outside the bundle and 400 for names that are no file", async () => {
    const store = assets(bundle);
    const on = { ...base, DEMO: "1", ASSETS: store };
    await expectProblem(await call("/demo/missing.js", {}, on), 404, "not_found");
    for (const path of ["/demo/.env", "/demo/..%2F..%2Fwrangler.toml", "/demo/%2e%2e"]) {
      const res = await call(path, {}, on);
      expect([400, 404], path).toContain(res.status);
    }
    expect(store.requested).toEqual(["/demo/missing.js"]);
  });
});
