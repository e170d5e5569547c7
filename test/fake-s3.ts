/**
 * A test-only, in-memory S3 that answers the multipart calls the gateway makes itself
 * (CreateMultipartUpload, ListParts, CompleteMultipartUpload, AbortMultipartUpload), installed as
 * the global `fetch`. It ties each upload id to its bucket and key the way S3 does (NoSuchUpload
 * for any other), pages ListParts, records every call, and can be told to fail an operation.
 * It shares no code with src/.
 */
import { vi } from "vitest";

export interface FakeUpload {
  bucket: string;
  key: string;
  contentType: string | null;
  /** `x-amz-checksum-algorithm` and `x-amz-checksum-type` of the create call. */
  checksumAlgorithm?: string | null;
  checksumType?: string | null;
  parts: Map<number, { etag: string; size: number; checksum?: string }>;
}

export interface FakeCall {
  operation: string;
  method: string;
  bucket: string;
  key: string;
  query: URLSearchParams;
  headers: Headers;
  body: string;
}

type Operation =
  | "HeadObject"
  | "CreateMultipartUpload"
  | "ListParts"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload";

export class FakeS3 {
  readonly uploads = new Map<string, FakeUpload>();
  /** Objects HeadObject finds, by `<bucket>/<key>`; `headers` are answered as they are. */
  readonly objects = new Map<
    string,
    { etag: string; size: number; headers?: Record<string, string> }
  >();
  readonly calls: FakeCall[] = [];
  private failures = new Map<Operation, { status: number; body: string } | "network">();
  private counter = 0;
  /** Answer CompleteMultipartUpload with `<ETag></ETag>`, as radosgw 16 does. */
  emptyCompleteEtag = false;

  /** Installs this fake as `fetch` for the current test. */
  install(): this {
    vi.stubGlobal(
      "fetch",
      vi.fn((input: RequestInfo | URL, init?: RequestInit) =>
        this.handle(new Request(input, init)),
      ),
    );
    return this;
  }

  /** Makes the next calls of `operation` fail with an S3 error (or a network error). */
  fail(
    operation: Operation,
    status: number | "network",
    code = "InternalError",
    body?: string,
  ): void {
    this.failures.set(
      operation,
      status === "network"
        ? "network"
        : {
            status,
            body:
              body ??
              `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message><RequestId>r</RequestId></Error>`,
          },
    );
  }

  /** Puts an uploaded part in place, as a presigned UploadPart would (with its checksum). */
  addPart(uploadId: string, partNumber: number, size: number, checksum?: string): string {
    const upload = this.uploads.get(uploadId);
    if (upload === undefined) throw new Error(`no upload ${uploadId}`);
    const etag = `"${partNumber.toString(16).padStart(8, "0")}${size.toString(16).padStart(24, "0")}"`;
    upload.parts.set(partNumber, { etag, size, ...(checksum === undefined ? {} : { checksum }) });
    return etag;
  }

  callsOf(operation: Operation): FakeCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const query = url.searchParams;
    const path = decodeURIComponent(url.pathname);
    // Virtual-host style for *.amazonaws.com buckets (`<bucket>.s3.…`), path style otherwise.
    const virtual = /^[^.]+\.s3\./.test(url.hostname);
    const bucket = virtual ? (url.hostname.split(".")[0] ?? "") : (path.split("/")[1] ?? "");
    const key = virtual ? path.slice(1) : path.split("/").slice(2).join("/");
    const operation = operationOf(request.method, query);
    const body = await request.text();
    this.calls.push({
      operation,
      method: request.method,
      bucket,
      key,
      query,
      headers: request.headers,
      body,
    });

    const authorization = request.headers.get("authorization") ?? "";
    if (!authorization.startsWith("AWS4-HMAC-SHA256 Credential=")) {
      return error(403, "AccessDenied");
    }
    const failure = this.failures.get(operation as Operation);
    if (failure === "network") throw new TypeError("Network connection lost.");
    if (failure !== undefined) {
      return new Response(failure.body, {
        status: failure.status,
        headers: { "x-amz-request-id": "fake-req" },
      });
    }

    if (operation === "HeadObject") {
      const object = this.objects.get(`${bucket}/${key}`);
      if (object === undefined) return new Response(null, { status: 404 });
      return new Response(null, {
        status: 200,
        headers: { ...object.headers, etag: object.etag, "content-length": String(object.size) },
      });
    }
    if (operation === "CreateMultipartUpload") {
      this.counter += 1;
      const uploadId = `up~${this.counter}.${crypto.randomUUID()}`;
      this.uploads.set(uploadId, {
        bucket,
        key,
        contentType: request.headers.get("content-type"),
        checksumAlgorithm: request.headers.get("x-amz-checksum-algorithm"),
        checksumType: request.headers.get("x-amz-checksum-type"),
        parts: new Map(),
      });
      return xml(
        `<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Key>${escape(key)}</Key><UploadId>${escape(uploadId)}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    const uploadId = query.get("uploadId") ?? "";
    const upload = this.uploads.get(uploadId);
    if (upload === undefined || upload.bucket !== bucket || upload.key !== key) {
      return error(404, "NoSuchUpload");
    }
    if (operation === "ListParts") {
      const max = Number(query.get("max-parts") ?? "1000");
      const marker = Number(query.get("part-number-marker") ?? "0");
      const sorted = [...upload.parts.entries()]
        .sort(([a], [b]) => a - b)
        .filter(([n]) => n > marker);
      const page = sorted.slice(0, max);
      const truncated = sorted.length > max;
      const algorithm = upload.checksumAlgorithm ?? null;
      const checksumOf = (checksum: string | undefined) =>
        algorithm === null || checksum === undefined
          ? ""
          : `<Checksum${algorithm}>${checksum}</Checksum${algorithm}>`;
      const parts = page
        .map(
          ([n, part]) =>
            `<Part><PartNumber>${n}</PartNumber><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${escape(part.etag)}</ETag>${checksumOf(part.checksum)}<Size>${part.size}</Size></Part>`,
        )
        .join("");
      const next = page.at(-1)?.[0] ?? marker;
      return xml(
        `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Key>${escape(key)}</Key><UploadId>${escape(uploadId)}</UploadId><PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${next}</NextPartNumberMarker><MaxParts>${max}</MaxParts><IsTruncated>${truncated}</IsTruncated>${algorithm === null ? "" : `<ChecksumAlgorithm>${algorithm}</ChecksumAlgorithm>`}${parts}</ListPartsResult>`,
      );
    }
    if (operation === "AbortMultipartUpload") {
      this.uploads.delete(uploadId);
      return new Response(null, { status: 204 });
    }
    // CompleteMultipartUpload
    const requested = [
      ...body.matchAll(
        /<Part><PartNumber>(\d+)<\/PartNumber><ETag>([^<]*)<\/ETag>(?:<Checksum(\w+)>([^<]*)<\/Checksum\w+>)?<\/Part>/g,
      ),
    ].map(([, n, etag, algorithm, checksum]) => ({
      n: Number(n),
      etag: unescape(etag ?? ""),
      algorithm,
      checksum,
    }));
    let previous = 0;
    let size = 0;
    for (const { n, etag, algorithm, checksum } of requested) {
      if (n <= previous) return error(400, "InvalidPartOrder");
      previous = n;
      const part = upload.parts.get(n);
      if (part === undefined || part.etag.replaceAll('"', "") !== etag.replaceAll('"', "")) {
        return error(400, "InvalidPart");
      }
      // S3 wants each part's checksum of an upload created with an algorithm, and that one.
      const wanted = upload.checksumAlgorithm ?? null;
      if (wanted !== null && (algorithm !== wanted || checksum !== part.checksum)) {
        return error(400, "InvalidPart");
      }
      size += part.size;
    }
    // Conditional writes, as S3 checks them when it completes (412 PreconditionFailed).
    const existing = this.objects.get(`${bucket}/${key}`);
    const ifNoneMatch = request.headers.get("if-none-match");
    const ifMatch = request.headers.get("if-match");
    if (
      (ifNoneMatch === "*" && existing !== undefined) ||
      (ifMatch !== null && existing?.etag !== ifMatch)
    ) {
      return error(412, "PreconditionFailed");
    }
    this.uploads.delete(uploadId);
    const etag = `"feedface${requested.length}-${requested.length}"`;
    this.objects.set(`${bucket}/${key}`, { etag, size });
    return xml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>x</Location><Bucket>${bucket}</Bucket><Key>${escape(key)}</Key><ETag>${this.emptyCompleteEtag ? "" : escape(etag)}</ETag></CompleteMultipartUploadResult>`,
    );
  }
}

function operationOf(method: string, query: URLSearchParams): string {
  if (method === "POST" && query.has("uploads")) return "CreateMultipartUpload";
  if (method === "GET" && query.has("uploadId")) return "ListParts";
  if (method === "POST" && query.has("uploadId")) return "CompleteMultipartUpload";
  if (method === "DELETE" && query.has("uploadId")) return "AbortMultipartUpload";
  if (method === "HEAD" && [...query.keys()].length === 0) return "HeadObject";
  return `unexpected ${method}`;
}

function xml(text: string): Response {
  return new Response(text, { status: 200, headers: { "content-type": "application/xml" } });
}

function error(status: number, code: string): Response {
  return new Response(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message></Message><RequestId>tx1</RequestId></Error>`,
    { status, headers: { "content-type": "application/xml", "x-amz-request-id": "tx1" } },
  );
}

function escape(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function unescape(text: string): string {
  return text.replace(/&#(\d+);|&quot;|&lt;|&gt;|&amp;/g, (entity, code: string | undefined) => {
    if (code !== undefined) return String.fromCharCode(Number(code));
    return { "&quot;": '"', "&lt;": "<", "&gt;": ">", "&amp;": "&" }[entity] ?? entity;
  });
}
