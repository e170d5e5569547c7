/** Short links (docs/api.md, "Short links"): request, stored record and responses. */
import * as v from "valibot";
import { component, documented, integer, integerIn } from "../openapi/route";
import { MAX_EXPIRES_IN } from "../signing/presign";
import { DateTime, DownloadFilename, objectKey } from "../signing/schema";
import { FIRST_GENERATION } from "../tenants/store";

/** A link lives at least KV's minimum expirationTtl and at most a year. */
export const MIN_LINK_TTL = 60;
export const MAX_LINK_TTL = 31_536_000;
export const DEFAULT_URL_EXPIRES_IN = 60;

export const LinkCode = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{22}$/, "a link code"),
  documented({ example: "q5B0rXyT9m3kP2sLw8vN1A" }),
);

export const CreateLinkRequest = component(
  "CreateLinkRequest",
  v.pipe(
    v.strictObject({
      key: objectKey({ example: "reports/2026-q3.pdf" }),
      bucket: v.optional(v.pipe(v.string(), v.maxLength(64))),
      ttl: v.pipe(integerIn(MIN_LINK_TTL, MAX_LINK_TTL), documented({ example: 86400 })),
      urlExpiresIn: v.optional(integerIn(1, MAX_EXPIRES_IN)),
      maxUses: v.optional(integerIn(1, 1_000_000_000)),
      exactUses: v.optional(v.boolean()),
      filename: v.optional(DownloadFilename),
    }),
    documented({
      example: {
        key: "reports/q3.pdf",
        ttl: 86400,
        urlExpiresIn: 60,
        maxUses: 10,
        filename: "Q3 report.pdf",
      },
    }),
  ),
);
export type CreateLinkRequest = v.InferOutput<typeof CreateLinkRequest>;

/**
 * What KV holds at `link:<code>` (never a signature, never a credential). Written once, by
 * create: what changes later (uses, deletion) lives under keys of its own (src/links/store.ts).
 */
export const LinkRecord = v.object({
  tenant: v.string(),
  /**
   * The tenant's generation when the link was made: a tenant deleted and re-created under the
   * same id does not inherit its predecessor's links. Records written before generations
   * existed belong to the first (src/tenants/store.ts).
   */
  generation: v.optional(v.string(), FIRST_GENERATION),
  sub: v.string(),
  key: v.string(),
  bucket: v.string(),
  urlExpiresIn: integer(),
  maxUses: v.nullable(integer()),
  exactUses: v.boolean(),
  filename: v.nullable(v.string()),
  /** Unix seconds. */
  createdAt: integer(),
  expiresAt: integer(),
});
export type LinkRecord = v.InferOutput<typeof LinkRecord>;

export const CreateLinkResult = component(
  "CreateLinkResult",
  v.object({
    code: LinkCode,
    url: v.pipe(
      v.string(),
      documented({ example: "https://edgesign.example/l/q5B0rXyT9m3kP2sLw8vN1A" }),
    ),
    expiresAt: DateTime,
  }),
);

export const LinkInfo = component(
  "LinkInfo",
  v.object({
    code: LinkCode,
    key: v.string(),
    bucket: v.string(),
    sub: v.string(),
    createdAt: DateTime,
    expiresAt: DateTime,
    urlExpiresIn: integer(),
    maxUses: v.nullable(integer()),
    exactUses: v.boolean(),
    uses: integer(),
    filename: v.nullable(v.string()),
  }),
);
export type LinkInfo = v.InferOutput<typeof LinkInfo>;
