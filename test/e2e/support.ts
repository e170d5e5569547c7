/**
 * e2e helpers (Node): the gateway and radosgw addresses come from scripts/e2e.mjs; S3 requests
 * go through node:http so virtual-host names (`<bucket>.s3.localhost`) reach loopback without
 * touching /etc/hosts, and so the exact bytes and headers we send are under our control.
 */
import { request } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { expect } from "vitest";

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set: run the e2e suite with 'npm run test:e2e'`);
  }
  return value;
}

export const GATEWAY_URL = required("GATEWAY_URL");
export const ADMIN_TOKEN = required("ADMIN_TOKEN");
export const S3 = {
  endpoint: required("S3_ENDPOINT"),
  region: required("S3_REGION"),
  bucket: required("S3_BUCKET"),
  bucketB: required("S3_BUCKET_B"),
  /** `s3.localhost:7480`: virtual-host style URLs are `<bucket>.<this>`. */
  vhostSuffix: required("S3_VHOST_SUFFIX"),
};

export interface S3Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request to S3, exactly as given; `*.localhost` resolves to 127.0.0.1. */
export function s3Request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<S3Response> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        // The raw path and query as the gateway produced them: no re-encoding.
        path: url.slice(url.indexOf("/", url.indexOf("//") + 2)),
        method: options.method ?? "GET",
        headers: options.headers,
        lookup: (hostname, opts, callback) => {
          if (hostname !== "localhost" && !hostname.endsWith(".localhost")) {
            callback(new Error(`e2e tests only talk to loopback, not ${hostname}`), "", 4);
          } else if (opts.all) {
            // Node ≥ 20 asks for every address (happy eyeballs) and wants an array back.
            (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(
              null,
              [{ address: "127.0.0.1", family: 4 }],
            );
          } else {
            callback(null, "127.0.0.1", 4);
          }
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

export interface TestTenant {
  id: string;
  key: CryptoKey;
  kid: string;
  token: (claims?: Record<string, unknown>, sub?: string) => Promise<string>;
}

/**
 * Creates a tenant through the admin API with its own EdDSA key. Buckets (all the same S3 bucket):
 * `path` (path style), `vhost` (virtual-host style), `temp` (STS temporary credentials), all
 * `provider: "ceph"`; and `generic` (path style, `provider: "generic"`): the gateway makes no
 * claim for it, so features radosgw 16 ignores (checksums, tagging on multipart) are still signed
 * there, and the tests can prove the signature binds them (a changed header answers 403).
 */
export async function createTenant(
  id: string,
  bucket: string,
  overrides: Record<string, unknown> = {},
): Promise<TestTenant> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const kid = `${id}-key`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA" };
  const record = {
    id,
    auth: { jwks: { keys: [publicJwk] } },
    prefix: `${id}/`,
    buckets: {
      path: {
        endpoint: S3.endpoint,
        bucket,
        region: S3.region,
        style: "path",
        credentials: "S3_E2E",
        provider: "ceph",
      },
      temp: {
        endpoint: S3.endpoint,
        bucket,
        region: S3.region,
        style: "path",
        credentials: "S3_E2E_TEMP",
        provider: "ceph",
      },
      generic: {
        endpoint: S3.endpoint,
        bucket,
        region: S3.region,
        style: "path",
        credentials: "S3_E2E",
        provider: "generic",
      },
      vhost: {
        endpoint: `http://${S3.vhostSuffix}`,
        bucket,
        region: S3.region,
        style: "virtual",
        credentials: "S3_E2E",
        provider: "ceph",
      },
    },
    defaultBucket: "path",
    maxExpiresIn: 3600,
    ...overrides,
  };
  const res = await fetch(`${GATEWAY_URL}/admin/tenants/${id}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(record),
  });
  if (res.status !== 200) throw new Error(`tenant ${id}: ${res.status} ${await res.text()}`);
  return {
    id,
    key: privateKey,
    kid,
    token: async (claims = {}, sub = "alice") => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sub, ...claims })
        .setProtectedHeader({ alg: "EdDSA", kid })
        .setIssuer(id)
        .setAudience("edgesign")
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(privateKey);
    },
  };
}

export interface Presigned {
  url: string;
  method: string;
  headers: Record<string, string>;
  key: string;
  expiresAt: string;
}

/** POST /v1/presign; throws unless 200. */
export async function presign(token: string, body: Record<string, unknown>): Promise<Presigned> {
  const res = await fetch(`${GATEWAY_URL}/v1/presign`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`presign ${res.status}: ${text}`);
  return JSON.parse(text) as Presigned;
}

/** A unique run id so reruns against a kept radosgw never collide. */
export const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export interface ApiResponse {
  status: number;
  headers: Headers;
  contentType: string | null;
  /** Parsed JSON of whatever shape the route answers with (null for an empty body). */
  json: any;
}

/** A gateway call with the caller's token: a JSON body is a POST, none a GET. */
export async function api(token: string, path: string, body?: unknown): Promise<ApiResponse> {
  const res = await fetch(`${GATEWAY_URL}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    contentType: res.headers.get("content-type"),
    json: text === "" ? null : JSON.parse(text),
  };
}

/**
 * Signs UploadPart URLs for `parts` (numbered from 1) and PUTs each to S3, expecting 200s;
 * returns the part numbers and ETags that complete the upload.
 */
export async function uploadParts(
  token: string,
  key: string,
  uploadId: string,
  parts: Buffer[],
): Promise<{ partNumber: number; etag: string }[]> {
  const signed = await api(token, "/v1/uploads/multipart/sign-parts", {
    key,
    uploadId,
    partNumbers: parts.map((_, i) => i + 1),
  });
  expect(signed.status, JSON.stringify(signed.json)).toBe(200);
  const etags: { partNumber: number; etag: string }[] = [];
  for (const [i, part] of parts.entries()) {
    const res = await s3Request(signed.json.parts[i].url, { method: "PUT", body: part });
    expect(res.status, res.body.toString()).toBe(200);
    etags.push({ partNumber: i + 1, etag: String(res.headers.etag) });
  }
  return etags;
}

/** Sends a POST form as a browser would: the returned fields in order (then overrides), the file. */
export async function postForm(
  form: { url: string; fields: Record<string, string> },
  file: Buffer,
  overrides: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const body = new FormData();
  for (const [name, value] of Object.entries({ ...form.fields, ...overrides })) {
    body.append(name, value);
  }
  body.append("file", new Blob([file]), "upload.bin");
  const res = await fetch(form.url, { method: "POST", body });
  return { status: res.status, text: await res.text() };
}
