/**
 * The tenant record (docs/configuration.md, "Tenants"): one valibot schema is the validation of
 * the admin API, the TypeScript type and the OpenAPI component.
 */
import * as v from "valibot";
import { EVENT_TYPES, MAX_WEBHOOKS } from "../events/types";
import { prefixProblem } from "../keys";
import { component, documented, integerIn } from "../openapi/route";
import { CHECKSUM_ALGORITHMS, expiryProblem, PROVIDERS, styleProblem } from "../s3/providers";
import { ObjectHeaderPolicyFields, objectHeaderPolicyCheck } from "../signing/object-headers";
import { UsageTenantFields } from "../usage/schema";

export const OPERATIONS = ["get", "head", "put", "delete", "post", "multipart", "link"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Asymmetric algorithms a tenant may allow; HS256 additionally needs `auth.hmacSecret`. */
export const ASYMMETRIC_ALGORITHMS = ["EdDSA", "ES256", "ES384", "RS256", "PS256"] as const;
export const ALGORITHMS = [...ASYMMETRIC_ALGORITHMS, "HS256"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const TenantId = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "1-63 characters: a-z, 0-9, '-', '_'"),
  documented({ example: "acme" }),
);

/**
 * A Worker secret's name (never its value). What the secret must hold is checked where the
 * Worker's env is known: the admin API and each use (`checkSecret`, src/env.ts).
 */
export const SecretName = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "a Worker secret name such as S3_MAIN"),
  documented({
    example: "S3_MAIN",
    description:
      "The name of a Worker secret that is set and is none of the Worker's own vars, bindings " +
      "or ADMIN_TOKEN: S3 credentials JSON for `credentials`, at least 32 bytes for `hmacSecret`, " +
      "a Standard Webhooks secret (whsec_…) for a webhook's `secret`.",
  }),
);

/** JWK members that only private or symmetric keys have (RFC 7518 §6). */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

const PublicJwk = v.pipe(
  v.looseObject({
    kty: v.picklist(["EC", "OKP", "RSA"]),
    kid: v.optional(v.pipe(v.string(), v.maxLength(256))),
    alg: v.optional(v.picklist(ASYMMETRIC_ALGORITHMS)),
    use: v.optional(v.literal("sig")),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const member of PRIVATE_JWK_MEMBERS) {
      if (member in dataset.value) {
        addIssue({
          message: "only public keys belong in a tenant's JWKS",
          path: [
            {
              type: "object",
              origin: "value",
              input: dataset.value,
              key: member,
              value: (dataset.value as Record<string, unknown>)[member],
            },
          ],
        });
      }
    }
  }),
);

const HttpsUrl = v.pipe(
  v.string(),
  v.url(),
  v.check((url) => new URL(url).protocol === "https:", "an https URL"),
  v.maxLength(2048),
);

/** A prefix: a valid key followed by '/'. `{sub}` stands in for the subject when allowed. */
function prefixSchema(options: { allowEmpty: boolean; allowSub: boolean }) {
  const problemOf = (prefix: string): string | undefined => {
    if (prefix === "") return options.allowEmpty ? undefined : "the prefix must not be empty";
    return prefixProblem(options.allowSub ? prefix.replaceAll("{sub}", "sub") : prefix);
  };
  return v.pipe(
    v.string(),
    v.check(
      (prefix) => problemOf(prefix) === undefined,
      (issue) => problemOf(String(issue.input)) ?? "not a prefix",
    ),
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
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname)) return true;
  const labels = hostname.split(".");
  return labels.at(-1) === "localhost" && !labels.includes("");
}

/**
 * A webhook (docs/webhooks.md): where the tenant's events go, which ones, and the Worker secret
 * (`whsec_…`) they are signed with. https only, but for a loopback host, as bucket endpoints.
 */
const Webhook = v.strictObject({
  url: v.pipe(
    v.string(),
    v.url(),
    v.maxLength(2048),
    v.check(
      (url) =>
        new URL(url).protocol === "https:" ||
        (new URL(url).protocol === "http:" && isLoopbackHost(new URL(url).hostname)),
      "https, or http only for a loopback host (127.0.0.0/8, [::1], localhost, *.localhost)",
    ),
    v.check((url) => new URL(url).username === "" && new URL(url).password === "", "no user info"),
    documented({ example: "https://hooks.example.com/edgesign" }),
  ),
  events: v.pipe(v.array(v.picklist(EVENT_TYPES)), v.minLength(1)),
  secret: SecretName,
});

/** Content-type patterns such as `image/png`, `image/*` or `*\/*`. */
const ContentTypePattern = v.pipe(
  v.string(),
  v.regex(/^([a-z0-9!#$&^_.+-]+|\*)\/([a-z0-9!#$&^_.+-]+|\*)$/i, "a type/subtype pattern"),
);

export const BucketConfig = v.pipe(
  v.strictObject({
    endpoint: v.pipe(
      v.string(),
      v.url(),
      v.check((url) => /^https?:$/.test(new URL(url).protocol), "an http or https URL"),
      v.check((url) => isOrigin(url), "an origin: no path, query, fragment or user info"),
      v.check(
        (url) => new URL(url).protocol === "https:" || isLoopbackHost(new URL(url).hostname),
        "https, or http only for a loopback host (127.0.0.0/8, [::1], localhost, *.localhost)",
      ),
      documented({
        example: "https://s3.us-east-1.amazonaws.com",
        description: "An https origin; plain http only for 127.0.0.0/8, [::1] and localhost.",
      }),
    ),
    bucket: v.pipe(
      v.string(),
      v.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name (3-63 a-z 0-9 . -)"),
    ),
    region: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,64}$/)), "us-east-1"),
    style: v.optional(v.picklist(["path", "virtual"]), "virtual"),
    credentials: SecretName,
    /** The kind of S3 server: selects its capability table (src/s3/providers.ts). */
    provider: v.optional(v.picklist(PROVIDERS), "generic"),
    /** Overrides the provider's POST policy cell (before providers: the only such switch). */
    supportsPost: v.optional(v.boolean()),
  }),
  v.forward(
    v.check(
      (bucket) =>
        bucket.style === "path" || !/^(\d+\.){3}\d+$|^\[/.test(new URL(bucket.endpoint).hostname),
      "virtual-host style needs a host name endpoint, not an IP",
    ),
    ["style"],
  ),
  v.forward(
    v.check(
      (bucket) => styleProblem(bucket) === undefined,
      (issue) => styleProblem(issue.input) ?? "",
    ),
    ["style"],
  ),
);
export type BucketConfig = v.InferOutput<typeof BucketConfig>;

const RateLimitWindow = v.strictObject({
  limit: integerIn(1, 1_000_000_000),
  period: integerIn(1, 86_400),
});

const Auth = v.pipe(
  v.strictObject({
    jwks: v.optional(
      v.nullable(v.strictObject({ keys: v.pipe(v.array(PublicJwk), v.maxLength(32)) })),
      null,
    ),
    jwksUrl: v.optional(v.nullable(HttpsUrl), null),
    hmacSecret: v.optional(v.nullable(SecretName), null),
    algorithms: v.optional(v.pipe(v.array(v.picklist(ALGORITHMS)), v.minLength(1)), () => [
      "EdDSA" as const,
      "ES256" as const,
      "RS256" as const,
    ]),
    maxTokenLifetime: v.optional(integerIn(1, 86_400), 900),
    revokedBefore: v.optional(integerIn(0, Number.MAX_SAFE_INTEGER), 0),
  }),
  v.check(
    (auth) => auth.jwks !== null || auth.jwksUrl !== null || auth.hmacSecret !== null,
    "one of jwks, jwksUrl or hmacSecret is needed",
  ),
  v.forward(
    v.check(
      (auth) => !auth.algorithms.includes("HS256") || auth.hmacSecret !== null,
      "HS256 needs auth.hmacSecret (a Worker secret name)",
    ),
    ["algorithms"],
  ),
  v.forward(
    v.check(
      (auth) => auth.hmacSecret === null || auth.algorithms.includes("HS256"),
      "hmacSecret is only used when algorithms includes HS256",
    ),
    ["hmacSecret"],
  ),
);

/** The first bucket whose provider honours presigned URLs for less than the tenant's maximum. */
function firstExpiryProblem(tenant: {
  maxExpiresIn: number;
  buckets: Record<string, BucketConfig>;
}): string | undefined {
  for (const [name, bucket] of Object.entries(tenant.buckets)) {
    const problem = expiryProblem(tenant.maxExpiresIn, bucket);
    if (problem !== undefined) return `${problem} (bucket '${name}')`;
  }
  return undefined;
}

export const TenantRecord = component(
  "TenantRecord",
  v.pipe(
    v.strictObject({
      id: TenantId,
      disabled: v.optional(v.boolean(), false),
      auth: Auth,
      prefix: v.pipe(
        prefixSchema({ allowEmpty: false, allowSub: false }),
        documented({ example: "acme/" }),
      ),
      subjectPrefix: v.optional(prefixSchema({ allowEmpty: true, allowSub: true }), "users/{sub}/"),
      buckets: v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/)), BucketConfig),
      defaultBucket: v.string(),
      operations: v.optional(v.array(v.picklist(OPERATIONS)), () => [...OPERATIONS]),
      defaultExpiresIn: v.optional(integerIn(1, 604_800), 900),
      maxExpiresIn: v.optional(integerIn(1, 604_800), 3600),
      upload: v.optional(
        v.pipe(
          v.strictObject({
            maxBytes: v.optional(integerIn(1, 5 * 1024 ** 4)),
            contentTypes: v.optional(v.pipe(v.array(ContentTypePattern), v.maxLength(64))),
            /** An algorithm every upload must carry; `true` (the older form) means SHA256. */
            requireChecksum: v.optional(
              v.union([v.boolean(), v.picklist(CHECKSUM_ALGORITHMS)]),
              false,
            ),
            /** "deny": every upload is no-overwrite (If-None-Match: *, src/signing/conditions.ts). */
            overwrite: v.optional(v.picklist(["allow", "deny"]), "allow"),
            /** Object headers set on every upload, forbidden, or limited (object-headers.ts). */
            ...ObjectHeaderPolicyFields,
          }),
          objectHeaderPolicyCheck(),
        ),
        () => ({ requireChecksum: false, overwrite: "allow" as const }),
      ),
      rateLimit: v.optional(
        v.strictObject({
          tenant: v.optional(RateLimitWindow),
          subject: v.optional(RateLimitWindow),
          /** "kv": approximate, cheap (default); "exact": a Durable Object per tenant. */
          mode: v.optional(v.picklist(["kv", "exact"]), "kv"),
          /** When the counter store fails: admit (true, default) or refuse with 503. */
          failOpen: v.optional(v.boolean(), true),
        }),
      ),
      ...UsageTenantFields,
      webhooks: v.optional(v.pipe(v.array(Webhook), v.maxLength(MAX_WEBHOOKS))),
    }),
    v.forward(
      v.check((tenant) => Object.keys(tenant.buckets).length > 0, "at least one bucket is needed"),
      ["buckets"],
    ),
    v.forward(
      v.check(
        (tenant) => Object.hasOwn(tenant.buckets, tenant.defaultBucket),
        "must name one of buckets",
      ),
      ["defaultBucket"],
    ),
    v.forward(
      v.check(
        (tenant) => tenant.defaultExpiresIn <= tenant.maxExpiresIn,
        "must not exceed maxExpiresIn",
      ),
      ["defaultExpiresIn"],
    ),
    v.forward(
      v.check(
        (tenant) => firstExpiryProblem(tenant) === undefined,
        (issue) => firstExpiryProblem(issue.input) ?? "",
      ),
      ["maxExpiresIn"],
    ),
  ),
);

export type TenantRecord = v.InferOutput<typeof TenantRecord>;
