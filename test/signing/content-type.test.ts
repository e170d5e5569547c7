/**
 * The tenant's content-type rule (src/signing/content-type.ts): one strict media type, matched on
 * type/subtype, and active types admitted only by a pattern that names them exactly.
 */
import * as v from "valibot";
import { beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { parseMediaType } from "../../src/http/media-type";
import { allowedContentType, isActiveType } from "../../src/signing/content-type";
import { TenantRecord } from "../../src/tenants/schema";
import { keyPair, tenantRecord, type KeyPair } from "../helpers";

let key: KeyPair;
beforeAll(async () => {
  key = await keyPair("EdDSA");
});

function tenantWith(contentTypes?: string[]): TenantRecord {
  const upload = contentTypes === undefined ? {} : { upload: { contentTypes } };
  return v.parse(TenantRecord, tenantRecord("t-ctype", [key.publicJwk], upload));
}

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a GatewayError");
}

/** One example of every entry of ACTIVE_TYPES, and of the `*+xml` / `*\/xml` forms. */
const ACTIVE_EXAMPLES = [
  "text/html",
  "application/xhtml+xml",
  "image/svg+xml",
  "text/xml",
  "application/xml",
  "application/rss+xml",
  "application/xslt+xml",
  "text/xsl",
  "text/javascript",
  "application/javascript",
  "application/ecmascript",
  "text/ecmascript",
  "application/x-javascript",
  "text/jscript",
  "multipart/x-mixed-replace",
  "multipart/mixed",
  "unknown/unknown",
  "application/unknown",
  "application/x-shockwave-flash",
];

const INACTIVE_EXAMPLES = [
  "image/png",
  "image/jpeg",
  "application/pdf",
  "application/json",
  "text/css",
  "text/vtt",
  "text/plain",
  "video/mp4",
  "application/octet-stream",
  "application/xml-dtd",
  "application/zip",
];

describe("isActiveType()", () => {
  it.each(ACTIVE_EXAMPLES)("counts %s as active", (value) => {
    expect(isActiveType(parseMediaType(value)!)).toBe(true);
  });
  it.each(INACTIVE_EXAMPLES)("does not count %s as active", (value) => {
    expect(isActiveType(parseMediaType(value)!)).toBe(false);
  });
});

describe("allowedContentType()", () => {
  it("never lets a wildcard pattern admit an active type", () => {
    for (const patterns of [["*/*"], ["text/*", "image/*", "application/*", "multipart/*"]]) {
      const tenant = tenantWith(patterns);
      for (const value of ACTIVE_EXAMPLES) {
        const error = refusal(() => allowedContentType(tenant, value, "contentType"));
        expect([error.code, error.field], value).toEqual(["unsupported_media_type", "contentType"]);
        expect(error.message).toMatch(/exact name/);
      }
    }
  });

  it("admits an active type the tenant lists by its exact name, case-insensitively", () => {
    const tenant = tenantWith(["image/*", "Image/SVG+XML", "text/html"]);
    expect(allowedContentType(tenant, "image/svg+xml", "contentType")).toBe("image/svg+xml");
    expect(allowedContentType(tenant, "TEXT/HTML; Charset=utf-8", "contentType")).toBe(
      "text/html; charset=utf-8",
    );
    expect(refusal(() => allowedContentType(tenant, "application/xhtml+xml", "x")).code).toBe(
      "unsupported_media_type",
    );
  });

  it("admits inactive types through wildcards and returns the normalised value", () => {
    const tenant = tenantWith(["*/*"]);
    for (const value of INACTIVE_EXAMPLES) {
      expect(allowedContentType(tenant, value, "contentType")).toBe(value);
    }
    expect(allowedContentType(tenantWith(["image/*"]), 'IMAGE/PNG;q="1"', "contentType")).toBe(
      "image/png; q=1",
    );
    expect(allowedContentType(tenantWith(["*/png"]), "image/png", "contentType")).toBe("image/png");
  });

  it("refuses anything but one media type with 400 invalid_request naming the field", () => {
    for (const tenant of [tenantWith(), tenantWith(["image/*"])]) {
      for (const value of ["image/png;,text/html", "image/png, text/html", "image/png/x", ""]) {
        const error = refusal(() => allowedContentType(tenant, value, "responseContentType"));
        expect([error.code, error.field], value).toEqual([
          "invalid_request",
          "responseContentType",
        ]);
      }
    }
  });

  it("refuses a media range even when the tenant restricts nothing (browsers sniff */*)", () => {
    for (const value of ["*/*", "image/*", "*/png"]) {
      const error = refusal(() => allowedContentType(tenantWith(), value, "contentType"));
      expect([error.code, error.field]).toEqual(["invalid_request", "contentType"]);
    }
  });

  it("without patterns: no type is fine and any one type is admitted, active ones included", () => {
    const tenant = tenantWith();
    expect(allowedContentType(tenant, undefined, "contentType")).toBeUndefined();
    expect(allowedContentType(tenant, "Text/HTML", "contentType")).toBe("text/html");
  });

  it("with patterns: a type is required (400) and one outside them is 415", () => {
    const tenant = tenantWith(["image/*"]);
    const missing = refusal(() => allowedContentType(tenant, undefined, "contentType"));
    expect([missing.code, missing.field]).toEqual(["invalid_request", "contentType"]);
    const other = refusal(() => allowedContentType(tenant, "video/mp4", "contentType"));
    expect([other.code, other.field]).toEqual(["unsupported_media_type", "contentType"]);
  });
});
