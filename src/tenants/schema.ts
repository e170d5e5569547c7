/**
 * The tenant record (docs/configuration.md, "Tenants"): one zod schema is the validation of the admin
 * API, the TypeScript type and the OpenAPI component.
 */
import { z } from "@hono/zod-openapi";
import { prefixProblem } from "../keys";

export const OPERATIONS = ["get", "head", "put", "delete", "post", "multipart", "link"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Asymmetric algorithms a tenant may allow; HS256 additionally needs `auth.hmacSecret`. */
export const ASYMMETRIC_ALGORITHMS = ["EdDSA", "ES256", "ES384", "RS256", "PS256"] as const;
export const ALGORITHMS = [...ASYMMETRIC_ALGORITHMS, "HS256"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const TenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "1-63 characters: a-z, 0-9, '-', '_'")
  .openapi({ example: "acme" });

/**
 * A Worker secret's name (never its value). What the secret must hold is checked where the
 * Worker's env is known: the admin API and each use (`checkSecret`, src/env.ts).
 */
export const SecretName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "a Worker secret name such as S3_MAIN")
  .openapi({
    example: "S3_MAIN",
    description:
      "The name of a Worker secret that is set and is none of the Worker's own vars, bindings " +
      "or ADMIN_TOKEN: S3 credentials JSON for `credentials`, at least 32 bytes for `hmacSecret`.",
  });

/** JWK members that only private or symmetric keys have (RFC 7518 §6). */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

const PublicJwk = z
  .looseObject({
    kty: z.enum(["EC", "OKP", "RSA"]),
    kid: z.string().max(256).optional(),
    alg: z.enum(ASYMMETRIC_ALGORITHMS).optional(),
    use: z.literal("sig").optional(),
  })
  .superRefine((jwk, ctx) => {
    for (const member of PRIVATE_JWK_MEMBERS) {
      if (member in jwk) {
        ctx.addIssue({
          code: "custom",
          path: [member],
          message: "only public keys belong in a tenant's JWKS",
        });
      }
    }
  });

const HttpsUrl = z.url({ protocol: /^https$/ }).max(2048);

/** A prefix: a valid key followed by '/'. `{sub}` stands in for the subject when allowed. */
function prefixSchema(options: { allowEmpty: boolean; allowSub: boolean }) {
  return z.string().superRefine((prefix, ctx) => {
    if (prefix === "" && !options.allowEmpty) {
      ctx.addIssue({ code: "custom", message: "the prefix must not be empty" });
      return;
    }
    const concrete = options.allowSub ? prefix.replaceAll("{sub}", "sub") : prefix;
    const problem = prefixProblem(concrete);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
}

/** URLs are built from the endpoint's origin: a path, query, fragment or user info would be lost. */
function isOrigin(url: string): boolean {
  const parsed = new URL(url);
  return (
    parsed.pathname === "/" &&
    !url.includes("?") &&
    !url.includes("#") &&
    parsed.username === "" &&
    parsed.password === ""
  );
}

/**
 * Where a bucket endpoint may be plain http: a loopback host (RFC 6761 §6.3 for `localhost`), so
 * that a local S3 server works in development; anywhere else the signed requests and the objects
 * would cross the network in clear. `hostname` comes from the WHATWG URL parser, which lowercases
 * it and writes IPv4 (`0x7f.1`, `2130706433`) and IPv6 (`[0:0::1]`) in canonical form, so
 * `127.0.0.1.evil.com` and `localhost.evil.com` stay what they are: names under `evil.com`. The
 * IPv4-mapped `[::ffff:127.0.0.1]` is not accepted: its meaning depends on the host's IPv6 stack.
 */
function isLoopbackHost(hostname: string): boolean {
  if (hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname)) return true;
  const labels = hostname.split(".");
  return labels.at(-1) === "localhost" && !labels.includes("");
}

/** Content-type patterns such as `image/png`, `image/*` or `*\/*`. */
const ContentTypePattern = z
  .string()
  .regex(/^([a-z0-9!#$&^_.+-]+|\*)\/([a-z0-9!#$&^_.+-]+|\*)$/i, "a type/subtype pattern");

export const BucketConfig = z
  .strictObject({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .refine((url) => isOrigin(url), "an origin: no path, query, fragment or user info")
      .refine(
        (url) => new URL(url).protocol === "https:" || isLoopbackHost(new URL(url).hostname),
        "https, or http only for a loopback host (127.0.0.0/8, [::1], localhost, *.localhost)",
      )
      .openapi({
        example: "https://s3.us-east-1.amazonaws.com",
        description: "An https origin; plain http only for 127.0.0.0/8, [::1] and localhost.",
      }),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name (3-63 a-z 0-9 . -)"),
    region: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/)
      .default("us-east-1"),
    style: z.enum(["path", "virtual"]).default("virtual"),
    credentials: SecretName,
    supportsPost: z.boolean().default(true),
  })
  .refine(
    (bucket) =>
      bucket.style === "path" || !/^(\d+\.){3}\d+$|^\[/.test(new URL(bucket.endpoint).hostname),
    { path: ["style"], message: "virtual-host style needs a host name endpoint, not an IP" },
  );
export type BucketConfig = z.infer<typeof BucketConfig>;

const RateLimitWindow = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000_000),
  period: z.number().int().min(1).max(86_400),
});

export const TenantRecord = z
  .strictObject({
    id: TenantId,
    disabled: z.boolean().default(false),
    auth: z
      .strictObject({
        jwks: z
          .strictObject({ keys: z.array(PublicJwk).max(32) })
          .nullable()
          .default(null),
        jwksUrl: HttpsUrl.nullable().default(null),
        hmacSecret: SecretName.nullable().default(null),
        algorithms: z.array(z.enum(ALGORITHMS)).min(1).default(["EdDSA", "ES256", "RS256"]),
        maxTokenLifetime: z.number().int().min(1).max(86_400).default(900),
        revokedBefore: z.number().int().min(0).default(0),
      })
      .superRefine((auth, ctx) => {
        if (auth.jwks === null && auth.jwksUrl === null && auth.hmacSecret === null) {
          ctx.addIssue({ code: "custom", message: "one of jwks, jwksUrl or hmacSecret is needed" });
        }
        if (auth.algorithms.includes("HS256") && auth.hmacSecret === null) {
          ctx.addIssue({
            code: "custom",
            path: ["algorithms"],
            message: "HS256 needs auth.hmacSecret (a Worker secret name)",
          });
        }
        if (auth.hmacSecret !== null && !auth.algorithms.includes("HS256")) {
          ctx.addIssue({
            code: "custom",
            path: ["hmacSecret"],
            message: "hmacSecret is only used when algorithms includes HS256",
          });
        }
      }),
    prefix: prefixSchema({ allowEmpty: false, allowSub: false }).openapi({ example: "acme/" }),
    subjectPrefix: prefixSchema({ allowEmpty: true, allowSub: true }).default("users/{sub}/"),
    buckets: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), BucketConfig),
    defaultBucket: z.string(),
    operations: z.array(z.enum(OPERATIONS)).default([...OPERATIONS]),
    defaultExpiresIn: z.number().int().min(1).max(604_800).default(900),
    maxExpiresIn: z.number().int().min(1).max(604_800).default(3600),
    upload: z
      .strictObject({
        maxBytes: z
          .number()
          .int()
          .min(1)
          .max(5 * 1024 ** 4)
          .optional(),
        contentTypes: z.array(ContentTypePattern).max(64).optional(),
        requireChecksum: z.boolean().default(false),
      })
      .default({ requireChecksum: false }),
    rateLimit: z
      .strictObject({
        tenant: RateLimitWindow.optional(),
        subject: RateLimitWindow.optional(),
        /** "kv": approximate, cheap (default); "exact": a Durable Object per tenant. */
        mode: z.enum(["kv", "exact"]).default("kv"),
        /** When the counter store fails: admit (true, default) or refuse with 503. */
        failOpen: z.boolean().default(true),
      })
      .optional(),
  })
  .superRefine((tenant, ctx) => {
    if (Object.keys(tenant.buckets).length === 0) {
      ctx.addIssue({ code: "custom", path: ["buckets"], message: "at least one bucket is needed" });
    }
    if (!Object.hasOwn(tenant.buckets, tenant.defaultBucket)) {
      ctx.addIssue({
        code: "custom",
        path: ["defaultBucket"],
        message: "must name one of buckets",
      });
    }
    if (tenant.defaultExpiresIn > tenant.maxExpiresIn) {
      ctx.addIssue({
        code: "custom",
        path: ["defaultExpiresIn"],
        message: "must not exceed maxExpiresIn",
      });
    }
  })
  .openapi("TenantRecord");

export type TenantRecord = z.infer<typeof TenantRecord>;
