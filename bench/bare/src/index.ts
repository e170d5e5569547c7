/**
 * The bare Worker (issue 19): `POST /v1/presign` with `Authorization: Bearer <EdDSA JWT>` and
 * `{"key": "..."}` answers a presigned GET URL for `users/<sub>/<key>`. hono routes, jose
 * verifies the token against a local JWKS, aws4fetch signs (SigV4 query string). No tenants, no
 * KV, no schemas: the floor under edgesign's startup, bundle and first request.
 */
import { AwsClient } from "aws4fetch";
import { Hono } from "hono";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";

interface Bindings {
  AUDIENCE: string;
  ISSUER: string;
  S3_ENDPOINT: string;
  S3_REGION: string;
  JWKS: string;
  S3_CREDENTIALS: string;
}

const EXPIRES_IN = 900;

/** Parsed once per isolate, on the first request (bindings are not readable at startup). */
let clients: { jwks: ReturnType<typeof createLocalJWKSet>; aws: AwsClient } | undefined;

function clientsFor(env: Bindings) {
  if (clients === undefined) {
    const credentials = JSON.parse(env.S3_CREDENTIALS) as {
      accessKeyId: string;
      secretAccessKey: string;
    };
    clients = {
      jwks: createLocalJWKSet(JSON.parse(env.JWKS) as JSONWebKeySet),
      aws: new AwsClient({ ...credentials, service: "s3", region: env.S3_REGION }),
    };
  }
  return clients;
}

const app = new Hono<{ Bindings: Bindings }>();

app.post("/v1/presign", async (c) => {
  const { jwks, aws } = clientsFor(c.env);
  const token = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (token === undefined) return c.json({ error: "missing bearer token" }, 401);
  let subject: string | undefined;
  try {
    const { payload } = await jwtVerify(token, jwks, {
      issuer: c.env.ISSUER,
      audience: c.env.AUDIENCE,
      algorithms: ["EdDSA"],
    });
    subject = payload.sub;
  } catch {
    return c.json({ error: "invalid token" }, 401);
  }
  if (subject === undefined || subject.includes("/")) {
    return c.json({ error: "token has no usable sub" }, 403);
  }
  const body: unknown = await c.req.json().catch(() => undefined);
  const key = typeof body === "object" && body !== null && "key" in body ? body.key : undefined;
  if (typeof key !== "string" || key === "" || key.length > 1024) {
    return c.json({ error: "key must be a non-empty string" }, 400);
  }
  // One path segment per key segment, each percent-encoded (SigV4 canonical URI for S3).
  const path = ["users", subject, ...key.split("/")].map(encodeURIComponent).join("/");
  const url = new URL(`${c.env.S3_ENDPOINT}/${path}`);
  url.searchParams.set("X-Amz-Expires", String(EXPIRES_IN));
  const signed = await aws.sign(url, { method: "GET", aws: { signQuery: true } });
  return c.json({ method: "GET", url: signed.url, expiresIn: EXPIRES_IN });
});

export default app;
