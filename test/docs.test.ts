/**
 * docs/api.md is the HTTP contract, written by hand; /openapi.json is generated from the routes.
 * These tests keep the two in step: every route the OpenAPI document names has a heading in
 * docs/api.md, every route heading there is a route the app documents, and every problem code of
 * src/errors.ts is in its error table with the status it maps to.
 */
import { describe, expect, it } from "vitest";
import apiDoc from "../docs/api.md?raw";
import { PROBLEMS } from "../src/errors";
import { call } from "./helpers";

/** A route heading: "### `POST /v1/presign`", path parameters as in OpenAPI (`{code}`). */
const ROUTE_HEADING = /^#{2,4} `(GET|HEAD|PUT|POST|DELETE|PATCH|OPTIONS) (\/[^`\s]*)`/gm;

/** `/openapi.json` serves the document and is not one of its own paths. */
const SELF = "GET /openapi.json";

function headingRoutes(markdown: string): string[] {
  return [...markdown.matchAll(ROUTE_HEADING)].map(([, method, path]) => `${method} ${path}`);
}

async function openApiRoutes(): Promise<string[]> {
  const res = await call("/openapi.json");
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe("docs/api.md", () => {
  it("has a heading for every route of /openapi.json", async () => {
    const documented = new Set(headingRoutes(apiDoc));
    const routes = await openApiRoutes();
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((route) => !documented.has(route))).toEqual([]);
  });

  it("heads only routes /openapi.json documents (and /openapi.json itself), each once", async () => {
    const routes = new Set([...(await openApiRoutes()), SELF]);
    const headings = headingRoutes(apiDoc);
    expect(headings).toContain(SELF);
    expect(headings.filter((route) => !routes.has(route))).toEqual([]);
    expect(headings.filter((route, index) => headings.indexOf(route) !== index)).toEqual([]);
  });

  it("lists every problem code of src/errors.ts with its status", () => {
    const missing = Object.entries(PROBLEMS)
      .filter(([code, { status }]) => !apiDoc.includes(`| \`${code}\` | ${status} |`))
      .map(([code, { status }]) => `${code} (${status})`);
    expect(missing).toEqual([]);
  });
});
