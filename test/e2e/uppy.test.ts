/**
 * The Uppy adapter (`client.uppy()` → `signRequest`) against the real gateway and radosgw, with
 * exactly the requests @uppy/aws-s3 6.x makes itself (`S3mini.ts`): the same methods, query,
 * headers (its own Content-Type, then the signer's headers over it) and bodies (the POST form
 * for a `fields` answer; the CompleteMultipartUpload XML built from unquoted part ETags).
 */
import { createHash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  edgesign,
  EdgesignError,
  type UppyPresignedResponse,
  type UppySignRequest,
} from "../../src/client/index";
import { createTenant, GATEWAY_URL, RUN, S3, s3Request, type TestTenant } from "./support";

const MiB = 1024 ** 2;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let limited: TestTenant;
let open: TestTenant;
let signRequest: UppySignRequest;

beforeAll(async () => {
  limited = await createTenant(`e2e-uppy-${RUN}`, S3.bucket, {
    upload: { maxBytes: 13 * MiB },
  });
  open = await createTenant(`e2e-uppy-open-${RUN}`, S3.bucket);
  signRequest = edgesign({ gateway: GATEWAY_URL, token: () => limited.token() }).uppy();
});

/**
 * `S3Client.xhr`: the file's Content-Type first, then the signer's headers over it; Uppy's
 * `fetcher` folds names that differ only in case, so a signed `content-type` replaces it.
 */
function uppyHeaders(signed: UppyPresignedResponse, contentType?: string): Record<string, string> {
  const headers = new Map<string, string>();
  if (contentType !== undefined) headers.set("content-type", contentType);
  for (const [name, value] of Object.entries(signed.headers ?? {})) {
    headers.set(name.toLowerCase(), value);
  }
  return Object.fromEntries(headers);
}

/** `S3mini._buildCompleteMultipartUploadXml` with ETags as `sanitizeETag` leaves them. */
function completeXml(parts: { partNumber: number; etag: string }[]): string {
  return `<CompleteMultipartUpload>${parts
    .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag></Part>`)
    .join("")}</CompleteMultipartUpload>`;
}

const xmlValue = (xml: string, tag: string) =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];

async function downloadAs(tenant: TestTenant, fullKey: string): Promise<Buffer> {
  const relative = fullKey.slice(`${tenant.id}/users/alice/`.length);
  const res = await fetch(`${GATEWAY_URL}/v1/presign`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await tenant.token()}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ method: "GET", key: relative }),
  });
  const { url } = (await res.json()) as { url: string };
  const got = await s3Request(url);
  expect(got.status).toBe(200);
  return got.body;
}

/** Uppy's multipart flow up to (not including) complete: create, then every part. */
async function createAndUpload(file: Buffer, chunk: number) {
  const requestedKey = `${crypto.randomUUID()}-video.bin`;
  const created = await signRequest({ method: "POST", key: requestedKey });
  const init = await fetch(created.url, {
    method: "POST",
    headers: uppyHeaders(created, "application/octet-stream"),
  });
  const initXml = await init.text();
  expect(init.status, initXml).toBe(200);
  const uploadId = xmlValue(initXml, "UploadId") ?? "";
  const key = created.key ?? requestedKey;
  expect(key).toBe(`${limited.id}/users/alice/${requestedKey}`);

  const parts: { partNumber: number; etag: string }[] = [];
  for (let start = 0, n = 1; start < file.length; start += chunk, n += 1) {
    const signed = await signRequest({ method: "PUT", key, uploadId, partNumber: n });
    const put = await fetch(signed.url, {
      method: "PUT",
      headers: uppyHeaders(signed),
      body: file.subarray(start, start + chunk),
    });
    expect(put.status).toBe(200);
    parts.push({ partNumber: n, etag: (put.headers.get("etag") ?? "").replace(/^"+|"+$/g, "") });
  }
  return { key, uploadId, parts };
}

describe("Uppy's signRequest through edgesign", () => {
  it("PutObject with a size limit: a POST form radosgw checks, stored under the returned key", async () => {
    const file = randomBytes(200 * 1024);
    const signed = await signRequest({ method: "PUT", key: "photo.png", contentType: "image/png" });
    expect(signed.fields).toBeDefined();
    // S3mini.postObject → buildPostPolicyForm: the fields, then the file.
    const form = new FormData();
    for (const [name, value] of Object.entries(signed.fields ?? {})) form.set(name, value);
    form.set("file", new Blob([file]));
    const posted = await fetch(signed.url, { method: "POST", body: form });
    expect(posted.status).toBe(204);
    const key = signed.fields?.key ?? "";
    expect(key).toBe(`${limited.id}/users/alice/photo.png`);
    expect(sha256(await downloadAs(limited, key))).toBe(sha256(file));

    const over = new FormData();
    for (const [name, value] of Object.entries(signed.fields ?? {})) over.set(name, value);
    over.set("file", new Blob([Buffer.alloc(13 * MiB + 1)]));
    const refused = await fetch(signed.url, { method: "POST", body: over });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("EntityTooLarge");
  });

  it("PutObject without a size limit: a presigned PUT with the signed Content-Type", async () => {
    const sign = edgesign({ gateway: GATEWAY_URL, token: () => open.token() }).uppy();
    const file = Buffer.from(`plain put ${RUN}`);
    const signed = await sign({ method: "PUT", key: "note.txt", contentType: "text/plain" });
    expect(signed.fields).toBeUndefined();
    const put = await fetch(signed.url, {
      method: "PUT",
      headers: uppyHeaders(signed, "text/plain"),
      body: file,
    });
    expect(put.status).toBe(200);
    expect((await downloadAs(open, signed.key ?? "")).equals(file)).toBe(true);
  });

  it("multipart exactly as Uppy drives it: create, parts, list, complete; bytes round-trip", async () => {
    const file = randomBytes(12 * MiB);
    const { key, uploadId, parts } = await createAndUpload(file, 5 * MiB);
    expect(parts).toHaveLength(3);

    const listed = await signRequest({ method: "GET", key, uploadId });
    const list = await fetch(listed.url, { headers: uppyHeaders(listed) });
    const listXml = await list.text();
    expect(list.status).toBe(200);
    expect(listXml.match(/<PartNumber>/g)).toHaveLength(3);

    const completing = await signRequest({ method: "POST", key, uploadId });
    expect(Object.keys(completing.headers ?? {})).toEqual(["x-amz-content-sha256"]);
    const done = await fetch(completing.url, {
      method: "POST",
      headers: uppyHeaders(completing, "application/xml"),
      body: completeXml(parts),
    });
    const doneXml = await done.text();
    expect(done.status, doneXml).toBe(200);
    // What S3mini.completeMultipartUpload needs from the answer.
    expect(xmlValue(doneXml, "Key")).toBe(key);
    expect(xmlValue(doneXml, "Location")).toBeTruthy();
    expect(sha256(await downloadAs(limited, key))).toBe(sha256(file));
  });

  it("a complete signed for the listed parts refuses a part swapped afterwards", async () => {
    const file = randomBytes(6 * MiB);
    const { key, uploadId, parts } = await createAndUpload(file, 5 * MiB);
    const completing = await signRequest({ method: "POST", key, uploadId });
    // Part 2 replaced by a bigger one after the gateway checked the sizes.
    const resigned = await signRequest({ method: "PUT", key, uploadId, partNumber: 2 });
    const swapped = await fetch(resigned.url, { method: "PUT", body: Buffer.alloc(9 * MiB, 1) });
    expect(swapped.status).toBe(200);
    const newEtag = (swapped.headers.get("etag") ?? "").replace(/"/g, "");
    const withNew = completeXml([
      parts[0] ?? { partNumber: 1, etag: "" },
      { partNumber: 2, etag: newEtag },
    ]);
    const refused = await fetch(completing.url, {
      method: "POST",
      headers: uppyHeaders(completing, "application/xml"),
      body: withNew,
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("XAmzContentSHA256Mismatch");
    // Signing again now sees 5 + 9 MiB > 13 MiB: refused, and the upload aborted.
    const again = await signRequest({ method: "POST", key, uploadId }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(EdgesignError);
    expect((again as EdgesignError).status).toBe(413);
    const listed = await signRequest({ method: "GET", key, uploadId });
    expect((await fetch(listed.url)).status).toBe(404);
  });

  it("abort (DELETE ?uploadId) removes the upload", async () => {
    const { key, uploadId } = await createAndUpload(randomBytes(1024), 5 * MiB);
    const aborting = await signRequest({ method: "DELETE", key, uploadId });
    expect((await fetch(aborting.url, { method: "DELETE" })).status).toBe(204);
    const listed = await signRequest({ method: "GET", key, uploadId });
    expect((await fetch(listed.url)).status).toBe(404);
  });

  it("refuses keys outside the caller's prefix, so another user's upload cannot be touched", async () => {
    const { key, uploadId } = await createAndUpload(randomBytes(1024), 5 * MiB);
    const bob = edgesign({ gateway: GATEWAY_URL, token: () => limited.token({}, "bob") }).uppy();
    for (const request of [
      { method: "PUT" as const, key, uploadId, partNumber: 1 },
      { method: "POST" as const, key, uploadId },
      { method: "DELETE" as const, key, uploadId },
      { method: "DELETE" as const, key },
    ]) {
      const refused = await bob(request).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(EdgesignError);
      expect((refused as EdgesignError).status).toBe(403);
    }
    // Bob's own key with alice's upload id: S3 ties the id to alice's key.
    const own = await bob({ method: "POST", key: "video.bin" });
    const bobKey = own.key ?? "";
    const stolen = await bob({ method: "PUT", key: bobKey, uploadId, partNumber: 1 });
    expect((await fetch(stolen.url, { method: "PUT", body: "x" })).status).toBe(404);
  });
});
