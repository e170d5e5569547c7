/**
 * edgesign client (`edgesign/client`): a thin, typed wrapper over the gateway's JSON API for
 * browsers, Node ≥ 20 and Workers. It uses only `fetch`, `Blob`, `URL`, `Headers` and
 * `AbortSignal`, so one file runs everywhere; every failure of the gateway is an `EdgesignError`
 * carrying the RFC 9457 problem, every refusal of S3 an `S3RequestError` carrying S3's code.
 *
 * Request and response types (./types.ts) are checked against the gateway's valibot schemas at compile
 * time (test/client/types.test.ts), so the client cannot drift from what the routes validate.
 *
 * @example
 * import { edgesign } from "edgesign/client";
 * const client = edgesign({ gateway: "https://edgesign.example", token });
 * const { url, headers } = await client.presign({ method: "PUT", key: "cat.jpg", contentLength: 12345 });
 */
import { computeChecksum } from "./checksums.js";
import type {
  AbortInput,
  BatchItem,
  ChecksumAlgorithm,
  CompleteInput,
  Completed,
  ConfirmInput,
  Confirmed,
  Link,
  LinkInput,
  ListPartsInput,
  ObjectHeaderInput,
  MultipartCreated,
  MultipartCreateInput,
  PostForm,
  PostInput,
  Presigned,
  PresignInput,
  Problem,
  S3RequestInput,
  S3RequestSigned,
  SignedParts,
  SignPartsInput,
  UploadedParts,
} from "./types.js";

export type * from "./types.js";
export { computeChecksum } from "./checksums.js";

/** A bearer token, or a function that returns a fresh one for each call (token refresh). */
export type TokenSource = string | (() => string | Promise<string>);

export interface EdgesignOptions {
  /** The gateway's origin, e.g. `https://edgesign.example` (a trailing `/` is ignored). */
  gateway: string;
  token: TokenSource;
  /** Defaults to the global `fetch`; inject one for tests or a custom agent. */
  fetch?: typeof fetch;
}

/** The gateway answered with a problem (RFC 9457): `status`, `code` and the whole `problem`. */
export class EdgesignError extends Error {
  readonly status: number;
  readonly code: Problem["code"] | "unreadable_response";
  readonly problem: Problem | undefined;
  readonly requestId: string | undefined;

  constructor(status: number, problem: Problem | undefined, fallback: string) {
    super(problem === undefined ? fallback : `${problem.title}: ${problem.detail}`);
    this.name = "EdgesignError";
    this.status = status;
    this.problem = problem;
    this.code = problem?.code ?? "unreadable_response";
    this.requestId = problem?.requestId;
  }
}

/** S3 refused a presigned request: HTTP `status` and S3's `<Code>` (e.g. `AccessDenied`). */
export class S3RequestError extends Error {
  readonly status: number;
  readonly s3Code: string | undefined;

  constructor(operation: string, status: number, s3Code: string | undefined) {
    super(`S3 refused ${operation}: HTTP ${status}${s3Code === undefined ? "" : ` ${s3Code}`}`);
    this.name = "S3RequestError";
    this.status = status;
    this.s3Code = s3Code;
  }
}

/** Progress of `uploadFile`: bytes S3 has confirmed so far, out of the file's size. */
export type ProgressFn = (bytesUploaded: number, bytesTotal: number) => void;

export interface UploadFileOptions {
  /** The relative key (as in every gateway call). */
  key: string;
  /** Defaults to the Blob's own `type` when it has one. */
  contentType?: string;
  /** Headers stored with the object: Cache-Control, a download `filename`, tags, SSE… */
  objectHeaders?: ObjectHeaderInput;
  bucket?: string;
  onProgress?: ProgressFn;
  /** Files larger than this use multipart. Default 100 MiB; at least 5 MiB is sensible. */
  multipartThreshold?: number;
  /** Part size; defaults to the gateway's suggestion (≥ 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once. Default 4. */
  concurrency?: number;
  /** Attempts per part or PUT before giving up (network errors, 5xx, expired URLs). Default 3. */
  attempts?: number;
  /**
   * A checksum S3 checks the file (or each part) against: computed here and signed by the
   * gateway. Without it, a tenant's `upload.requireChecksum` algorithm is used when the gateway
   * names it in its refusal.
   */
  checksumAlgorithm?: ChecksumAlgorithm;
  /** Multipart only: FULL_OBJECT or COMPOSITE (the gateway's default where omitted). */
  checksumType?: "FULL_OBJECT" | "COMPOSITE";
  signal?: AbortSignal;
  /** `*`: no overwrite, S3 refuses (412) when the key exists (signed into the PUT or the complete). */
  ifNoneMatch?: "*";
  /** Replace only the object with this ETag (412 otherwise). */
  ifMatch?: string;
  /**
   * After a single PUT, `POST /v1/uploads/confirm` (default true): the gateway reads the object
   * and sends `upload.completed` to the tenant's webhooks. A failed confirm does not fail the
   * upload (the object is stored): the result says `confirmed: false`.
   */
  confirm?: boolean;
}

export interface UploadedFile {
  /** The full key. */
  key: string;
  bucket: string;
  size: number;
  etag: string | undefined;
  multipart: boolean;
  /**
   * Whether the gateway saw the upload complete and sent `upload.completed`: a multipart upload
   * it completed, or a PUT it confirmed. False when the confirm was off or failed.
   */
  confirmed: boolean;
}

const MiB = 1024 * 1024;
/** Part numbers per sign-parts call: the gateway's maximum (docs/api.md, "POST /v1/uploads/multipart/sign-parts"). */
export const SIGN_PARTS_BATCH = 100;
export const DEFAULT_MULTIPART_THRESHOLD = 100 * MiB;
/** A part URL this close to its expiry is signed again before it is used. */
const EXPIRY_MARGIN_MS = 30_000;
/** Headers a browser sets itself and refuses from scripts (Fetch, "forbidden request-header"). */
const FORBIDDEN_HEADERS = new Set(["content-length", "host", "connection", "expect"]);

/**
 * A client for one gateway and one token source.
 * @example
 * const client = edgesign({ gateway: "https://edgesign.example", token: () => getToken() });
 * await client.uploadFile(file, { key: "videos/talk.mp4", onProgress: (done, total) => … });
 */
export function edgesign(options: EdgesignOptions): EdgesignClient {
  return new EdgesignClient(options);
}

export class EdgesignClient {
  readonly gateway: string;
  private readonly token: TokenSource;
  private readonly fetcher: typeof fetch;

  constructor(options: EdgesignOptions) {
    this.gateway = options.gateway.replace(/\/+$/, "");
    this.token = options.token;
    // Bound, so a browser's `fetch` is not called with the client as `this` (Illegal invocation).
    const fetcher = options.fetch ?? globalThis.fetch;
    this.fetcher = (input, init) => fetcher(input, init);
  }

  /** `POST /v1/presign`: one presigned URL and the headers to send with it. */
  presign(request: PresignInput): Promise<Presigned> {
    return this.call("POST", "/v1/presign", request);
  }

  /** `POST /v1/presign/batch`: up to 100 URLs; each item succeeds or fails on its own. */
  async presignBatch(requests: PresignInput[]): Promise<BatchItem[]> {
    const answer = await this.call<{ results: BatchItem[] }>("POST", "/v1/presign/batch", {
      requests,
    });
    return answer.results;
  }

  /** `POST /v1/uploads/post`: a presigned POST form (see `postForm` to send it). */
  createPost(request: PostInput): Promise<PostForm> {
    return this.call("POST", "/v1/uploads/post", request);
  }

  /**
   * `POST /v1/uploads/confirm`: the gateway reads the caller's object `key` (relative, as
   * uploaded) with HeadObject, answers what S3 holds and sends `upload.completed`.
   */
  confirm(key: string, options: { bucket?: string } = {}): Promise<Confirmed> {
    const request: ConfirmInput = { key };
    if (options.bucket !== undefined) request.bucket = options.bucket;
    return this.call("POST", "/v1/uploads/confirm", request);
  }

  /** `POST /v1/links`: a short link that presigns a fresh GET on every visit. */
  createLink(request: LinkInput): Promise<Link> {
    return this.call("POST", "/v1/links", request);
  }

  /** `POST /v1/uploads/sign-request`: one S3 request presigned in Uppy's shape. */
  signS3Request(request: S3RequestInput): Promise<S3RequestSigned> {
    return this.call("POST", "/v1/uploads/sign-request", request);
  }

  /** The multipart calls of the gateway, one method each. */
  readonly multipart = {
    create: (request: MultipartCreateInput): Promise<MultipartCreated> =>
      this.call("POST", "/v1/uploads/multipart", request),
    signParts: (request: SignPartsInput): Promise<SignedParts> =>
      this.call("POST", "/v1/uploads/multipart/sign-parts", request),
    complete: (request: CompleteInput): Promise<Completed> =>
      this.call("POST", "/v1/uploads/multipart/complete", request),
    abort: (request: AbortInput): Promise<void> =>
      this.call("POST", "/v1/uploads/multipart/abort", request),
    listParts: (request: ListPartsInput): Promise<UploadedParts> => {
      const query = new URLSearchParams({ key: request.key, uploadId: request.uploadId });
      if (request.bucket !== undefined) query.set("bucket", request.bucket);
      return this.call("GET", `/v1/uploads/multipart/parts?${query.toString()}`);
    },
  };

  /**
   * Uploads `file` straight to S3: one presigned PUT (content length and type signed) up to
   * `multipartThreshold`, else a multipart upload whose part URLs are signed 100 at a time,
   * re-signed when they expire (before use, or when S3 answers 403), retried on network errors
   * and 5xx, and completed through the gateway (which checks the tenant's size limit). A failed
   * multipart upload is aborted so S3 does not keep its parts. With `checksumAlgorithm` (or the
   * one a tenant requires), the file's or each part's checksum is computed and signed.
   */
  async uploadFile(file: Blob, options: UploadFileOptions): Promise<UploadedFile> {
    try {
      return await this.uploadOnce(file, options);
    } catch (error) {
      // Refused before anything was created in S3: try again with the algorithm it names.
      const required =
        options.checksumAlgorithm === undefined ? requiredChecksumOf(error) : undefined;
      if (required === undefined) throw error;
      return this.uploadOnce(file, { ...options, checksumAlgorithm: required });
    }
  }

  private async uploadOnce(file: Blob, options: UploadFileOptions): Promise<UploadedFile> {
    const size = file.size;
    const contentType = options.contentType ?? (file.type === "" ? undefined : file.type);
    const threshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    options.onProgress?.(0, size);
    if (size <= threshold) return this.putFile(file, contentType, options);
    return this.multipartFile(file, contentType, options);
  }

  /**
   * An adapter for Uppy's `@uppy/aws-s3` (6.x): pass the result as its `signRequest` option.
   * Uppy tells `signRequest` only the object's key: `objectHeaders(key)` may answer the headers
   * to store with it (e.g. `{ filename }` from the file whose key it generated), signed on the
   * requests that create the object (PutObject, CreateMultipartUpload).
   *
   * Uppy's uploads go to S3 directly and `signRequest` is not told when one finishes: given the
   * Uppy instance (`uppy` option), the adapter listens to its `upload-success` and confirms each
   * upload it signed, so the gateway sends `upload.completed`; without it, call the adapter's
   * `confirm` with the key of Uppy's `upload-success` (the full key; the adapter maps it back to
   * the key it signed).
   * @example
   * const uppy = new Uppy();
   * uppy.use(AwsS3, { signRequest: client.uppy({ uppy }) });
   */
  uppy(options: UppyOptions = {}): UppySignRequest {
    // Full key → the relative key it was signed for, from the requests that create an object.
    const relativeKeys = new Map<string, string>();
    const signRequest = async (request: UppyPresignableRequest) => {
      const creates = !("uploadId" in request) && request.method !== "DELETE";
      const headers = creates ? options.objectHeaders?.(request.key) : undefined;
      const body: S3RequestInput = { ...headers, method: request.method, key: request.key };
      if ("uploadId" in request) body.uploadId = request.uploadId;
      if ("partNumber" in request) body.partNumber = request.partNumber;
      if ("contentType" in request && request.contentType !== undefined) {
        body.contentType = request.contentType;
      }
      const expiresIn = request.expiresIn ?? options.expiresIn;
      if (expiresIn !== undefined) body.expiresIn = expiresIn;
      if (options.bucket !== undefined) body.bucket = options.bucket;
      // S3 takes If-None-Match on the two requests that write the object.
      const writes = "uploadId" in request ? request.method === "POST" : request.method === "PUT";
      if (options.ifNoneMatch !== undefined && writes) body.ifNoneMatch = options.ifNoneMatch;
      const signed = await this.signS3Request(body);
      if (creates && request.method !== "DELETE") {
        if (relativeKeys.size >= UPPY_KEYS_KEPT)
          relativeKeys.delete(relativeKeys.keys().next().value ?? "");
        relativeKeys.set(signed.key, request.key);
      }
      const answer: UppyPresignedResponse = { url: signed.url, key: signed.key };
      if (signed.headers !== undefined) answer.headers = signed.headers;
      if (signed.fields !== undefined) answer.fields = signed.fields;
      return answer;
    };
    const confirm = (key: string) => {
      const relative = relativeKeys.get(key);
      if (relative === undefined) {
        return Promise.reject(new Error(`no upload of '${key}' was signed by this adapter`));
      }
      relativeKeys.delete(key);
      return this.confirm(relative, options.bucket === undefined ? {} : { bucket: options.bucket });
    };
    options.uppy?.on("upload-success", (_file, response) => {
      const key = response.body?.key;
      if (key === undefined || !relativeKeys.has(key)) return;
      confirm(key).catch((error: unknown) => options.onConfirmError?.(error, key));
    });
    return Object.assign(signRequest, { confirm });
  }

  private async putFile(
    file: Blob,
    contentType: string | undefined,
    options: UploadFileOptions,
  ): Promise<UploadedFile> {
    const algorithm = options.checksumAlgorithm;
    const checksum =
      algorithm === undefined
        ? {}
        : { checksumAlgorithm: algorithm, checksum: await computeChecksum(algorithm, file) };
    const sign = () =>
      this.presign({
        method: "PUT",
        key: options.key,
        contentLength: file.size,
        ...options.objectHeaders,
        ...(contentType === undefined ? {} : { contentType }),
        ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
        ...conditionsOf(options),
        ...checksum,
      });
    let presigned = await sign();
    const response = await this.withRetries(options, async (attempt, previous) => {
      const refused = previous instanceof S3RequestError && previous.status === 403;
      if (attempt > 1 && (refused || expiresSoon(presigned.expiresAt))) presigned = await sign();
      return this.s3("PutObject", presigned.url, {
        method: "PUT",
        headers: sendable(presigned.headers),
        body: file,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    });
    options.onProgress?.(file.size, file.size);
    const uploaded: UploadedFile = {
      key: presigned.key,
      bucket: presigned.bucket,
      size: file.size,
      etag: response.headers.get("etag") ?? undefined,
      multipart: false,
      confirmed: false,
    };
    if (options.confirm === false) return uploaded;
    try {
      const confirmed = await this.confirm(options.key, { bucket: presigned.bucket });
      return { ...uploaded, size: confirmed.size, etag: confirmed.etag, confirmed: true };
    } catch {
      // The object is stored: a confirm that failed (gateway down, rate limit) loses the event,
      // not the upload. The caller may call `confirm(key)` again.
      return uploaded;
    }
  }

  private async multipartFile(
    file: Blob,
    contentType: string | undefined,
    options: UploadFileOptions,
  ): Promise<UploadedFile> {
    const { key } = options;
    const bucket = options.bucket === undefined ? {} : { bucket: options.bucket };
    const algorithm = options.checksumAlgorithm;
    const created = await this.multipart.create({
      ...options.objectHeaders,
      key,
      size: file.size,
      ...(contentType === undefined ? {} : { contentType }),
      ...(algorithm === undefined ? {} : { checksumAlgorithm: algorithm }),
      ...(algorithm === undefined || options.checksumType === undefined
        ? {}
        : { checksumType: options.checksumType }),
      ...bucket,
    });
    const { uploadId } = created;
    try {
      const partSize = Math.max(options.partSize ?? created.partSize, 1);
      const count = Math.ceil(file.size / partSize);
      const sliceOf = (partNumber: number) => {
        const start = (partNumber - 1) * partSize;
        return file.slice(start, Math.min(start + partSize, file.size));
      };
      // With a checksum, each part is signed alone once its checksum is known.
      const checksums = new Map<number, string>();
      const parts = new PartUrls(
        count,
        (partNumbers) =>
          this.multipart.signParts({
            key,
            uploadId,
            partNumbers,
            ...(algorithm === undefined
              ? {}
              : {
                  checksums: Object.fromEntries(
                    partNumbers.flatMap((n) => {
                      const checksum = checksums.get(n);
                      return checksum === undefined ? [] : [[String(n), checksum]];
                    }),
                  ),
                }),
            ...bucket,
          }),
        algorithm !== undefined,
      );
      const etags: { partNumber: number; etag: string; checksum?: string }[] = [];
      let uploaded = 0;
      const uploadPart = async (partNumber: number) => {
        const body = sliceOf(partNumber);
        const checksum =
          algorithm === undefined ? undefined : await computeChecksum(algorithm, body);
        if (checksum !== undefined) checksums.set(partNumber, checksum);
        const response = await this.withRetries(options, async (attempt, previous) => {
          // S3 answers 403 for an expired (or otherwise refused) URL: sign this part again.
          const forceFresh = previous instanceof S3RequestError && previous.status === 403;
          const signed = await parts.signed(partNumber, attempt > 1 && forceFresh);
          return this.s3("UploadPart", signed.url, {
            method: "PUT",
            body,
            ...(signed.headers === undefined ? {} : { headers: sendable(signed.headers) }),
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          });
        });
        const etag = response.headers.get("etag");
        if (etag === null) {
          // The bucket's CORS rules must expose ETag (edgesign cors prints such rules).
          throw new S3RequestError(
            "UploadPart (no ETag header exposed)",
            response.status,
            undefined,
          );
        }
        etags.push({ partNumber, etag, ...(checksum === undefined ? {} : { checksum }) });
        uploaded += body.size;
        options.onProgress?.(uploaded, file.size);
      };
      await runPool(count, Math.max(1, options.concurrency ?? 4), uploadPart);
      const completed = await this.multipart.complete({
        key,
        uploadId,
        parts: etags,
        ...bucket,
        ...conditionsOf(options),
      });
      return {
        key: completed.key,
        bucket: completed.bucket,
        size: completed.size,
        etag: completed.etag,
        multipart: true,
        confirmed: true,
      };
    } catch (error) {
      await this.multipart.abort({ key, uploadId, ...bucket }).catch(() => undefined);
      throw error;
    }
  }

  /** Retries network errors, 5xx/429 and 403 (an expired URL, re-signed by `run`). */
  private async withRetries<T>(
    options: UploadFileOptions,
    run: (attempt: number, previous: unknown) => Promise<T>,
  ): Promise<T> {
    const attempts = Math.max(1, options.attempts ?? 3);
    let previous: unknown;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await run(attempt, previous);
      } catch (error) {
        previous = error;
        const retryable =
          !(error instanceof EdgesignError) &&
          !(error instanceof Error && error.name === "AbortError") &&
          (!(error instanceof S3RequestError) ||
            error.status === 403 ||
            error.status === 429 ||
            error.status >= 500);
        if (!retryable || attempt >= attempts) throw error;
        await sleep(Math.min(200 * 2 ** (attempt - 1), 2000));
      }
    }
  }

  private async s3(operation: string, url: string, init: RequestInit): Promise<Response> {
    const response = await this.fetcher(url, init);
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    throw new S3RequestError(operation, response.status, /<Code>([^<]+)<\/Code>/.exec(text)?.[1]);
  }

  /** One gateway call; a non-2xx answer becomes an EdgesignError with its problem. */
  private async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const token = typeof this.token === "string" ? this.token : await this.token();
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await this.fetcher(`${this.gateway}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new EdgesignError(
        response.status,
        problemOf(text),
        `the gateway answered HTTP ${response.status}`,
      );
    }
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }
}

/**
 * Part URLs signed on demand, 100 part numbers per gateway call, and signed again when they are
 * about to expire or S3 refused one (`fresh`).
 */
class PartUrls {
  private readonly urls = new Map<
    number,
    { url: string; headers: Record<string, string> | undefined; expiresAt: number }
  >();
  private readonly pending = new Map<number, Promise<void>>();

  /** `oneByOne`: sign each part alone (its checksum is known only when it is about to go). */
  constructor(
    private readonly count: number,
    private readonly signParts: (partNumbers: number[]) => Promise<SignedParts>,
    private readonly oneByOne = false,
  ) {}

  /** The part's URL and the signed headers to send with it. */
  async signed(
    partNumber: number,
    fresh: boolean,
  ): Promise<{ url: string; headers: Record<string, string> | undefined }> {
    const known = this.urls.get(partNumber);
    if (fresh || known === undefined || known.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) {
      await this.sign(partNumber, this.oneByOne || fresh || known !== undefined);
    }
    const signed = this.urls.get(partNumber);
    if (signed === undefined) throw new Error(`the gateway did not sign part ${partNumber}`);
    return signed;
  }

  /** Signs the batch of 100 holding `partNumber`, or only that part when re-signing. */
  private async sign(partNumber: number, alone: boolean): Promise<void> {
    const first = alone
      ? partNumber
      : Math.floor((partNumber - 1) / SIGN_PARTS_BATCH) * SIGN_PARTS_BATCH + 1;
    const last = alone ? partNumber : Math.min(first + SIGN_PARTS_BATCH - 1, this.count);
    const batchKey = alone ? -partNumber : first;
    let running = this.pending.get(batchKey);
    if (running === undefined) {
      const numbers = Array.from({ length: last - first + 1 }, (_, i) => first + i);
      running = this.signParts(numbers)
        .then((signed) => {
          const expiresAt = Date.parse(signed.expiresAt);
          for (const part of signed.parts) {
            this.urls.set(part.partNumber, { url: part.url, headers: part.headers, expiresAt });
          }
        })
        .finally(() => this.pending.delete(batchKey));
      this.pending.set(batchKey, running);
    }
    await running;
  }
}

/** Runs `task(1..count)` with at most `concurrency` at once; the first failure stops the rest. */
async function runPool(
  count: number,
  concurrency: number,
  task: (n: number) => Promise<void>,
): Promise<void> {
  let next = 1;
  let failed = false;
  const worker = async () => {
    while (!failed && next <= count) {
      const n = next;
      next += 1;
      try {
        await task(n);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** The conditional-write options of `uploadFile`, as request fields. */
function conditionsOf(options: UploadFileOptions): { ifNoneMatch?: "*"; ifMatch?: string } {
  return {
    ...(options.ifNoneMatch === undefined ? {} : { ifNoneMatch: options.ifNoneMatch }),
    ...(options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch }),
  };
}

function sendable(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !FORBIDDEN_HEADERS.has(name.toLowerCase())),
  );
}

function expiresSoon(expiresAt: string): boolean {
  return Date.parse(expiresAt) - EXPIRY_MARGIN_MS <= Date.now();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The algorithm a gateway refusal says the tenant requires (400 on `checksum` or
 * `checksumAlgorithm`, "the tenant requires a CRC32 checksum on uploads…"), else `undefined`.
 */
function requiredChecksumOf(error: unknown): ChecksumAlgorithm | undefined {
  if (!(error instanceof EdgesignError) || error.status !== 400) return undefined;
  const field = error.problem?.field;
  if (field !== "checksum" && field !== "checksumAlgorithm") return undefined;
  const named = /requires an? (CRC64NVME|CRC32C|CRC32|SHA1|SHA256) checksum/.exec(
    error.problem?.detail ?? "",
  )?.[1];
  return named as ChecksumAlgorithm | undefined;
}

function problemOf(text: string): Problem | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "code" in parsed &&
      "status" in parsed &&
      typeof parsed.code === "string"
    ) {
      return parsed as Problem;
    }
  } catch {
    // not JSON: a proxy's HTML page, say
  }
  return undefined;
}

/**
 * What @uppy/aws-s3 6.x passes to `signRequest` (`PresignableRequest` in its
 * `src/s3-client/types.ts`), restated here so the client does not depend on Uppy.
 */
export type UppyPresignableRequest =
  | { method: "PUT"; key: string; contentType?: string; expiresIn?: number }
  | { method: "POST" | "DELETE"; key: string; expiresIn?: number }
  | { method: "POST" | "GET" | "DELETE"; key: string; uploadId: string; expiresIn?: number }
  | { method: "PUT"; key: string; uploadId: string; partNumber: number; expiresIn?: number };

/** What `signRequest` returns to Uppy (`PresignedResponse`). */
export interface UppyPresignedResponse {
  url: string;
  key?: string;
  headers?: Record<string, string>;
  fields?: Record<string, string>;
}

/** Options of the Uppy adapter (`client.uppy()`, `uppy()`). */
export interface UppyOptions {
  bucket?: string;
  expiresIn?: number;
  /** `*`: PutObject and CompleteMultipartUpload refuse (412) to replace an existing object. */
  ifNoneMatch?: "*";
  /** The headers to store with the object of `key` (see `EdgesignClient.uppy`). */
  objectHeaders?: (key: string) => ObjectHeaderInput | undefined;
  /**
   * The Uppy instance: the adapter then confirms every upload it signed on Uppy's
   * `upload-success` (single PUT, POST form or multipart), so the gateway sends
   * `upload.completed`. A failed confirm goes to `onConfirmError`; the upload stays a success.
   */
  uppy?: UppyEvents;
  onConfirmError?: (error: unknown, key: string) => void;
}

/** The part of an Uppy instance the adapter uses (`uppy.on("upload-success", …)`). */
export interface UppyEvents {
  on(
    event: "upload-success",
    handler: (file: unknown, response: { body?: { key?: string } | undefined }) => void,
  ): unknown;
}

/**
 * Uppy's `signRequest`, with `confirm(key)`: `POST /v1/uploads/confirm` for the full key an
 * upload of this adapter ended with (Uppy's `upload-success` `response.body.key`).
 */
export type UppySignRequest = ((
  request: UppyPresignableRequest,
) => Promise<UppyPresignedResponse>) & {
  confirm: (key: string) => Promise<Confirmed>;
};

/** Keys an Uppy adapter remembers for `confirm` (the oldest is forgotten first). */
const UPPY_KEYS_KEPT = 1000;

/**
 * The Uppy adapter without building a client first.
 * @example new Uppy().use(AwsS3, { signRequest: uppy({ gateway: "https://edgesign.example", token }) })
 */
export function uppy(options: EdgesignOptions & UppyOptions): UppySignRequest {
  const { gateway, token, fetch: fetcher, ...rest } = options;
  return new EdgesignClient({
    gateway,
    token,
    ...(fetcher === undefined ? {} : { fetch: fetcher }),
  }).uppy(rest);
}
