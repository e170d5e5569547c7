/**
 * The Worker's bindings: `Cloudflare.Env` comes from `wrangler types` (worker-configuration.d.ts);
 * secrets are looked up by name because tenants name them (`credentials`, `hmacSecret`).
 */
import * as v from "valibot";
import { GatewayError } from "./errors";
import { parseJsonAs } from "./json";
import { logError } from "./log";
import { webhookKey } from "./events/signature";

export type Env = Cloudflare.Env & {
  /** Admin API bearer token; unset = admin API disabled (404). */
  ADMIN_TOKEN?: string;
};

/** The gateway audience every token's `aud` must contain (docs/api.md: default `edgesign`). */
export function audience(env: Env): string {
  return env.AUDIENCE || "edgesign";
}

/**
 * Every name of the Worker's own configuration: its vars, its bindings and the admin token.
 * A tenant record may not name one of them as a secret: vars are strings like secrets are, so
 * `hmacSecret: "AUDIENCE"` would make the public string `edgesign` an HS256 key, and naming
 * `ADMIN_TOKEN` would turn the admin token into a tenant key. The type below fails to compile
 * when `wrangler types` adds a name to `Env` that is missing here, and a test checks the list
 * against the test Worker's env (built from wrangler.toml).
 */
export const RESERVED_NAMES = [
  "ADMIN_TOKEN",
  "AUDIENCE",
  "CORS_ORIGINS",
  "LOG_LEVEL",
  "DEMO",
  "ADMIN_UI",
  "USAGE_FLUSH_MS",
  "WEBHOOK_RETRY_SECONDS",
  "KV",
  "EVENTS",
  "RATE_LIMITER",
  "ASSETS",
] as const satisfies readonly (keyof Env)[];
const reservedNames: ReadonlySet<string> = new Set<EveryNameListed>(RESERVED_NAMES);
/** `never` when every name of `Env` is listed; otherwise the `new Set<…>` above fails to compile. */
type EveryNameListed = [Exclude<keyof Env, (typeof RESERVED_NAMES)[number]>] extends [never]
  ? string
  : never;

/**
 * The value of the secret a tenant record names, or `undefined` when it is not bound or the name
 * is reserved: the cached fast paths (signer, verified tokens) read it without `checkSecret`.
 */
export function readSecret(env: Env, name: string): string | undefined {
  if (reservedNames.has(name)) return undefined;
  const value: unknown = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** RFC 3339 §5.6 `date-time` (`T` or a space may separate date and time, RFC 3339 §5.6 NOTE). */
const RFC3339_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 `expiration` as epoch ms (NaN when out of range, e.g. month 13 or hour 25). */
export function expirationMs(text: string): number {
  // Date.parse is only specified for the ECMAScript form: upper-case `T` and `Z`.
  return Date.parse(text.toUpperCase().replace(" ", "T"));
}

export const S3Credentials = v.strictObject({
  accessKeyId: v.pipe(v.string(), v.minLength(1)),
  secretAccessKey: v.pipe(v.string(), v.minLength(1)),
  sessionToken: v.optional(v.pipe(v.string(), v.minLength(1))),
  /**
   * When temporary credentials stop working (STS answers carry it): no URL is signed to outlive
   * it, and once it has passed the bucket answers 503 (src/signing/expiry.ts).
   */
  expiration: v.optional(
    v.pipe(
      v.string(),
      v.regex(RFC3339_DATE_TIME),
      v.check((text) => !Number.isNaN(expirationMs(text))),
    ),
  ),
});
export type S3Credentials = v.InferOutput<typeof S3Credentials>;

/**
 * RFC 7518 §3.2: an HS256 key must be at least as long as the SHA-256 output, 32 bytes. The
 * secret is used as the UTF-8 bytes of its string value, so that is what is counted.
 */
export const HMAC_SECRET_MIN_BYTES = 32;

/** What a tenant names a secret for: a bucket's `credentials`, `auth.hmacSecret`, a webhook's `secret`. */
export type SecretPurpose = "credentials" | "hmac" | "webhook";
interface SecretValue {
  credentials: { raw: string; creds: S3Credentials };
  hmac: string;
  /** The HMAC key of a Standard Webhooks secret (src/events/signature.ts). */
  webhook: Uint8Array;
}
export type SecretCheck<P extends SecretPurpose> =
  { ok: true; value: SecretValue[P] } | { ok: false; problem: string };

/**
 * The one rule for a secret a tenant record names: it is not a name of the Worker's own
 * configuration, it is set, and it has the shape of its purpose (credentials JSON with non-empty
 * keys, an HMAC secret of at least 32 bytes, or a `whsec_` webhook secret). The admin API refuses a record that fails it
 * (400); at use a failure is the operator's fault (503). `problem` names the secret, never
 * quotes its value.
 */
export function checkSecret<P extends SecretPurpose>(
  env: Env,
  name: string,
  purpose: P,
): SecretCheck<P>;
export function checkSecret(
  env: Env,
  name: string,
  purpose: SecretPurpose,
): SecretCheck<SecretPurpose> {
  if (reservedNames.has(name)) {
    return { ok: false, problem: `'${name}' is reserved for the Worker's own configuration` };
  }
  const raw = readSecret(env, name);
  if (raw === undefined) return { ok: false, problem: `the secret '${name}' is not set` };
  if (purpose === "hmac") {
    if (new TextEncoder().encode(raw).byteLength < HMAC_SECRET_MIN_BYTES) {
      return {
        ok: false,
        problem: `the secret '${name}' is shorter than ${HMAC_SECRET_MIN_BYTES} bytes`,
      };
    }
    return { ok: true, value: raw };
  }
  if (purpose === "webhook") {
    const key = webhookKey(raw);
    if (key === undefined) {
      return {
        ok: false,
        problem: `the secret '${name}' is not a Standard Webhooks secret (whsec_ + base64 of 24 to 64 bytes)`,
      };
    }
    return { ok: true, value: key };
  }
  const creds = parseJsonAs(S3Credentials, raw);
  if (creds === undefined) {
    return {
      ok: false,
      problem:
        `the secret '${name}' is not S3 credentials JSON with non-empty accessKeyId and ` +
        "secretAccessKey (and, if any, an RFC 3339 expiration)",
    };
  }
  return { ok: true, value: { raw, creds } };
}

/**
 * A secret a stored tenant record names, checked again at use: a record can predate a rule or
 * a secret can change after the admin API accepted it. Failing is the operator's fault → 503,
 * logged with the secret's name and what is wrong, never its value.
 */
export function useSecret<P extends SecretPurpose>(
  env: Env,
  name: string,
  purpose: P,
  tenant?: string,
): SecretValue[P] {
  const checked = checkSecret(env, name, purpose);
  if (checked.ok) return checked.value;
  logError("tenant_secret_unusable", { tenant, purpose, secret: name, problem: checked.problem });
  throw new GatewayError(
    "unavailable",
    purpose === "hmac"
      ? "the tenant's HS256 secret is not configured"
      : purpose === "webhook"
        ? "the webhook's secret is not configured"
        : "the bucket's credentials are not configured",
  );
}

/** The S3 credentials held by the secret `name`, with the raw JSON (the cache key of the signer). */
export function readCredentials(env: Env, name: string): { raw: string; creds: S3Credentials } {
  return useSecret(env, name, "credentials");
}

/** `CORS_ORIGINS`: comma-separated origins, `*` for any, empty for none. */
export function corsOrigins(env: Env): string[] {
  return (env.CORS_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
}
