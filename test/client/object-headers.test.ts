/**
 * The typed client passes object headers on (src/client/index.ts): `uploadFile`'s
 * `objectHeaders` to the presigned PUT or the multipart create, and the Uppy adapter's
 * `objectHeaders(key)` to the two requests that create an object, and to no other.
 */
import { describe, expect, it } from "vitest";
import { edgesign } from "../../src/client/index";

const GATEWAY = "https://gw.test";

/** Records the JSON body of every gateway call and answers with what the client needs. */
function fakeNetwork() {
  const bodies: { path: string; body: Record<string, unknown> }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.origin !== GATEWAY)
      return new Response(null, { status: 200, headers: { ETag: '"e"' } });
    const text = await request.text();
    const body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    bodies.push({ path: url.pathname, body });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    switch (url.pathname) {
      case "/v1/presign":
        return Response.json({
          url: "https://s3.test/k",
          method: "PUT",
          headers: {},
          bucket: "main",
          key: "full/k",
          expiresIn: 900,
          expiresAt,
          serverTime: expiresAt,
        });
      case "/v1/uploads/multipart":
        return Response.json({ uploadId: "u", key: "full/k", bucket: "main", partSize: 5 });
      case "/v1/uploads/multipart/sign-parts":
        return Response.json({
          parts: (body.partNumbers as number[]).map((n) => ({
            partNumber: n,
            url: `https://s3.test/p${n}`,
          })),
          expiresAt,
        });
      case "/v1/uploads/multipart/complete":
        return Response.json({ key: "full/k", bucket: "main", etag: '"e-2"', size: 10 });
      default:
        return Response.json({
          url: "https://s3.test/x",
          method: body.method,
          key: "full/k",
          expiresAt,
        });
    }
  };
  return { bodies, fetch };
}

const HEADERS = { filename: "Zürich.pdf", cacheControl: "no-cache", tagging: { a: "b" } };

describe("uploadFile: objectHeaders", () => {
  it("are sent with the presigned PUT", async () => {
    const net = fakeNetwork();
    const client = edgesign({ gateway: GATEWAY, token: "t", fetch: net.fetch });
    await client.uploadFile(new Blob(["0123456789"]), { key: "k", objectHeaders: HEADERS });
    expect(net.bodies[0]).toEqual({
      path: "/v1/presign",
      body: { method: "PUT", key: "k", contentLength: 10, ...HEADERS },
    });
  });

  it("are sent with the multipart create", async () => {
    const net = fakeNetwork();
    const client = edgesign({ gateway: GATEWAY, token: "t", fetch: net.fetch });
    await client.uploadFile(new Blob(["0123456789"]), {
      key: "k",
      objectHeaders: HEADERS,
      multipartThreshold: 1,
    });
    expect(net.bodies[0]).toEqual({
      path: "/v1/uploads/multipart",
      body: { key: "k", size: 10, ...HEADERS },
    });
  });
});

describe("uppy(): objectHeaders(key)", () => {
  it("adds the key's headers to PutObject and CreateMultipartUpload only", async () => {
    const net = fakeNetwork();
    const asked: string[] = [];
    const signRequest = edgesign({ gateway: GATEWAY, token: "t", fetch: net.fetch }).uppy({
      objectHeaders: (key) => {
        asked.push(key);
        return { filename: `${key}.pdf` };
      },
    });
    await signRequest({ method: "PUT", key: "a" });
    await signRequest({ method: "POST", key: "b" });
    await signRequest({ method: "PUT", key: "full/b", uploadId: "u", partNumber: 1 });
    await signRequest({ method: "POST", key: "full/b", uploadId: "u" });
    await signRequest({ method: "DELETE", key: "full/a" });
    expect(asked).toEqual(["a", "b"]);
    expect(net.bodies.map(({ body }) => body.filename)).toEqual([
      "a.pdf",
      "b.pdf",
      undefined,
      undefined,
      undefined,
    ]);
  });
});
