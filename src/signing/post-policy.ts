/**
 * SigV4 POST policies for browser form uploads (AWS S3 API reference, "Browser-Based Uploads
 * Using POST (AWS Signature Version 4)", "Creating a POST Policy" and "Calculating a
 * Signature"). S3 itself checks every condition of the policy against the form it receives, so
 * the limits we write here (exact key, size range, content type, metadata) are enforced by S3,
 * not by trust in the client.
 *
 * Pure apart from WebCrypto: credentials, bucket, key, limits and clock come in; the form's
 * action URL and fields come out.
 */
import type { S3Credentials } from "../env";
import type { BucketConfig } from "../tenants/schema";
import { hex } from "../bytes";
import { checksumFormFields, type Checksum } from "./checksums";
import { GatewayError } from "../errors";
import { amzDate, deriveSigningKey, hmac, type SigningScope } from "./presign";

export const POST_ALGORITHM = "AWS4-HMAC-SHA256";

/** In its own module (../s3/limits.ts) so usage counting on the hot path does not load this one. */
export { MAX_POST_BYTES } from "../s3/limits";

/** The statuses S3 may answer a successful POST with (`success_action_status`). */
export const SUCCESS_ACTION_STATUSES = ["200", "201", "204"] as const;
export type SuccessActionStatus = (typeof SUCCESS_ACTION_STATUSES)[number];

/** One policy condition ("Creating a POST Policy", "Condition matching"). */
export type PolicyCondition =
  | Record<string, string>
  | ["content-length-range", number, number]
  | ["starts-with", string, string];

export interface PolicyDocument {
  /** ISO 8601 with milliseconds, as S3 expects (`2015-12-30T12:00:00.000Z`). */
  expiration: string;
  conditions: PolicyCondition[];
}

export interface PostPolicyInput {
  credentials: S3Credentials;
  bucket: BucketConfig;
  fullKey: string;
  expiresIn: number;
  now: Date;
  /** Inclusive bounds of `content-length-range`: the file's size in bytes. */
  minBytes: number;
  maxBytes: number;
  /** Exact `Content-Type` of the upload; `undefined` lets the form send any type. */
  contentType?: string | undefined;
  /** User metadata (names without `x-amz-meta-`); each value must be sent exactly. */
  metadata?: Record<string, string> | undefined;
  /** More form fields S3 must receive exactly (object headers: src/signing/object-headers.ts). */
  exactFields?: Record<string, string> | undefined;
  /** A checksum S3 checks the file against (./checksums.ts), sent as exact form fields. */
  checksum?: Checksum | undefined;
  successActionStatus: SuccessActionStatus;
  /**
   * Derived signing keys, shared with aws4fetch (`AwsClient.cache`): same cache key layout, so a
   * key derived by either is reused by the other (one derivation per secret, day and region).
   */
  cache?: Map<string, ArrayBuffer>;
}

export interface PostPolicy {
  /** The form's `action`: the bucket URL (path or virtual-host style). */
  url: string;
  /** Form fields to send, in this order, before the `file` field (which must come last). */
  fields: Record<string, string>;
  /** The decoded policy document (what `fields.policy` holds, base64-encoded). */
  policy: PolicyDocument;
  expiresAt: string;
}

/** The form's action URL: path style `endpoint/bucket`, virtual-host style `bucket.host/`. */
export function bucketUrl(bucket: BucketConfig): string {
  const endpoint = new URL(bucket.endpoint);
  if (bucket.style === "path") return `${endpoint.origin}/${bucket.bucket}`;
  return `${endpoint.protocol}//${bucket.bucket}.${endpoint.host}/`;
}

/**
 * Builds and signs a POST policy. Every field returned in `fields` has a condition: S3 refuses
 * form fields the policy does not name ("each form field … must appear in the list of
 * conditions"), so the client cannot add an ACL, a redirect or other metadata.
 */
export async function createPostPolicy(input: PostPolicyInput): Promise<PostPolicy> {
  refuseFilenameVariable(input.fullKey);
  const { credentials, bucket, now } = input;
  const date = amzDate(now);
  const credential = `${credentials.accessKeyId}/${date.slice(0, 8)}/${bucket.region}/s3/aws4_request`;
  const expiresAt = new Date(now.getTime() + input.expiresIn * 1000).toISOString();

  const fields: Record<string, string> = { key: input.fullKey };
  const conditions: PolicyCondition[] = [
    { bucket: bucket.bucket },
    { key: input.fullKey },
    ["content-length-range", input.minBytes, input.maxBytes],
  ];
  if (input.contentType === undefined) {
    // "starts-with" "" matches any value and, unlike no condition, lets the form carry one.
    conditions.push(["starts-with", "$Content-Type", ""]);
  } else {
    conditions.push({ "Content-Type": input.contentType });
    fields["Content-Type"] = input.contentType;
  }
  for (const [name, value] of Object.entries(input.metadata ?? {})) {
    conditions.push({ [`x-amz-meta-${name}`]: value });
    fields[`x-amz-meta-${name}`] = value;
  }
  const checksumFields = input.checksum === undefined ? {} : checksumFormFields(input.checksum);
  for (const [name, value] of Object.entries({ ...input.exactFields, ...checksumFields })) {
    conditions.push({ [name]: value });
    fields[name] = value;
  }
  const signing: Record<string, string> = {
    success_action_status: input.successActionStatus,
    "x-amz-algorithm": POST_ALGORITHM,
    "x-amz-credential": credential,
    "x-amz-date": date,
  };
  if (credentials.sessionToken !== undefined) {
    signing["x-amz-security-token"] = credentials.sessionToken;
  }
  for (const [name, value] of Object.entries(signing)) {
    conditions.push({ [name]: value });
    fields[name] = value;
  }

  const policy: PolicyDocument = { expiration: expiresAt, conditions };
  const policyBase64 = base64OfUtf8(JSON.stringify(policy));
  fields.policy = policyBase64;
  fields["x-amz-signature"] = await signPolicy(policyBase64, {
    secretAccessKey: credentials.secretAccessKey,
    date: date.slice(0, 8),
    region: bucket.region,
    ...(input.cache === undefined ? {} : { cache: input.cache }),
  });
  return { url: bucketUrl(bucket), fields, policy, expiresAt };
}

/**
 * S3 replaces `${filename}` in a POST form's key with the uploaded file's name ("Creating HTML
 * Forms"), so the stored key would not be the one we checked and returned. Checked here, where
 * every POST policy is made (`/v1/uploads/post` and the Uppy route's PutObject).
 */
function refuseFilenameVariable(fullKey: string): void {
  if (fullKey.includes("${filename}")) {
    throw new GatewayError(
      "invalid_key",
      "the key contains '${filename}', which S3 would replace in a POST upload",
      { field: "key" },
    );
  }
}

/**
 * "Calculating a Signature" for POST: the string to sign is the base64 policy itself, and the
 * signature is hex(HMAC-SHA256(signingKey, policyBase64)) with the usual SigV4 signing key.
 */
export async function signPolicy(policyBase64: string, scope: SigningScope): Promise<string> {
  return hex(await hmac(await deriveSigningKey(scope), policyBase64));
}

const utf8 = new TextEncoder();

/** Base64 of the UTF-8 bytes (keys and metadata may be Unicode; `btoa` alone takes Latin-1). */
export function base64OfUtf8(text: string): string {
  const bytes = utf8.encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
