/**
 * The Worker's bindings: `Cloudflare.Env` comes from `wrangler types` (worker-configuration.d.ts);
 * secrets are looked up by name because tenants name them (`credentials`, `hmacSecret`).
 */
import { z } from "zod";
import { GatewayError } from "./errors";
import { parseJsonAs } from "./json";
import { logError } from "./log";

export type Env = Cloudflare.Env & {
  /** Admin API bearer token; unset = admin API disabled (404). */
  ADMIN_TOKEN?: string;
};

/** The gateway audience every token's `aud` must contain (docs/api.md: default `edgesign`). */
export function audience(env: Env): string {
  return env.AUDIENCE || "edgesign";
}

/** A secret binding's string value by name, or `undefined` when it is not bound. */
export function readSecret(env: Env, name: string): string | undefined {
  const value: unknown = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export const S3Credentials = z.strictObject({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1).optional(),
});
export type S3Credentials = z.infer<typeof S3Credentials>;

/**
 * The S3 credentials held by the secret `name`, with the raw JSON (the cache key of the
 * signer). A missing or malformed secret is the operator's fault → 503, logged by name only.
 */
export function readCredentials(env: Env, name: string): { raw: string; creds: S3Credentials } {
  const raw = readSecret(env, name);
  if (raw === undefined) {
    logError("credentials_missing", { secret: name });
    throw new GatewayError("unavailable", "the bucket's credentials are not configured");
  }
  const creds = parseJsonAs(S3Credentials, raw);
  if (creds === undefined) {
    logError("credentials_invalid", { secret: name });
    throw new GatewayError("unavailable", "the bucket's credentials are not configured");
  }
  return { raw, creds };
}

/** `CORS_ORIGINS`: comma-separated origins, `*` for any, empty for none. */
export function corsOrigins(env: Env): string[] {
  return (env.CORS_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
}
