/**
 * The five signer contenders, each a presigner `(key, now) => url` for a presigned GET, built from
 * the same credentials, bucket and expiry. The same module runs inside workerd (bench Worker) and
 * under Node 24 (bundled by scripts/bench.mjs), so both tables measure the same code.
 */
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { AwsClient } from "aws4fetch";
import type { Env } from "../../src/env";
import { encodeKeyPath } from "../../src/keys";
import { presign } from "../../src/signing/presign";
import { signerFor } from "../../src/signing/service";
import type { BucketConfig } from "../../src/tenants/schema";
import { floorSigner } from "./floor";

export interface SignerSetup {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** S3 bucket name; URLs are virtual-host style on `s3.amazonaws.com` (the SDK's default). */
  bucket: string;
  expiresIn: number;
}

export type Presigner = (key: string, now: Date) => Promise<string>;

export interface Contender {
  id: string;
  label: string;
  make(setup: SignerSetup): Presigner;
}

/** The secret name the edgesign contender reads its credentials from, as the routes do. */
const CREDENTIALS = "S3_SIGNER_BENCH";

function amzDate(now: Date): string {
  return now.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

function objectUrl(setup: SignerSetup, key: string): string {
  return `https://${setup.bucket}.s3.amazonaws.com/${encodeKeyPath(key)}`;
}

/** aws4fetch as Cloudflare's R2 presigning example uses it: sign a Request, query signing. */
async function aws4fetchPresign(
  client: AwsClient,
  setup: SignerSetup,
  key: string,
  now: Date,
): Promise<string> {
  const url = `${objectUrl(setup, key)}?X-Amz-Expires=${setup.expiresIn}`;
  const signed = await client.sign(new Request(url, { method: "GET" }), {
    aws: { signQuery: true, datetime: amzDate(now) },
  });
  return signed.url;
}

function newAwsClient(setup: SignerSetup): AwsClient {
  return new AwsClient({
    accessKeyId: setup.accessKeyId,
    secretAccessKey: setup.secretAccessKey,
    service: "s3",
    region: setup.region,
  });
}

export const CONTENDERS: readonly Contender[] = [
  {
    id: "edgesign",
    label: "edgesign presign() (as the routes call it, caches warm)",
    make(setup) {
      const env = {
        [CREDENTIALS]: JSON.stringify({
          accessKeyId: setup.accessKeyId,
          secretAccessKey: setup.secretAccessKey,
        }),
      } as unknown as Env;
      const bucket: BucketConfig = {
        endpoint: "https://s3.amazonaws.com",
        bucket: setup.bucket,
        region: setup.region,
        style: "virtual",
        credentials: CREDENTIALS,
        provider: "generic",
      };
      // Exactly what presignForCaller does for a GET without overrides.
      return async (key, now) =>
        (
          await presign(signerFor(env, bucket.credentials), {
            method: "GET",
            bucket,
            fullKey: key,
            expiresIn: setup.expiresIn,
            now,
            signedHeaders: {},
            query: {},
          })
        ).url;
    },
  },
  {
    id: "aws4fetch-new-client",
    label: "aws4fetch, new AwsClient per URL (Cloudflare R2 example)",
    make(setup) {
      return (key, now) => aws4fetchPresign(newAwsClient(setup), setup, key, now);
    },
  },
  {
    id: "aws4fetch-reused-client",
    label: "aws4fetch, one AwsClient reused",
    make(setup) {
      const client = newAwsClient(setup);
      return (key, now) => aws4fetchPresign(client, setup, key, now);
    },
  },
  {
    id: "aws-sdk",
    label: "@aws-sdk/s3-request-presigner getSignedUrl, one S3Client",
    make(setup) {
      const client = new S3Client({
        region: setup.region,
        credentials: { accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey },
        // Plain presigned GET: no checksum mode header hoisted into the URL.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
      return (key, now) =>
        getSignedUrl(client, new GetObjectCommand({ Bucket: setup.bucket, Key: key }), {
          expiresIn: setup.expiresIn,
          signingDate: now,
        });
    },
  },
  {
    id: "floor",
    label: "floor: minimal WebCrypto SigV4, cached signing CryptoKey (bench-only)",
    make(setup) {
      return floorSigner({
        accessKeyId: setup.accessKeyId,
        secretAccessKey: setup.secretAccessKey,
        region: setup.region,
        host: `${setup.bucket}.s3.amazonaws.com`,
        expiresIn: setup.expiresIn,
      });
    },
  },
];
