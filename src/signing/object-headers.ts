/**
 * Object headers set at upload (docs/api.md, "Object headers"): `Cache-Control`,
 * `Content-Disposition`, `Content-Encoding`, `Content-Language`, the storage class, tags and
 * server-side encryption. A request names them; the tenant's `upload` policy forces or forbids
 * each; the bucket's provider must support them. What comes out is signed, so S3 stores exactly
 * it: as headers on a presigned PUT, an Uppy PutObject or CreateMultipartUpload and the gateway's
 * own CreateMultipartUpload, or as exact-match fields of a POST policy.
 *
 * This module holds the request fields, the tenant's policy fields and the one pure function
 * that joins them (`resolveObjectHeaders`); `headersOf` and `postFieldsOf` write the result for
 * the two ways of uploading.
 */
import * as v from "valibot";
import { GatewayError } from "../errors";
import { attachmentDisposition, parseContentDisposition } from "../http/content-disposition";
import { isCacheControl, isContentEncoding, isContentLanguage } from "../http/lists";
import { documented } from "../openapi/route";
import { escapeXml } from "../s3/xml-escape";
import {
  capabilitiesOf,
  requireCapability,
  SSE_MODES,
  type ProviderOf,
  type SseMode,
} from "../s3/providers";

/** The headers a tenant can force or forbid, by their request field name. */
export const OBJECT_HEADERS = [
  "cacheControl",
  "contentDisposition",
  "contentEncoding",
  "contentLanguage",
  "storageClass",
  "tagging",
  "sse",
] as const;
export type ObjectHeaderName = (typeof OBJECT_HEADERS)[number];

/** S3 object tags ("Categorizing your storage using tags"): at most 10 per object. */
export const MAX_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
/** Letters, digits and spaces in any script, and `+ - = . _ : / @` (S3's tag characters). */
const TAG_TEXT = /^[\p{L}\p{N}\p{Zs}+\-=._:/@]*$/u;
const TAG_TEXT_MESSAGE = "letters, digits, spaces and + - = . _ : / @ only";

/** Unicode characters, as S3 counts tag lengths (not UTF-16 units or bytes). */
const codePoints = (text: string): number => [...text].length;

const CacheControl = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(256),
  v.check(isCacheControl, "a Cache-Control value (RFC 9111 §5.2): comma-separated directives"),
  documented({ example: "public, max-age=31536000, immutable" }),
);

const ContentDisposition = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(1024),
  v.check(
    (value) => parseContentDisposition(value) !== undefined,
    "a Content-Disposition value (RFC 6266): inline or attachment, then '; name=value' " +
      "parameters (filename*: RFC 8187)",
  ),
  documented({ example: "inline" }),
);

const ContentEncoding = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(256),
  v.check(isContentEncoding, "content codings (RFC 9110 §8.4), comma-separated, e.g. gzip"),
  documented({ example: "gzip" }),
);

const ContentLanguage = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(256),
  v.check(isContentLanguage, "language tags (RFC 5646), comma-separated, e.g. en, de-CH"),
  documented({ example: "en" }),
);

const StorageClass = v.pipe(
  v.string(),
  v.regex(/^[A-Z][A-Z0-9_]{0,63}$/, "an S3 storage class such as STANDARD"),
  documented({ example: "STANDARD" }),
);

const TagKey = v.pipe(
  v.string(),
  v.minLength(1),
  v.check((key) => codePoints(key) <= MAX_TAG_KEY, `at most ${MAX_TAG_KEY} characters`),
  v.regex(TAG_TEXT, TAG_TEXT_MESSAGE),
  // S3 keeps the `aws:` prefix for its own tags and refuses it from users.
  v.check((key) => !key.toLowerCase().startsWith("aws:"), "the aws: prefix is reserved"),
);

const TagValue = v.pipe(
  v.string(),
  v.check((value) => codePoints(value) <= MAX_TAG_VALUE, `at most ${MAX_TAG_VALUE} characters`),
  v.regex(TAG_TEXT, TAG_TEXT_MESSAGE),
);

const Tagging = v.pipe(
  v.record(TagKey, TagValue),
  v.minEntries(1),
  v.maxEntries(MAX_TAGS),
  documented({ example: { project: "apollo", stage: "raw" } }),
);

const SseModeField = v.pipe(
  v.picklist(SSE_MODES),
  documented({ description: "server-side encryption: AES256 (S3-managed keys) or aws:kms" }),
);

/** A KMS key id, key ARN, alias name or alias ARN. */
const KmsKeyId = v.pipe(
  v.string(),
  v.regex(/^[\x21-\x7e]{1,2048}$/, "a KMS key id, key ARN or alias: printable ASCII, no spaces"),
);

/** The request fields, to spread into an upload request's `v.strictObject({...})`. */
export const ObjectHeaderFields = {
  cacheControl: v.optional(CacheControl),
  contentDisposition: v.optional(ContentDisposition),
  contentEncoding: v.optional(ContentEncoding),
  contentLanguage: v.optional(ContentLanguage),
  storageClass: v.optional(StorageClass),
  tagging: v.optional(Tagging),
  sse: v.optional(SseModeField),
  kmsKeyId: v.optional(
    v.pipe(KmsKeyId, documented({ description: "with sse aws:kms only: the KMS key to use" })),
  ),
};

/**
 * The same for a POST form, which has no `Content-Language` field (S3 API reference, "POST
 * Object", form fields): a request naming one is refused as an unknown field.
 */
export const PostObjectHeaderFields = (({ contentLanguage: _, ...fields }) => fields)(
  ObjectHeaderFields,
);

const KMS_ONLY = "kmsKeyId is only used with aws:kms";

/**
 * The tenant's `upload` policy entries, to spread into its `v.strictObject({...})`: a value
 * given here is set on every upload (a caller may send the same value, or none), `forbid`
 * names fields no caller may send, `storageClasses` lists the classes callers may name.
 */
export const ObjectHeaderPolicyFields = {
  cacheControl: v.optional(CacheControl),
  contentDisposition: v.optional(ContentDisposition),
  contentEncoding: v.optional(ContentEncoding),
  contentLanguage: v.optional(ContentLanguage),
  storageClass: v.optional(StorageClass),
  storageClasses: v.optional(v.pipe(v.array(StorageClass), v.minLength(1), v.maxLength(32))),
  tagging: v.optional(Tagging),
  sse: v.optional(
    v.pipe(
      v.strictObject({ mode: v.picklist(SSE_MODES), kmsKeyId: v.optional(KmsKeyId) }),
      v.forward(
        v.check((sse) => sse.kmsKeyId === undefined || sse.mode === "aws:kms", KMS_ONLY),
        ["kmsKeyId"],
      ),
    ),
  ),
  forbid: v.optional(v.pipe(v.array(v.picklist(OBJECT_HEADERS)), v.maxLength(16))),
};

/** The tenant's policy, as `ObjectHeaderPolicyFields` validate it. */
export type ObjectHeaderPolicy = {
  cacheControl?: string | undefined;
  contentDisposition?: string | undefined;
  contentEncoding?: string | undefined;
  contentLanguage?: string | undefined;
  storageClass?: string | undefined;
  storageClasses?: readonly string[] | undefined;
  tagging?: Readonly<Record<string, string>> | undefined;
  sse?: Sse | undefined;
  forbid?: readonly ObjectHeaderName[] | undefined;
};

export interface Sse {
  mode: SseMode;
  kmsKeyId?: string | undefined;
}

/**
 * Checks across the policy's entries, for the tenant's `upload` object: a field both forced and
 * forbidden, or a forced storage class outside the tenant's own list, is a contradiction.
 */
export function objectHeaderPolicyCheck<T extends ObjectHeaderPolicy>() {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const policy = dataset.value;
    const at = (key: "forbid" | "storageClass", message: string) =>
      addIssue({
        message,
        path: [{ type: "object", origin: "value", input: policy, key, value: policy[key] }],
      });
    const both = (policy.forbid ?? []).find((name) => policy[name] !== undefined);
    if (both !== undefined) at("forbid", `${both} is set by the tenant: it cannot be forbidden`);
    const { storageClass, storageClasses } = policy;
    if (storageClass !== undefined && storageClasses?.includes(storageClass) === false) {
      at("storageClass", "must be one of storageClasses");
    }
  });
}

/** What a request asks for (the fields above, plus `filename` where the route has it). */
export interface ObjectHeaderRequest {
  cacheControl?: string | undefined;
  contentDisposition?: string | undefined;
  /** A download name, stored as `attachment` (the builder links use). */
  filename?: string | undefined;
  contentEncoding?: string | undefined;
  contentLanguage?: string | undefined;
  storageClass?: string | undefined;
  tagging?: Readonly<Record<string, string>> | undefined;
  sse?: SseMode | undefined;
  kmsKeyId?: string | undefined;
}

/** The headers to store, after the tenant's policy and the provider's capabilities. */
export interface ObjectHeaders {
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  storageClass?: string;
  tagging?: Readonly<Record<string, string>>;
  sse?: Sse;
}

/** The header each field is stored as, for error details. */
const HEADER_OF: Record<ObjectHeaderName, string> = {
  cacheControl: "Cache-Control",
  contentDisposition: "Content-Disposition",
  contentEncoding: "Content-Encoding",
  contentLanguage: "Content-Language",
  storageClass: "x-amz-storage-class",
  tagging: "x-amz-tagging",
  sse: "x-amz-server-side-encryption",
};

/**
 * Joins a request's object headers with the tenant's policy (pure but for the errors it
 * throws): a forbidden field sent → 403; a forced field sent with another value → 403; a
 * storage class outside `upload.storageClasses` → 403; tags, an SSE mode or a storage class the
 * provider lacks → 409 `unsupported_by_provider`. Forced values apply when the caller sends none.
 */
export function resolveObjectHeaders(
  policy: ObjectHeaderPolicy,
  bucket: ProviderOf,
  request: ObjectHeaderRequest,
): ObjectHeaders {
  const asked = requested(request);
  const headers: ObjectHeaders = {};
  const decide = <K extends ObjectHeaderName>(
    name: K,
    same: (a: NonNullable<ObjectHeaders[K]>, b: NonNullable<ObjectHeaders[K]>) => boolean,
  ): void => {
    const { value, field } = asked[name];
    const forced = policy[name] as ObjectHeaders[K] | undefined;
    if (value !== undefined && policy.forbid?.includes(name) === true) {
      throw new GatewayError(
        "forbidden",
        `the tenant does not allow ${field} (${HEADER_OF[name]}) on uploads`,
        { field },
      );
    }
    if (value !== undefined && forced !== undefined && !same(value, forced)) {
      throw new GatewayError(
        "forbidden",
        `the tenant sets ${HEADER_OF[name]} on every upload to ${describe(forced)}: ` +
          `leave ${field} out or send that value`,
        { field },
      );
    }
    const chosen = forced ?? value;
    if (chosen !== undefined) headers[name] = chosen;
  };
  const equal = (a: string, b: string) => a === b;
  decide("cacheControl", equal);
  decide("contentDisposition", equal);
  decide("contentEncoding", equal);
  decide("contentLanguage", equal);
  decide("storageClass", equal);
  decide("tagging", sameTags);
  decide("sse", (a, b) => a.mode === b.mode && a.kmsKeyId === b.kmsKeyId);

  const capabilities = capabilitiesOf(bucket);
  const { storageClass, tagging, sse } = headers;
  if (storageClass !== undefined) {
    if (policy.storageClasses !== undefined && !policy.storageClasses.includes(storageClass)) {
      throw new GatewayError(
        "forbidden",
        `the tenant allows the storage classes ${policy.storageClasses.join(", ")} only`,
        { field: "storageClass" },
      );
    }
    const known = capabilities.storageClasses;
    requireCapability(
      bucket,
      known === undefined || known.includes(storageClass),
      `storage class ${storageClass}`,
      "storageClass",
    );
  }
  if (tagging !== undefined) {
    requireCapability(bucket, capabilities.tagging, "object tags (tagging)", "tagging");
  }
  if (sse !== undefined) {
    requireCapability(
      bucket,
      capabilities.sse.includes(sse.mode),
      `server-side encryption ${sse.mode} (sse)`,
      "sse",
    );
  }
  return headers;
}

/** The request's values by header, with the field each came from (for errors). */
function requested(request: ObjectHeaderRequest): {
  [K in ObjectHeaderName]: { value: ObjectHeaders[K] | undefined; field: string };
} {
  if (request.filename !== undefined && request.contentDisposition !== undefined) {
    throw new GatewayError(
      "invalid_request",
      "filename and contentDisposition both set the disposition: send one",
      { field: "filename" },
    );
  }
  if (request.kmsKeyId !== undefined && request.sse !== "aws:kms") {
    throw new GatewayError("invalid_request", `${KMS_ONLY}: send sse "aws:kms" with it`, {
      field: "kmsKeyId",
    });
  }
  const disposition =
    request.filename === undefined
      ? { value: request.contentDisposition, field: "contentDisposition" }
      : { value: attachmentDisposition(request.filename), field: "filename" };
  return {
    cacheControl: { value: request.cacheControl, field: "cacheControl" },
    contentDisposition: disposition,
    contentEncoding: { value: request.contentEncoding, field: "contentEncoding" },
    contentLanguage: { value: request.contentLanguage, field: "contentLanguage" },
    storageClass: { value: request.storageClass, field: "storageClass" },
    tagging: { value: request.tagging, field: "tagging" },
    sse: {
      value:
        request.sse === undefined
          ? undefined
          : {
              mode: request.sse,
              ...(request.kmsKeyId === undefined ? {} : { kmsKeyId: request.kmsKeyId }),
            },
      field: "sse",
    },
  };
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) {
  const entries = Object.entries(a);
  return (
    entries.length === Object.keys(b).length &&
    entries.every(([key, value]) => Object.hasOwn(b, key) && b[key] === value)
  );
}

function describe(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  return JSON.stringify(value);
}

/**
 * The tag set as `x-amz-tagging` carries it: URL query parameters (S3 API reference,
 * PutObject), each key and value percent-encoded as UTF-8.
 */
export function taggingHeader(tagging: Readonly<Record<string, string>>): string {
  return Object.entries(tagging)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join("&");
}

/** The tag set as a POST form's `tagging` field carries it: an XML `Tagging` document. */
export function taggingXml(tagging: Readonly<Record<string, string>>): string {
  const tags = Object.entries(tagging).map(
    ([key, value]) => `<Tag><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></Tag>`,
  );
  return `<Tagging><TagSet>${tags.join("")}</TagSet></Tagging>`;
}

/** The headers stored as given: their value is the header's (or the POST form field's). */
const PLAIN = [
  "cacheControl",
  "contentDisposition",
  "contentEncoding",
  "contentLanguage",
  "storageClass",
] as const;

/** The SSE headers (the same names as header and as POST form field). */
function sseFields(sse: Sse): Record<string, string> {
  return {
    "x-amz-server-side-encryption": sse.mode,
    ...(sse.kmsKeyId === undefined
      ? {}
      : { "x-amz-server-side-encryption-aws-kms-key-id": sse.kmsKeyId }),
  };
}

/** The headers to sign on PutObject and CreateMultipartUpload (lower-case names). */
export function headersOf(headers: ObjectHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PLAIN) {
    const value = headers[name];
    if (value !== undefined) out[HEADER_OF[name].toLowerCase()] = value;
  }
  if (headers.tagging !== undefined) out["x-amz-tagging"] = taggingHeader(headers.tagging);
  return headers.sse === undefined ? out : { ...out, ...sseFields(headers.sse) };
}

/**
 * The form fields of a POST upload, each to be an exact-match policy condition (S3 API
 * reference, "POST Object" form fields; "Creating a POST Policy"). S3's POST has no
 * `Content-Language` field: a tenant that sets one on every upload cannot use POST forms.
 */
export function postFieldsOf(headers: ObjectHeaders): Record<string, string> {
  if (headers.contentLanguage !== undefined) {
    throw new GatewayError(
      "conflict",
      "the tenant sets Content-Language on every upload, which a POST form cannot carry; " +
        "use a presigned PUT or multipart",
    );
  }
  const out: Record<string, string> = {};
  for (const name of PLAIN) {
    const value = headers[name];
    if (value !== undefined) out[HEADER_OF[name]] = value;
  }
  if (headers.tagging !== undefined) out.tagging = taggingXml(headers.tagging);
  return headers.sse === undefined ? out : { ...out, ...sseFields(headers.sse) };
}
