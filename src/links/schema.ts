/** Short links (docs/api.md, "Short links"): request, stored record and responses. */
import * as z from "zod/mini";
import { docs } from "../openapi/route";
import { MAX_EXPIRES_IN } from "../signing/presign";
import { DateTime, DownloadFilename, objectKey } from "../signing/schema";
import { FIRST_GENERATION } from "../tenants/store";

/** A link lives at least KV's minimum expirationTtl and at most a year. */
export const MIN_LINK_TTL = 60;
export const MAX_LINK_TTL = 31_536_000;
export const DEFAULT_URL_EXPIRES_IN = 60;

export const LinkCode = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{22}$/, "a link code"))
  .register(docs, { example: "q5B0rXyT9m3kP2sLw8vN1A" });

export const CreateLinkRequest = z
  .strictObject({
    key: objectKey({ example: "reports/2026-q3.pdf" }),
    bucket: z.optional(z.string().check(z.maxLength(64))),
    ttl: z
      .int()
      .check(z.minimum(MIN_LINK_TTL), z.maximum(MAX_LINK_TTL))
      .register(docs, { example: 86400 }),
    urlExpiresIn: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_EXPIRES_IN))),
    maxUses: z.optional(z.int().check(z.minimum(1), z.maximum(1_000_000_000))),
    exactUses: z.optional(z.boolean()),
    filename: z.optional(DownloadFilename),
  })
  .register(docs, {
    id: "CreateLinkRequest",
    example: {
      key: "reports/q3.pdf",
      ttl: 86400,
      urlExpiresIn: 60,
      maxUses: 10,
      filename: "Q3 report.pdf",
    },
  });
export type CreateLinkRequest = z.infer<typeof CreateLinkRequest>;

/**
 * What KV holds at `link:<code>` (never a signature, never a credential). Written once, by
 * create: what changes later (uses, deletion) lives under keys of its own (src/links/store.ts).
 */
export const LinkRecord = z.object({
  tenant: z.string(),
  /**
   * The tenant's generation when the link was made: a tenant deleted and re-created under the
   * same id does not inherit its predecessor's links. "0" is the generation of tenants stored
   * before generations existed (src/tenants/store.ts).
   */
  generation: z._default(z.string(), FIRST_GENERATION),
  sub: z.string(),
  key: z.string(),
  bucket: z.string(),
  urlExpiresIn: z.int(),
  maxUses: z.nullable(z.int()),
  exactUses: z.boolean(),
  filename: z.nullable(z.string()),
  /** Unix seconds. */
  createdAt: z.int(),
  expiresAt: z.int(),
});
export type LinkRecord = z.infer<typeof LinkRecord>;

export const CreateLinkResult = z
  .object({
    code: LinkCode,
    url: z
      .string()
      .register(docs, { example: "https://edgesign.example/l/q5B0rXyT9m3kP2sLw8vN1A" }),
    expiresAt: DateTime,
  })
  .register(docs, { id: "CreateLinkResult" });

export const LinkInfo = z
  .object({
    code: LinkCode,
    key: z.string(),
    bucket: z.string(),
    sub: z.string(),
    createdAt: DateTime,
    expiresAt: DateTime,
    urlExpiresIn: z.int(),
    maxUses: z.nullable(z.int()),
    exactUses: z.boolean(),
    uses: z.int(),
    filename: z.nullable(z.string()),
  })
  .register(docs, { id: "LinkInfo" });
export type LinkInfo = z.infer<typeof LinkInfo>;
