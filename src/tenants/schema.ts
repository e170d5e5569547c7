/**
 * The tenant record (docs/configuration.md, "Tenants"): one zod schema is the validation of the admin
 * API, the TypeScript type and the OpenAPI component.
 */
import * as z from "zod/mini";
import { prefixProblem } from "../keys";
import { docs } from "../openapi/route";

export const OPERATIONS = ["get", "head", "put", "delete", "post", "multipart", "link"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Asymmetric algorithms a tenant may allow; HS256 additionally needs `auth.hmacSecret`. */
export const ASYMMETRIC_ALGORITHMS = ["EdDSA", "ES256", "ES384", "RS256", "PS256"] as const;
export const ALGORITHMS = [...ASYMMETRIC_ALGORITHMS, "HS256"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const TenantId = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "1-63 characters: a-z, 0-9, '-', '_'"))
  .register(docs, { example: "acme" });

/**
 * A Worker secret's name (never its value). What the secret must hold is checked where the
 * Worker's env is known: the admin API and each use (`checkSecret`, src/env.ts).
 */
export const SecretName = z
  .string()
  .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "a Worker secret name such as S3_MAIN"))
  .register(docs, {
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
    kid: z.optional(z.string().check(z.maxLength(256))),
    alg: z.optional(z.enum(ASYMMETRIC_ALGORITHMS)),
    use: z.optional(z.literal("sig")),
  })
  .check(
    z.superRefine((jwk, ctx) => {
      for (const member of PRIVATE_JWK_MEMBERS) {
        if (member in jwk) {
          ctx.addIssue({
            code: "custom",
            path: [member],
            message: "only public keys belong in a tenant's JWKS",
          });
        }
      }
    }),
  );

const HttpsUrl = z.url({ protocol: /^https$/ }).check(z.maxLength(2048));

/** A prefix: a valid key followed by '/'. `{sub}` stands in for the subject when allowed. */
function prefixSchema(options: { allowEmpty: boolean; allowSub: boolean }) {
  return z.string().check(
    z.superRefine((prefix, ctx) => {
      if (prefix === "" && !options.allowEmpty) {
        ctx.addIssue({ code: "custom", message: "the prefix must not be empty" });
        return;
      }
      const concrete = options.allowSub ? prefix.replaceAll("{sub}", "sub") : prefix;
      const problem = prefixProblem(concrete);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
  );
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
  .check(z.regex(/^([a-z0-9!#$&^_.+-]+|\*)\/([a-z0-9!#$&^_.+-]+|\*)$/i, "a type/subtype pattern"));

export const BucketConfig = z
  .strictObject({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .check(
        z.refine((url) => isOrigin(url), "an origin: no path, query, fragment or user info"),
        z.refine(
          (url) => new URL(url).protocol === "https:" || isLoopbackHost(new URL(url).hostname),
          "https, or http only for a loopback host (127.0.0.0/8, [::1], localhost, *.localhost)",
        ),
      )
      .register(docs, {
        example: "https://s3.us-east-1.amazonaws.com",
        description: "An https origin; plain http only for 127.0.0.0/8, [::1] and localhost.",
      }),
    bucket: z
      .string()
      .check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name (3-63 a-z 0-9 . -)")),
    region: z._default(z.string().check(z.regex(/^[a-z0-9-]{1,64}$/)), "us-east-1"),
    style: z._default(z.enum(["path", "virtual"]), "virtual"),
    credentials: SecretName,
    supportsPost: z._default(z.boolean(), true),
  })
  .check(
    z.refine(
      (bucket) =>
        bucket.style === "path" || !/^(\d+\.){3}\d+$|^\[/.test(new URL(bucket.endpoint).hostname),
      { path: ["style"], message: "virtual-host style needs a host name endpoint, not an IP" },
    ),
  );
export type BucketConfig = z.infer<typeof BucketConfig>;

const RateLimitWindow = z.strictObject({
  limit: z.int().check(z.minimum(1), z.maximum(1_000_000_000)),
  period: z.int().check(z.minimum(1), z.maximum(86_400)),
});

export const TenantRecord = z
  .strictObject({
    id: TenantId,
    disabled: z._default(z.boolean(), false),
    auth: z
      .strictObject({
        jwks: z._default(
          z.nullable(z.strictObject({ keys: z.array(PublicJwk).check(z.maxLength(32)) })),
          null,
        ),
        jwksUrl: z._default(z.nullable(HttpsUrl), null),
        hmacSecret: z._default(z.nullable(SecretName), null),
        algorithms: z._default(z.array(z.enum(ALGORITHMS)).check(z.minLength(1)), [
          "EdDSA",
          "ES256",
          "RS256",
        ]),
        maxTokenLifetime: z._default(z.int().check(z.minimum(1), z.maximum(86_400)), 900),
        revokedBefore: z._default(z.int().check(z.minimum(0)), 0),
      })
      .check(
        z.superRefine((auth, ctx) => {
          if (auth.jwks === null && auth.jwksUrl === null && auth.hmacSecret === null) {
            ctx.addIssue({
              code: "custom",
              message: "one of jwks, jwksUrl or hmacSecret is needed",
            });
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
      ),
    prefix: prefixSchema({ allowEmpty: false, allowSub: false }).register(docs, {
      example: "acme/",
    }),
    subjectPrefix: z._default(prefixSchema({ allowEmpty: true, allowSub: true }), "users/{sub}/"),
    buckets: z.record(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)), BucketConfig),
    defaultBucket: z.string(),
    operations: z._default(z.array(z.enum(OPERATIONS)), [...OPERATIONS]),
    defaultExpiresIn: z._default(z.int().check(z.minimum(1), z.maximum(604_800)), 900),
    maxExpiresIn: z._default(z.int().check(z.minimum(1), z.maximum(604_800)), 3600),
    upload: z._default(
      z.strictObject({
        maxBytes: z.optional(z.int().check(z.minimum(1), z.maximum(5 * 1024 ** 4))),
        contentTypes: z.optional(z.array(ContentTypePattern).check(z.maxLength(64))),
        requireChecksum: z._default(z.boolean(), false),
      }),
      { requireChecksum: false },
    ),
    rateLimit: z.optional(
      z.strictObject({
        tenant: z.optional(RateLimitWindow),
        subject: z.optional(RateLimitWindow),
        /** "kv": approximate, cheap (default); "exact": a Durable Object per tenant. */
        mode: z._default(z.enum(["kv", "exact"]), "kv"),
        /** When the counter store fails: admit (true, default) or refuse with 503. */
        failOpen: z._default(z.boolean(), true),
      }),
    ),
  })
  .check(
    z.superRefine((tenant, ctx) => {
      if (Object.keys(tenant.buckets).length === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["buckets"],
          message: "at least one bucket is needed",
        });
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
    }),
  )
  .register(docs, { id: "TenantRecord" });

export type TenantRecord = z.infer<typeof TenantRecord>;
