/** Short links (docs/api.md, "Short links"): request, stored record and responses. */
import { z } from "@hono/zod-openapi";
import { MAX_EXPIRES_IN } from "../signing/presign";
import { DownloadFilename, ObjectKey } from "../signing/schema";

/** A link lives at least KV's minimum expirationTtl and at most a year. */
export const MIN_LINK_TTL = 60;
export const MAX_LINK_TTL = 31_536_000;
export const DEFAULT_URL_EXPIRES_IN = 60;

export const LinkCode = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22}$/, "a link code")
  .openapi({ example: "q5B0rXyT9m3kP2sLw8vN1A" });

export const CreateLinkRequest = z
  .strictObject({
    key: ObjectKey.openapi({ example: "reports/2026-q3.pdf" }),
    bucket: z.string().max(64).optional(),
    ttl: z.number().int().min(MIN_LINK_TTL).max(MAX_LINK_TTL).openapi({ example: 86400 }),
    urlExpiresIn: z.number().int().min(1).max(MAX_EXPIRES_IN).optional(),
    maxUses: z.number().int().min(1).max(1_000_000_000).optional(),
    exactUses: z.boolean().optional(),
    filename: DownloadFilename.optional(),
  })
  .openapi("CreateLinkRequest", {
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
  generation: z.string().default("0"),
  sub: z.string(),
  key: z.string(),
  bucket: z.string(),
  urlExpiresIn: z.number().int(),
  maxUses: z.number().int().nullable(),
  exactUses: z.boolean(),
  filename: z.string().nullable(),
  /** Unix seconds. */
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
});
export type LinkRecord = z.infer<typeof LinkRecord>;

export const CreateLinkResult = z
  .object({
    code: LinkCode,
    url: z.string().openapi({ example: "https://edgesign.example/l/q5B0rXyT9m3kP2sLw8vN1A" }),
    expiresAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("CreateLinkResult");

export const LinkInfo = z
  .object({
    code: LinkCode,
    key: z.string(),
    bucket: z.string(),
    sub: z.string(),
    createdAt: z.string().openapi({ format: "date-time" }),
    expiresAt: z.string().openapi({ format: "date-time" }),
    urlExpiresIn: z.number().int(),
    maxUses: z.number().int().nullable(),
    exactUses: z.boolean(),
    uses: z.number().int(),
    filename: z.string().nullable(),
  })
  .openapi("LinkInfo");
export type LinkInfo = z.infer<typeof LinkInfo>;
