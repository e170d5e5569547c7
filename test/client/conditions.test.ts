/**
 * The typed client's conditional-write options: `uploadFile({ ifNoneMatch, ifMatch })` asks the
 * gateway to sign them into the PUT or the multipart complete, and `uppy({ ifNoneMatch })` into
 * the two requests that write the object. A recording fake stands in for gateway and S3.
 */
import { describe, expect, it } from "vitest";
import { edgesign, uppy } from "../../src/client/index";

const GATEWAY = "https://gw.test";

/** Records every gateway body by path; S3 answers 200 with an ETag. */
function recorder() {
  const bodies = new Map<string, Record<string, unknown>[]>();
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.origin !== GATEWAY) return new Response(null, { headers: { ETag: '"e"' } });
    const body = JSON.parse((await request.text()) || "{}") as Record<string, unknown>;
    bodies.set(url.pathname, [...(bodies.get(url.pathname) ?? []), body]);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const answers: Record<string, unknown> = {
      "/v1/presign": { url: "https://s3.test/k", headers: {}, bucket: "main", key: "k", expiresAt },
      "/v1/uploads/multipart": { uploadId: "u", key: "k", bucket: "main", partSize: 4 },
      "/v1/uploads/multipart/sign-parts": {
        parts: [1, 2].map((n) => ({ partNumber: n, url: `https://s3.test/k?partNumber=${n}` })),
        expiresAt,
      },
      "/v1/uploads/multipart/complete": { key: "k", bucket: "main", etag: '"x"', size: 8 },
      "/v1/uploads/sign-request": { url: "https://s3.test/k", method: "PUT", key: "k", expiresAt },
    };
    return Response.json(answers[url.pathname]);
  };
  return { bodies, fetch };
}

describe("client conditional writes", () => {
  it("sends ifNoneMatch with the PUT presign of a small file", async () => {
    const net = recorder();
    const client = edgesign({ gateway: GATEWAY, token: "t", fetch: net.fetch });
    await client.uploadFile(new Blob(["abc"]), { key: "k", ifNoneMatch: "*" });
    expect(net.bodies.get("/v1/presign")?.[0]).toMatchObject({ method: "PUT", ifNoneMatch: "*" });
  });

  it("sends ifMatch with the multipart complete of a large file, not with create", async () => {
    const net = recorder();
    const client = edgesign({ gateway: GATEWAY, token: "t", fetch: net.fetch });
    await client.uploadFile(new Blob(["12345678"]), {
      key: "k",
      ifMatch: '"v1"',
      multipartThreshold: 4,
      partSize: 4,
    });
    expect(net.bodies.get("/v1/uploads/multipart/complete")?.[0]).toMatchObject({
      ifMatch: '"v1"',
    });
    expect(net.bodies.get("/v1/uploads/multipart")?.[0]).not.toHaveProperty("ifMatch");
  });

  it("uppy({ ifNoneMatch }) adds it to PutObject and the complete only", async () => {
    const net = recorder();
    const sign = uppy({ gateway: GATEWAY, token: "t", fetch: net.fetch, ifNoneMatch: "*" });
    await sign({ method: "PUT", key: "k" });
    await sign({ method: "POST", key: "k" });
    await sign({ method: "PUT", key: "k", uploadId: "u", partNumber: 1 });
    await sign({ method: "POST", key: "k", uploadId: "u" });
    await sign({ method: "DELETE", key: "k", uploadId: "u" });
    const sent = net.bodies.get("/v1/uploads/sign-request") ?? [];
    expect(sent.map((body) => body.ifNoneMatch ?? null)).toEqual(["*", null, null, "*", null]);
  });
});
