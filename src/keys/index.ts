/**
 * Object-key rules (docs/api.md, "Keys and prefixes"): validation, full-key construction and the
 * per-segment path encoding SigV4 expects. Pure: strings in, strings out, errors thrown.
 *
 * Keys are never passed through the WHATWG URL parser before they are encoded: it folds `..`
 * segments and turns `\` into `/`, which would move a key outside its prefix.
 */
import { GatewayError } from "../errors";

/** S3's limit on a key's UTF-8 length. */
export const MAX_KEY_BYTES = 1024;

const utf8 = new TextEncoder();

/** Why a key (or prefix) breaks the rules, or `undefined` when it is fine. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return "the key is empty";
  if (!key.isWellFormed()) return "the key contains a lone surrogate (invalid UTF-16)";
  if (key.startsWith("/")) return "the key starts with '/'";
  if (key.includes("\\")) return "the key contains a backslash";
  // U+0000–U+001F and U+007F: S3 stores them, but they break logs, headers and XML listings.
  if (/[\u0000-\u001f\u007f]/u.test(key)) return "the key contains a control character";
  for (const segment of key.split("/")) {
    if (segment === "") return "the key has an empty segment ('//' or a trailing '/')";
    if (segment === "." || segment === "..") return "the key has a '.' or '..' segment";
  }
  if (mayExceed(key, MAX_KEY_BYTES)) return `the key is longer than ${MAX_KEY_BYTES} bytes`;
  return undefined;
}

/** Throws `400 invalid_key` unless `relativeKey` is a valid key. */
export function assertValidKey(relativeKey: string, field = "key"): void {
  const problem = keyProblem(relativeKey);
  if (problem !== undefined) throw new GatewayError("invalid_key", problem, { field });
}

/**
 * Why a prefix breaks the rules, or `undefined`. A prefix is either empty or a valid key
 * followed by `/` ("a prefix always ends in /").
 */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === "") return undefined;
  if (!prefix.endsWith("/")) return "a prefix must end with '/'";
  return keyProblem(prefix.slice(0, -1));
}

/** `expand(subjectPrefix, {sub})`: only the `{sub}` placeholder exists. */
export function expandSubjectPrefix(subjectPrefix: string, sub: string): string {
  // A `/` in sub would let subject "a/b" write inside subject "a"'s space: refuse it, and
  // everything else the key rules refuse (`..`, `\`, control characters…).
  if (subjectPrefix.includes("{sub}") && (sub.includes("/") || keyProblem(sub) !== undefined)) {
    throw new GatewayError("forbidden", "the token's subject cannot be used in an object key");
  }
  return subjectPrefix.replaceAll("{sub}", sub);
}

export interface KeyScope {
  /** `tenant.prefix`, ends with `/`. */
  tenantPrefix: string;
  /** `tenant.subjectPrefix` with `{sub}` expanded; empty or ends with `/`. */
  subjectPrefix: string;
  /** The token's `prefix` claim; empty or ends with `/`. */
  tokenPrefix: string;
}

/** The prefix every key of this caller lives under. */
export function grantedPrefix(scope: KeyScope): string {
  return scope.tenantPrefix + scope.subjectPrefix + scope.tokenPrefix;
}

/**
 * `tenant.prefix + subjectPrefix + token.prefix + relativeKey`, validated as a whole so the
 * result is always a valid key below the granted prefix.
 */
export function fullKey(scope: KeyScope, relativeKey: string, field = "key"): string {
  assertValidKey(relativeKey, field);
  const key = grantedPrefix(scope) + relativeKey;
  if (mayExceed(key, MAX_KEY_BYTES)) {
    throw new GatewayError("invalid_key", `the full key is longer than ${MAX_KEY_BYTES} bytes`, {
      field,
    });
  }
  return key;
}

/**
 * Percent-encodes a key the way SigV4 canonicalises an S3 path: every UTF-8 byte except
 * `A-Z a-z 0-9 - _ . ~` becomes `%XX` (upper-case hex), and `/` is kept.
 * (SigV4 "Create a canonical request": URI-encode each path segment; S3 does not double-encode.)
 */
export function encodeKeyPath(key: string): string {
  // encodeURIComponent leaves `! ' ( ) *` alone (RFC 3986 and SigV4 encode them) and encodes
  // `/` as %2F (kept as the separator here). A `%` in the key becomes %25 first, so a literal
  // "%2F" in a key is "%252F" and never matches.
  return encodeURIComponent(key).replace(PATH_FIXUPS, (match) =>
    match === "%2F" ? "/" : `%${match.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
const PATH_FIXUPS = /%2F|[!'()*]/g;

export function byteLength(value: string): number {
  return utf8.encode(value).byteLength;
}

/** Whether `value` may be over `max` UTF-8 bytes (a UTF-16 unit is at most 3 bytes). */
function mayExceed(value: string, max: number): boolean {
  return value.length * 3 > max && byteLength(value) > max;
}
