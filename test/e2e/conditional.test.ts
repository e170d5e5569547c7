/**
 * Conditional writes against a real radosgw (16.2): the If-None-Match / If-Match headers the
 * gateway signs into PUT URLs are honoured by the server (412), cannot be changed or dropped
 * (403), and a tenant's `upload.overwrite: "deny"` holds for PUT and multipart. Also records what
 * radosgw 16 does with If-None-Match on CompleteMultipartUpload (the `ceph` provider cell says it
 * is not honoured, so the gateway refuses such uploads for `ceph` buckets).
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createTenant,
  GATEWAY_URL,
  presign,
  RUN,
  S3,
  s3Request,
  type TestTenant,
} from "./support";

/** PUT `body` through a presigned URL, sending exactly `headers`. */
function put(url: string, headers: Record<string, string>, body: string) {
  return s3Request(url, {
    method: "PUT",
    headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
    body,
  });
}

async function read(token: string, key: string, bucket?: string) {
  const get = await s3Request(
    (await presign(token, { method: "GET", key, ...(bucket ? { bucket } : {}) })).url,
  );
  return { status: get.status, text: get.body.toString(), etag: get.headers.etag };
}

let tenant: TestTenant;
let token: string;

beforeAll(async () => {
  tenant = await createTenant(`e2e-cond-${RUN}`, S3.bucket);
  token = await tenant.token();
});

describe("conditional PUT URLs on radosgw", () => {
  it('ifNoneMatch "*": the first PUT stores the object, a second one gets 412', async () => {
    const key = `cond/once-${RUN}.txt`;
    const signed = await presign(token, { method: "PUT", key, ifNoneMatch: "*" });
    expect(signed.headers["if-none-match"]).toBe("*");
    const first = await put(signed.url, signed.headers, "first");
    expect(first.status, first.body.toString()).toBe(200);
    const second = await put(signed.url, signed.headers, "second");
    expect(second.status, second.body.toString()).toBe(412);
    expect((await read(token, key)).text).toBe("first");
  });

  it("ifMatch: a wrong ETag gets 412, the ETag read gets 200", async () => {
    const key = `cond/cas-${RUN}.txt`;
    const plain = await presign(token, { method: "PUT", key });
    const stored = await put(plain.url, plain.headers, "v1");
    expect(stored.status).toBe(200);
    const etag = String(stored.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);

    const wrong = await presign(token, {
      method: "PUT",
      key,
      ifMatch: '"0123456789abcdef0123456789abcdef"',
    });
    expect((await put(wrong.url, wrong.headers, "lost")).status).toBe(412);
    // As the ETag header has it, quoted: for a ceph bucket the gateway signs it bare, the form
    // radosgw 16 compares (docs/providers.md, ifMatchEtag); quoted, radosgw answers 412.
    const right = await presign(token, { method: "PUT", key, ifMatch: etag });
    expect(right.headers["if-match"]).toBe(etag.replaceAll('"', ""));
    const replaced = await put(right.url, right.headers, "v2");
    expect(replaced.status, replaced.body.toString()).toBe(200);
    expect((await read(token, key)).text).toBe("v2");
  });

  it("a changed or dropped signed If-None-Match header gets 403", async () => {
    const key = `cond/tamper-${RUN}.txt`;
    const signed = await presign(token, { method: "PUT", key, ifNoneMatch: "*" });
    const changed = await put(signed.url, { ...signed.headers, "if-none-match": '"x"' }, "a");
    expect(changed.status).toBe(403);
    const { "if-none-match": _dropped, ...without } = signed.headers;
    const dropped = await put(signed.url, without, "a");
    expect(dropped.status).toBe(403);
    expect((await read(token, key)).status).toBe(404);
  });
});

describe('tenant upload.overwrite: "deny" on radosgw', () => {
  let deny: TestTenant;
  let denyToken: string;

  beforeAll(async () => {
    deny = await createTenant(`e2e-deny-${RUN}`, S3.bucket, { upload: { overwrite: "deny" } });
    denyToken = await deny.token();
  });

  it("every PUT URL is no-overwrite: the second upload to a key gets 412", async () => {
    const key = `deny/put-${RUN}.txt`;
    for (const [body, status] of [
      ["first", 200],
      ["second", 412],
    ] as const) {
      const signed = await presign(denyToken, { method: "PUT", key });
      expect(signed.headers["if-none-match"]).toBe("*");
      expect((await put(signed.url, signed.headers, body)).status).toBe(status);
    }
    expect((await read(denyToken, key)).text).toBe("first");
  });

  it("multipart is refused on a ceph bucket (no conditional complete), before S3 is called", async () => {
    const created = await api(denyToken, "/v1/uploads/multipart", { key: `deny/mp-${RUN}.bin` });
    expect(created.status, JSON.stringify(created.json)).toBe(409);
    expect(created.json?.code).toBe("unsupported_by_provider");
    const form = await api(denyToken, "/v1/uploads/post", { key: `deny/form-${RUN}.bin` });
    expect(form.status).toBe(409);
    expect(form.json?.code).toBe("conflict");
  });

  it("records what radosgw 16 does with If-None-Match on CompleteMultipartUpload", async () => {
    // The same server named `generic`, which lets the condition through to radosgw.
    const generic = await createTenant(`e2e-deny-gen-${RUN}`, S3.bucket, {
      upload: { overwrite: "deny" },
      buckets: {
        gen: {
          endpoint: S3.endpoint,
          bucket: S3.bucket,
          region: S3.region,
          style: "path",
          credentials: "S3_E2E",
          provider: "generic",
        },
      },
      defaultBucket: "gen",
    });
    const genToken = await generic.token();
    const key = `deny/mp-${RUN}.bin`;
    const first = await presign(genToken, { method: "PUT", key });
    expect((await put(first.url, first.headers, "existing")).status).toBe(200);

    const created = await api(genToken, "/v1/uploads/multipart", { key });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const uploadId = String(created.json?.uploadId);
    const signed = await api(genToken, "/v1/uploads/multipart/sign-parts", {
      key,
      uploadId,
      partNumbers: [1],
    });
    const part = await put(String(signed.json?.parts[0].url), {}, "replacement");
    expect(part.status).toBe(200);
    const completed = await api(genToken, "/v1/uploads/multipart/complete", {
      key,
      uploadId,
      parts: [{ partNumber: 1, etag: String(part.headers.etag) }],
    });
    const stored = (await read(genToken, key, "gen")).text;
    const outcome =
      completed.status === 412
        ? "honoured (412 precondition_failed)"
        : `ignored (${completed.status})`;
    console.info(
      `radosgw CompleteMultipartUpload with If-None-Match: * on an existing key: ${outcome}`,
    );
    // Either radosgw honours it (412, object untouched) or ignores it (200, object replaced):
    // nothing in between. The ceph cell (conditionalComplete: false) expects "ignored".
    if (completed.status === 412) {
      expect(completed.json?.code).toBe("precondition_failed");
      expect(stored).toBe("existing");
      await api(genToken, "/v1/uploads/multipart/abort", { key, uploadId });
    } else {
      expect(completed.status, JSON.stringify(completed.json)).toBe(200);
      expect(stored).toBe("replacement");
    }
  });
});
