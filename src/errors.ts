/**
 * One error type for the whole gateway, with a closed set of codes, mapped once (in
 * `app.onError`) to an RFC 9457 `application/problem+json` body.
 */

/** Every code a problem body can carry, with the HTTP status and title it maps to. */
export const PROBLEMS = {
  invalid_request: { status: 400, title: "Invalid request" },
  invalid_key: { status: 400, title: "Invalid object key" },
  invalid_token: { status: 401, title: "Invalid token" },
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  unsupported_by_provider: { status: 409, title: "Unsupported by the bucket's provider" },
  precondition_failed: { status: 412, title: "Precondition failed" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  rate_limited: { status: 429, title: "Too many requests" },
  quota_exceeded: { status: 429, title: "Quota exceeded" },
  internal: { status: 500, title: "Internal error" },
  upstream_error: { status: 502, title: "Upstream error" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  requestId: string;
  /** The request field at fault (dotted path), for 400s caused by one field. */
  field?: string;
}

export interface GatewayErrorOptions {
  field?: string;
  headers?: Record<string, string>;
  /** The underlying error, for the server log only: never sent to the client. */
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, detail: string, options: GatewayErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }

  /** The RFC 9457 body for this error. `detail` never contains secrets: callers write it. */
  toProblem(requestId: string): Problem {
    const problem: Problem = {
      type: problemType(this.code),
      title: PROBLEMS[this.code].title,
      status: this.status,
      detail: this.message,
      code: this.code,
      requestId,
    };
    if (this.field !== undefined) problem.field = this.field;
    return problem;
  }
}

/** RFC 9457 §3.1.1: `type` is a URI identifying the problem type; ours are stable URNs. */
export function problemType(code: ProblemCode): string {
  return `urn:edgesign:problem:${code}`;
}

/** The `WWW-Authenticate` challenge RFC 6750 §3 asks for on a refused bearer token. */
export const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

/** A 401 for any token failure: the detail says what, the challenge header is always set. */
export function invalidToken(detail: string, cause?: unknown): GatewayError {
  return new GatewayError("invalid_token", detail, {
    headers: { "WWW-Authenticate": INVALID_TOKEN_CHALLENGE },
    cause,
  });
}
