/**
 * The typed client against a scripted fake network (gateway + S3), inside workerd: the same
 * file that runs in browsers and Node, so these tests also show it needs nothing but Web APIs.
 */
import { describe, expect, it } from "vitest";
import {
  edgesign,
  EdgesignError,
  S3RequestError,
  uppy,
  type EdgesignClient,
} from "../../src/client/index";

const GATEWAY = "https://gw.test";
const HOUR = 3_600_000;

interface Sent {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

/**
 * A fake gateway and S3. Part URLs carry a version (`v`) so a re-signed URL differs; S3 answers
 * `failures[url]` once for a URL listed there, and parts are stored by number.
 */
class FakeNetwork {
  readonly sent: Sent[] = [];
  readonly failures = new Map<string, { status: number; code: string }>();
  readonly stored = new Map<number, string>();
  partExpiresAt = () => new Date(Date.now() + HOUR).toISOString();
  signVersion = 0;
  tokens = 0;

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const body = await request.text();
    this.sent.push({ method: request.method, url: request.url, headers: request.headers, body });
    const url = new URL(request.url);
    if (url.origin === GATEWAY) return this.gateway(url, body);
    const failure = this.failures.get(request.url);
    if (failure !== undefined) {
      this.failures.delete(request.url);
      return new Response(`<Error><Code>${failure.code}</Code></Error>`, {
        status: failure.status,
      });
    }
    const part = url.searchParams.get("partNumber");
    if (part !== null) this.stored.set(Number(part), body);
    return new Response(null, { status: 200, headers: { ETag: `"etag-${part ?? "object"}"` } });
  };

  calls(path: string): Sent[] {
    return this.sent.filter((sent) => new URL(sent.url).pathname === path);
  }

  private gateway(url: URL, body: string): Response {
    const json = body === "" ? {} : (JSON.parse(body) as Record<string, unknown>);
    const ok = (value: unknown) => Response.json(value);
    switch (url.pathname) {
      case "/v1/presign":
        return ok({
          url: `https://s3.test/bucket/full/${String(json.key)}?sig=1`,
          method: json.method,
          headers: {
            "content-length": String(json.contentLength),
            "content-type": String(json.contentType),
          },
          bucket: "main",
          key: `full/${String(json.key)}`,
          expiresIn: 900,
          expiresAt: new Date(Date.now() + HOUR).toISOString(),
          serverTime: new Date().toISOString(),
        });
      case "/v1/uploads/multipart":
        return ok({
          uploadId: "up-1",
          key: `full/${String(json.key)}`,
          bucket: "main",
          partSize: 4,
        });
      case "/v1/uploads/multipart/sign-parts": {
        this.signVersion += 1;
        const numbers = json.partNumbers as number[];
        return ok({
          parts: numbers.map((n) => ({
            partNumber: n,
            url: `https://s3.test/bucket/full/k?partNumber=${n}&uploadId=up-1&v=${this.signVersion}`,
          })),
          expiresAt: this.partExpiresAt(),
        });
      }
      case "/v1/uploads/multipart/complete": {
        const parts = json.parts as { partNumber: number }[];
        return ok({
          key: `full/${String(json.key)}`,
          bucket: "main",
          etag: '"x-2"',
          size: parts.length * 4,
        });
      }
      case "/v1/uploads/multipart/abort":
        return new Response(null, { status: 204 });
      case "/v1/uploads/sign-request":
        return ok({
          url: "https://s3.test/signed",
          method: json.method,
          key: "full/k",
          expiresAt: "x",
          headers: { "content-type": "text/plain" },
        });
      default:
        return Response.json(
          {
            type: "urn:edgesign:problem:forbidden",
            title: "Forbidden",
            status: 403,
            detail: "the token does not grant 'link'",
            code: "forbidden",
            requestId: "req-1",
          },
          { status: 403, headers: { "Content-Type": "application/problem+json" } },
        );
    }
  }
}

function clientOf(network: FakeNetwork): EdgesignClient {
  return edgesign({
    gateway: `${GATEWAY}/`,
    token: () => {
      network.tokens += 1;
      return `token-${network.tokens}`;
    },
    fetch: network.fetch,
  });
}

const bytes = (n: number) => new Blob([new Uint8Array(n).map((_, i) => 97 + (i % 26))]);

describe("uploadFile", () => {
  it("sends a small file as one presigned PUT with the signed headers a browser may set", async () => {
    const network = new FakeNetwork();
    const progress: number[] = [];
    const file = new Blob(["hello world"], { type: "text/plain" });
    const result = await clientOf(network).uploadFile(file, {
      key: "hello.txt",
      onProgress: (done, total) => progress.push(done / total),
    });

    const [presign] = network.calls("/v1/presign");
    expect(JSON.parse(presign?.body ?? "")).toEqual({
      method: "PUT",
      key: "hello.txt",
      contentLength: 11,
      contentType: "text/plain",
    });
    expect(presign?.headers.get("Authorization")).toBe("Bearer token-1");
    const put = network.sent.find((sent) => sent.method === "PUT");
    expect(put?.body).toBe("hello world");
    expect(put?.headers.get("content-type")).toBe("text/plain");
    // Content-Length is the browser's to set (a forbidden header); the body gives it.
    expect(put?.headers.get("content-length")).not.toBe("999");
    expect(result).toEqual({
      key: "full/hello.txt",
      bucket: "main",
      size: 11,
      etag: '"etag-object"',
      multipart: false,
      // This fake gateway refuses the confirm (403): the stored upload still stands.
      confirmed: false,
    });
    expect(progress).toEqual([0, 1]);
  });

  it("uses multipart above the threshold, signing parts 100 at a time, and completes", async () => {
    const network = new FakeNetwork();
    const progress: number[] = [];
    const file = bytes(250 * 4 - 1);
    const result = await clientOf(network).uploadFile(file, {
      key: "big.bin",
      multipartThreshold: 10,
      concurrency: 5,
      onProgress: (done) => progress.push(done),
    });

    const signCalls = network.calls("/v1/uploads/multipart/sign-parts");
    const batches = signCalls.map(
      (call) => (JSON.parse(call.body) as { partNumbers: number[] }).partNumbers,
    );
    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(
      Array.from({ length: 250 }, (_, i) => i + 1),
    );
    expect(network.stored.size).toBe(250);
    const text = await file.text();
    const reassembled = [...network.stored.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, part]) => part)
      .join("");
    expect(reassembled).toBe(text);

    const complete = JSON.parse(network.calls("/v1/uploads/multipart/complete")[0]?.body ?? "") as {
      uploadId: string;
      parts: { partNumber: number; etag: string }[];
    };
    expect(complete.uploadId).toBe("up-1");
    expect(complete.parts).toHaveLength(250);
    expect(complete.parts.find((p) => p.partNumber === 7)?.etag).toBe('"etag-7"');
    expect(result.multipart).toBe(true);
    expect(progress.at(-1)).toBe(file.size);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(network.calls("/v1/uploads/multipart/abort")).toHaveLength(0);
  });

  it("re-signs a part whose URL S3 refuses as expired, and retries it", async () => {
    const network = new FakeNetwork();
    network.failures.set("https://s3.test/bucket/full/k?partNumber=2&uploadId=up-1&v=1", {
      status: 403,
      code: "AccessDenied",
    });
    await clientOf(network).uploadFile(bytes(12), { key: "k", multipartThreshold: 4 });

    const signed = network
      .calls("/v1/uploads/multipart/sign-parts")
      .map((call) => (JSON.parse(call.body) as { partNumbers: number[] }).partNumbers);
    expect(signed).toEqual([[1, 2, 3], [2]]);
    const part2 = network.sent.filter((sent) => sent.url.includes("partNumber=2"));
    expect(part2.map((sent) => new URL(sent.url).searchParams.get("v"))).toEqual(["1", "2"]);
    expect(network.stored.size).toBe(3);
  });

  it("signs a part again before use when its URL is about to expire", async () => {
    const network = new FakeNetwork();
    let first = true;
    // The first batch lives 1 s: part 1 uses it at once, part 2 must not rely on it.
    network.partExpiresAt = () => {
      const expiresAt = first ? Date.now() + 1000 : Date.now() + HOUR;
      first = false;
      return new Date(expiresAt).toISOString();
    };
    await clientOf(network).uploadFile(bytes(8), {
      key: "k",
      multipartThreshold: 4,
      concurrency: 1,
    });
    const signed = network
      .calls("/v1/uploads/multipart/sign-parts")
      .map((call) => (JSON.parse(call.body) as { partNumbers: number[] }).partNumbers);
    expect(signed).toEqual([[1, 2], [2]]);
    const puts = network.sent.filter((sent) => sent.method === "PUT").map((sent) => sent.url);
    expect(puts).toEqual([
      "https://s3.test/bucket/full/k?partNumber=1&uploadId=up-1&v=1",
      "https://s3.test/bucket/full/k?partNumber=2&uploadId=up-1&v=2",
    ]);
  });

  it("aborts the upload and surfaces S3's refusal when a part fails for good", async () => {
    const network = new FakeNetwork();
    network.failures.set("https://s3.test/bucket/full/k?partNumber=1&uploadId=up-1&v=1", {
      status: 400,
      code: "InvalidArgument",
    });
    const failure = await clientOf(network)
      .uploadFile(bytes(8), { key: "k", multipartThreshold: 4 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(S3RequestError);
    expect((failure as S3RequestError).s3Code).toBe("InvalidArgument");
    expect((failure as S3RequestError).status).toBe(400);
    expect(network.calls("/v1/uploads/multipart/abort")).toHaveLength(1);
    expect(network.calls("/v1/uploads/multipart/complete")).toHaveLength(0);
  });
});

describe("gateway errors", () => {
  it("are EdgesignErrors carrying the problem+json", async () => {
    const network = new FakeNetwork();
    const failure = await clientOf(network)
      .createLink({ key: "a.txt", ttl: 3600 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EdgesignError);
    const error = failure as EdgesignError;
    expect(error.status).toBe(403);
    expect(error.code).toBe("forbidden");
    expect(error.requestId).toBe("req-1");
    expect(error.problem?.detail).toMatch(/link/);
    expect(error.message).toBe("Forbidden: the token does not grant 'link'");
  });

  it("say so when the answer is not a problem", async () => {
    const failure = await edgesign({
      gateway: GATEWAY,
      token: "t",
      fetch: async () => new Response("<html>bad gateway</html>", { status: 502 }),
    })
      .presign({ method: "GET", key: "a" })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EdgesignError);
    expect((failure as EdgesignError).code).toBe("unreadable_response");
    expect((failure as EdgesignError).status).toBe(502);
  });
});

describe("uppy adapter", () => {
  it("forwards Uppy's request fields and returns url, key and headers", async () => {
    const network = new FakeNetwork();
    const signRequest = uppy({
      gateway: GATEWAY,
      token: "tok",
      fetch: network.fetch,
      bucket: "main",
    });
    const answer = await signRequest({ method: "PUT", key: "k", uploadId: "up-1", partNumber: 3 });
    expect(answer).toEqual({
      url: "https://s3.test/signed",
      key: "full/k",
      headers: { "content-type": "text/plain" },
    });
    const sent = network.calls("/v1/uploads/sign-request")[0];
    expect(JSON.parse(sent?.body ?? "")).toEqual({
      method: "PUT",
      key: "k",
      uploadId: "up-1",
      partNumber: 3,
      bucket: "main",
    });
    expect(sent?.headers.get("Authorization")).toBe("Bearer tok");
  });
});
