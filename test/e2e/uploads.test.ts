/**
 * Uploads that S3 enforces, against a real radosgw: presigned POST forms (the POST policy's
 * conditions checked by the server) and multipart uploads (the gateway's own S3 calls plus
 * presigned UploadPart URLs).
 */
import { createHash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  type ApiResponse,
  createTenant,
  GATEWAY_URL,
  postForm,
  presign,
  RUN,
  S3,
  s3Request,
  type TestTenant,
  uploadParts,
} from "./support";

const MiB = 1024 ** 2;

function expectProblem(res: ApiResponse, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.contentType).toBe("application/problem+json");
  expect(res.json.code).toBe(code);
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function getObject(token: string, key: string, bucket = "path") {
  return s3Request((await presign(token, { method: "GET", key, bucket })).url);
}

let tenant: TestTenant;
let token: string;

beforeAll(async () => {
  tenant = await createTenant(`e2e-up-${RUN}`, S3.bucket, {
    upload: { maxBytes: 20 * MiB, contentTypes: ["text/*", "application/octet-stream"] },
  });
  token = await tenant.token();
});

describe("presigned POST: radosgw enforces the policy", () => {
  it("a form upload within the range is stored with the signed type and metadata", async () => {
    const key = `post/ok-${RUN}.txt`;
    const file = Buffer.from("posted through a browser form");
    const form = await api(token, "/v1/uploads/post", {
      key,
      contentType: "text/plain",
      maxBytes: 100,
      metadata: { origin: "e2e" },
    });
    expect(form.status).toBe(200);
    expect(form.json.url).toBe(`${S3.endpoint}/${S3.bucket}`);
    expect(form.json.maxBytes).toBe(100);
    const posted = await postForm(form.json, file);
    expect(posted.status, posted.text).toBe(204);
    const get = await getObject(token, key);
    expect(get.status).toBe(200);
    expect(sha256(get.body)).toBe(sha256(file));
    expect(get.headers["content-type"]).toBe("text/plain");
    expect(get.headers["x-amz-meta-origin"]).toBe("e2e");
  });

  it("a file over maxBytes is refused by radosgw with 400 EntityTooLarge", async () => {
    const form = await api(token, "/v1/uploads/post", {
      key: `post/big-${RUN}.txt`,
      contentType: "text/plain",
      maxBytes: 10,
    });
    const tooBig = await postForm(form.json, Buffer.alloc(11, 97));
    expect(tooBig.status).toBe(400);
    expect(tooBig.text).toContain("<Code>EntityTooLarge</Code>");
    const exact = await postForm(form.json, Buffer.alloc(10, 97));
    expect(exact.status).toBe(204);
  });

  it("another key, another content type or an extra field is refused (403)", async () => {
    const form = await api(token, "/v1/uploads/post", {
      key: `post/pinned-${RUN}.txt`,
      contentType: "text/plain",
      maxBytes: 100,
    });
    const file = Buffer.from("x");
    const otherKey = await postForm(form.json, file, {
      key: `${tenant.id}/users/bob/stolen-${RUN}.txt`,
    });
    expect(otherKey.status).toBe(403);
    const otherType = await postForm(form.json, file, { "Content-Type": "text/html" });
    expect(otherType.status).toBe(403);
    const acl = await postForm(form.json, file, { acl: "public-read" });
    expect(acl.status).toBe(403);
    expect((await getObject(token, `post/pinned-${RUN}.txt`)).status).toBe(404);
  });

  it("success_action_status 201 answers with the stored key; temporary credentials work", async () => {
    const key = `post/temp-${RUN}.txt`;
    const form = await api(token, "/v1/uploads/post", {
      key,
      bucket: "temp",
      contentType: "text/plain",
      successActionStatus: 201,
    });
    expect(form.json.fields["x-amz-security-token"]).toBeTruthy();
    const posted = await postForm(form.json, Buffer.from("temp creds"));
    expect(posted.status, posted.text).toBe(201);
    expect(posted.text).toContain(`<Key>${tenant.id}/users/alice/${key}</Key>`);
  });
});

describe("multipart uploads through the gateway", () => {
  async function create(t: string, key: string, size?: number) {
    const res = await api(t, "/v1/uploads/multipart", {
      key,
      contentType: "application/octet-stream",
      ...(size === undefined ? {} : { size }),
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json as { uploadId: string; key: string; partSize: number };
  }

  it("a 12 MiB file in parts of 5, 5 and 2 MiB completes and reads back byte-identical", async () => {
    const key = `mp/twelve-${RUN}.bin`;
    const file = randomBytes(12 * MiB);
    const upload = await create(token, key, file.length);
    expect(upload.partSize).toBe(5 * MiB);
    expect(upload.key).toBe(`${tenant.id}/users/alice/${key}`);
    const parts = [
      file.subarray(0, 5 * MiB),
      file.subarray(5 * MiB, 10 * MiB),
      file.subarray(10 * MiB),
    ];
    const etags = await uploadParts(token, key, upload.uploadId, parts);

    const listed = await api(
      token,
      `/v1/uploads/multipart/parts?${new URLSearchParams({ key, uploadId: upload.uploadId })}`,
    );
    expect(listed.status).toBe(200);
    expect(listed.json.parts.map((p: { size: number }) => p.size)).toEqual([
      5 * MiB,
      5 * MiB,
      2 * MiB,
    ]);

    const done = await api(token, "/v1/uploads/multipart/complete", {
      key,
      uploadId: upload.uploadId,
      parts: [...etags].reverse(),
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json).toMatchObject({ key: upload.key, size: 12 * MiB });
    expect(done.json.etag).toMatch(/-3"?$/);

    const get = await getObject(token, key);
    expect(get.status).toBe(200);
    expect(get.body.length).toBe(file.length);
    expect(sha256(get.body)).toBe(sha256(file));
    expect(get.headers["content-type"]).toBe("application/octet-stream");
  });

  it("parts adding up to more than upload.maxBytes are aborted at complete (413)", async () => {
    const small = await createTenant(`e2e-upsmall-${RUN}`, S3.bucket, {
      upload: { maxBytes: 8 * MiB },
    });
    const smallToken = await small.token();
    const key = `mp/over-${RUN}.bin`;
    const upload = await create(smallToken, key);
    const etags = await uploadParts(smallToken, key, upload.uploadId, [
      randomBytes(5 * MiB),
      randomBytes(4 * MiB),
    ]);
    const refused = await api(smallToken, "/v1/uploads/multipart/complete", {
      key,
      uploadId: upload.uploadId,
      parts: etags,
    });
    expectProblem(refused, 413, "payload_too_large");
    const list = await api(
      smallToken,
      `/v1/uploads/multipart/parts?${new URLSearchParams({ key, uploadId: upload.uploadId })}`,
    );
    expectProblem(list, 404, "not_found");
    expect((await getObject(smallToken, key)).status).toBe(404);
  });

  it("abort removes the upload: parts are 404 and part URLs stop working", async () => {
    const key = `mp/abort-${RUN}.bin`;
    const upload = await create(token, key);
    await uploadParts(token, key, upload.uploadId, [Buffer.from("part one")]);
    const signed = await api(token, "/v1/uploads/multipart/sign-parts", {
      key,
      uploadId: upload.uploadId,
      partNumbers: [2],
    });
    const aborted = await fetch(`${GATEWAY_URL}/v1/uploads/multipart/abort`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ key, uploadId: upload.uploadId }),
    });
    expect(aborted.status).toBe(204);
    const list = await api(
      token,
      `/v1/uploads/multipart/parts?${new URLSearchParams({ key, uploadId: upload.uploadId })}`,
    );
    expectProblem(list, 404, "not_found");
    expect(list.json.detail).toMatch(/NoSuch(Upload|Key)/);
    const late = await s3Request(signed.json.parts[0].url, {
      method: "PUT",
      body: Buffer.from("x"),
    });
    expect(late.status).toBe(404);
    expect(late.body.toString()).toContain("<Code>NoSuchUpload</Code>");
  });

  it("tenant A's upload cannot be used by tenant B, nor A's part URLs for B's upload or key", async () => {
    const other = await createTenant(`e2e-upb-${RUN}`, S3.bucket);
    const otherToken = await other.token();
    const key = `mp/shared-name-${RUN}.bin`;
    const mine = await create(token, key);
    const theirs = await create(otherToken, key);

    // B names A's upload id with B's own key (all B can name): the gateway refuses.
    const sign = await api(otherToken, "/v1/uploads/multipart/sign-parts", {
      key,
      uploadId: mine.uploadId,
      partNumbers: [1],
    });
    expectProblem(sign, 404, "not_found");
    for (const [path, body] of [
      [
        "/v1/uploads/multipart/complete",
        { key, uploadId: mine.uploadId, parts: [{ partNumber: 1, etag: '"x"' }] },
      ],
      ["/v1/uploads/multipart/abort", { key, uploadId: mine.uploadId }],
    ] as const) {
      expectProblem(await api(otherToken, path, body), 404, "not_found");
    }

    // A's part URL, pointed at B's upload id or B's key, no longer verifies.
    const signed = await api(token, "/v1/uploads/multipart/sign-parts", {
      key,
      uploadId: mine.uploadId,
      partNumbers: [1],
    });
    const url: string = signed.json.parts[0].url;
    const intoTheirUpload = url.replace(
      `uploadId=${encodeURIComponent(mine.uploadId)}`,
      `uploadId=${encodeURIComponent(theirs.uploadId)}`,
    );
    expect(intoTheirUpload).not.toBe(url);
    expect(
      (await s3Request(intoTheirUpload, { method: "PUT", body: Buffer.from("evil") })).status,
    ).toBe(403);
    const intoTheirKey = url.replace(`/${tenant.id}/users/alice/`, `/${other.id}/users/alice/`);
    expect(intoTheirKey).not.toBe(url);
    expect(
      (await s3Request(intoTheirKey, { method: "PUT", body: Buffer.from("evil") })).status,
    ).toBe(403);

    // Both uploads are intact and each owner can still finish its own.
    const theirList = await api(
      otherToken,
      `/v1/uploads/multipart/parts?${new URLSearchParams({ key, uploadId: theirs.uploadId })}`,
    );
    expect(theirList.json.parts).toEqual([]);
    for (const [t, uploadId] of [
      [token, mine.uploadId],
      [otherToken, theirs.uploadId],
    ] as const) {
      const res = await fetch(`${GATEWAY_URL}/v1/uploads/multipart/abort`, {
        method: "POST",
        headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
        body: JSON.stringify({ key, uploadId }),
      });
      expect(res.status).toBe(204);
    }
  });

  it("S3 errors become problems: EntityTooSmall 400, unknown upload 404, NoSuchBucket 502", async () => {
    const key = `mp/small-${RUN}.bin`;
    const upload = await create(token, key);
    const etags = await uploadParts(token, key, upload.uploadId, [
      Buffer.from("tiny"),
      Buffer.from("parts"),
    ]);
    const small = await api(token, "/v1/uploads/multipart/complete", {
      key,
      uploadId: upload.uploadId,
      parts: etags,
    });
    expectProblem(small, 400, "invalid_request");
    expect(small.json.detail).toContain("EntityTooSmall");

    const unknown = await api(
      token,
      `/v1/uploads/multipart/parts?${new URLSearchParams({ key, uploadId: "2~no-such-upload" })}`,
    );
    expectProblem(unknown, 404, "not_found");

    const broken = await createTenant(`e2e-upnobucket-${RUN}`, "edgesign-no-such-bucket");
    const res = await api(await broken.token(), "/v1/uploads/multipart", { key });
    expectProblem(res, 502, "upstream_error");
    expect(res.json.detail).toContain("NoSuchBucket");
    expect(JSON.stringify(res.json)).not.toMatch(/Signature|Credential|127\.0\.0\.1/);
  });
});
