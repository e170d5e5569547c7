/**
 * The client's confirm: `client.confirm`, `uploadFile` confirming a single PUT (on by default,
 * never failing a stored upload), and the Uppy adapter's `confirm` for Uppy's full key.
 */
import { describe, expect, it } from "vitest";
import { edgesign, EdgesignError } from "../../src/client/index";

const GATEWAY = "https://gateway.example";

/** A fake gateway and S3: presign, confirm (answering `confirmStatus`), sign-request, PUT. */
function network(confirmStatus = 200) {
  const sent: { path: string; body: unknown }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.origin !== GATEWAY) {
      return new Response(null, { status: 200, headers: { ETag: '"etag-put"' } });
    }
    const text = await request.text();
    const body = text === "" ? undefined : (JSON.parse(text) as Record<string, string>);
    sent.push({ path: url.pathname, body });
    if (url.pathname === "/v1/presign") {
      return Response.json({
        url: `https://s3.test/b/full/${body?.key}`,
        method: "PUT",
        headers: {},
        bucket: "main",
        key: `full/${body?.key}`,
        expiresIn: 900,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        serverTime: new Date().toISOString(),
      });
    }
    if (url.pathname === "/v1/uploads/sign-request") {
      return Response.json({
        url: "https://s3.test/signed",
        method: body?.method,
        key: `full/${body?.key}`,
        expiresAt: "x",
      });
    }
    if (url.pathname === "/v1/uploads/confirm" && confirmStatus === 200) {
      return Response.json({
        key: `full/${body?.key}`,
        bucket: body?.bucket ?? "main",
        size: 5,
        etag: '"etag-head"',
        contentType: "text/plain",
      });
    }
    return Response.json(
      {
        type: "urn:edgesign:problem:upstream_error",
        title: "Bad Gateway",
        status: confirmStatus,
        detail: "S3 HeadObject failed",
        code: "upstream_error",
        requestId: "r",
      },
      { status: confirmStatus, headers: { "Content-Type": "application/problem+json" } },
    );
  };
  return { sent, client: edgesign({ gateway: GATEWAY, token: "t", fetch }) };
}

describe("confirm", () => {
  it("client.confirm posts the relative key and bucket and returns what the gateway read", async () => {
    const { sent, client } = network();
    const confirmed = await client.confirm("a.txt", { bucket: "archive" });
    expect(sent).toEqual([
      { path: "/v1/uploads/confirm", body: { key: "a.txt", bucket: "archive" } },
    ]);
    expect(confirmed).toEqual({
      key: "full/a.txt",
      bucket: "archive",
      size: 5,
      etag: '"etag-head"',
      contentType: "text/plain",
    });
  });

  it("uploadFile confirms a single PUT by default, with the bucket the PUT went to", async () => {
    const { sent, client } = network();
    const result = await client.uploadFile(new Blob(["hello"]), { key: "h.txt" });
    expect(sent.map((call) => call.path)).toEqual(["/v1/presign", "/v1/uploads/confirm"]);
    expect(sent[1]?.body).toEqual({ key: "h.txt", bucket: "main" });
    expect(result).toMatchObject({ confirmed: true, etag: '"etag-head"', size: 5 });
  });

  it("uploadFile does not confirm with confirm: false", async () => {
    const { sent, client } = network();
    const result = await client.uploadFile(new Blob(["hello"]), { key: "h.txt", confirm: false });
    expect(sent.map((call) => call.path)).toEqual(["/v1/presign"]);
    expect(result).toMatchObject({ confirmed: false, etag: '"etag-put"' });
  });

  it("a failed confirm leaves the stored upload a success, marked unconfirmed", async () => {
    const { client } = network(502);
    const result = await client.uploadFile(new Blob(["hello"]), { key: "h.txt" });
    expect(result).toEqual({
      key: "full/h.txt",
      bucket: "main",
      size: 5,
      etag: '"etag-put"',
      multipart: false,
      confirmed: false,
    });
    await expect(client.confirm("h.txt")).rejects.toBeInstanceOf(EdgesignError);
  });

  it("the Uppy adapter confirms Uppy's full key as the relative key it signed", async () => {
    const { sent, client } = network();
    const signRequest = client.uppy({ bucket: "main" });
    const signed = await signRequest({ method: "PUT", key: "photos/cat.png" });
    expect(signed.key).toBe("full/photos/cat.png");
    const confirmed = await signRequest.confirm("full/photos/cat.png");
    expect(confirmed.key).toBe("full/photos/cat.png");
    expect(sent.at(-1)).toEqual({
      path: "/v1/uploads/confirm",
      body: { key: "photos/cat.png", bucket: "main" },
    });
    await expect(signRequest.confirm("full/other.png")).rejects.toThrow(/no upload/);
  });

  it("given the Uppy instance, the adapter confirms each upload it signed on upload-success", async () => {
    const { sent, client } = network();
    const handlers: ((file: unknown, response: { body?: { key?: string } }) => void)[] = [];
    const uppy = {
      on: (_event: "upload-success", handler: (typeof handlers)[number]) => handlers.push(handler),
    };
    const signRequest = client.uppy({ uppy });
    await signRequest({ method: "PUT", key: "photos/cat.png" });
    const before = sent.length;
    for (const handler of handlers) handler({}, { body: { key: "full/photos/cat.png" } });
    // A key this adapter did not sign (another plugin's upload) is left alone.
    for (const handler of handlers) handler({}, { body: { key: "full/not-mine.png" } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent.slice(before)).toEqual([
      { path: "/v1/uploads/confirm", body: { key: "photos/cat.png" } },
    ]);
  });

  it("a failed automatic confirm goes to onConfirmError, never thrown into Uppy", async () => {
    const { client } = network(503);
    const handlers: ((file: unknown, response: { body?: { key?: string } }) => void)[] = [];
    const uppy = {
      on: (_event: "upload-success", handler: (typeof handlers)[number]) => handlers.push(handler),
    };
    const failures: [unknown, string][] = [];
    const signRequest = client.uppy({
      uppy,
      onConfirmError: (error, key) => failures.push([error, key]),
    });
    await signRequest({ method: "PUT", key: "photos/cat.png" });
    for (const handler of handlers) handler({}, { body: { key: "full/photos/cat.png" } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(failures).toHaveLength(1);
    expect(failures[0]?.[0]).toBeInstanceOf(EdgesignError);
    expect(failures[0]?.[1]).toBe("full/photos/cat.png");
  });
});
