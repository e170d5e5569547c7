/**
 * Credentials that expire (a credentials secret's `expiration`, as STS answers carry it): a URL
 * signed with them stops working when they do, whatever its `X-Amz-Expires` says, so no URL,
 * POST policy or part URL is issued to live longer than they have left, and the response says so
 * (`expiresInCapped: true`). Once they have expired every use is `503 unavailable` with one ERROR
 * line: the operator must rotate the secret. Pure apart from the log line.
 */
import type { AwsClient } from "aws4fetch";
import { GatewayError } from "../errors";
import { logError } from "../log";
import { credentialsExpireAt } from "./presign";

/** Whose credentials, for the log line (the secret's name, never its value). */
export interface CredentialsUse {
  requestId: string;
  tenant: string;
  /** The name of the credentials secret. */
  secret: string;
}

export interface Lifetime {
  /** Seconds the URL lives: what was asked, or what the credentials have left. */
  expiresIn: number;
  /** RFC 3339. */
  expiresAt: string;
  /** `{ expiresInCapped: true }` when cut short, to spread into the response; else `{}`. */
  capped: { expiresInCapped?: true };
}

/**
 * The lifetime of a URL signed `now` with `client` when `expiresIn` was asked for (already held to
 * the tenant's maximum): at most the whole seconds its credentials have left. Throws 503 when they
 * have less than one second left (SigV4's shortest `X-Amz-Expires` is 1).
 */
export function lifetimeOf(
  client: AwsClient,
  expiresIn: number,
  now: Date,
  use: CredentialsUse,
): Lifetime {
  const left = secondsLeft(client, now, use);
  const capped = left !== undefined && left < expiresIn;
  const seconds = capped ? left : expiresIn;
  return {
    expiresIn: seconds,
    expiresAt: new Date(now.getTime() + seconds * 1000).toISOString(),
    capped: capped ? { expiresInCapped: true } : {},
  };
}

/** Throws 503 (logged) when `client`'s credentials have expired: for the gateway's own S3 calls. */
export function requireUnexpired(client: AwsClient, now: Date, use: CredentialsUse): void {
  secondsLeft(client, now, use);
}

function secondsLeft(client: AwsClient, now: Date, use: CredentialsUse): number | undefined {
  const expiresAt = credentialsExpireAt(client);
  if (expiresAt === undefined) return undefined;
  const left = Math.floor((expiresAt - now.getTime()) / 1000);
  if (left >= 1) return left;
  logError("credentials_expired", {
    requestId: use.requestId,
    tenant: use.tenant,
    secret: use.secret,
    expiredAt: new Date(expiresAt).toISOString(),
  });
  throw new GatewayError("unavailable", "the bucket's credentials are not usable");
}
