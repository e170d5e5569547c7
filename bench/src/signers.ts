/**
 * The signer micro-benchmark, the same in workerd and in Node: every contender first proves it
 * signs the right thing, then is timed over the same 1,000 keys.
 *
 * Proof: with the AWS presigned-GET example's credentials and pinned date
 * (`test/vectors/s3-presign-get.json`) a contender must produce the published signature, and
 * the independent test verifier must rebuild the published canonical request; the AWS SDK, which
 * adds `x-id` and `X-Amz-Content-Sha256` to the query (so its signature differs by design), must
 * produce a URL that the same verifier accepts. Then every one of the 1,000 bench URLs must verify
 * and decode back to its key.
 */
import vector from "../../test/vectors/s3-presign-get.json";
import { verifyPresignedUrl } from "../../test/sigv4-verifier";
import { CONTENDERS, type SignerSetup } from "./contenders";
import { DEFAULT_MEASURE, measure, type Measurement } from "./harness";
import { benchKeys } from "./keys";

/** The bench's own fake credentials: a presigned GET living 900 s. */
export const BENCH_SETUP: SignerSetup = {
  accessKeyId: "AKIABENCHACCESSKEY01",
  secretAccessKey: "bench/secret+key/0123456789abcdefGHIJKLMN",
  region: "us-east-1",
  bucket: "bench-bucket",
  expiresIn: 900,
};

const VECTOR_SETUP: SignerSetup = {
  accessKeyId: vector.accessKeyId,
  secretAccessKey: vector.secretAccessKey,
  region: vector.region,
  bucket: "examplebucket",
  expiresIn: vector.expiresIn,
};
/** 20130524T000000Z */
const VECTOR_DATE = new Date(
  `${vector.datetime.slice(0, 4)}-${vector.datetime.slice(4, 6)}-${vector.datetime.slice(6, 8)}T00:00:00Z`,
);

export interface Validation {
  id: string;
  /** `signature` (published signature reproduced) or `verifier` (accepted by the verifier). */
  vector: "signature" | "verifier";
  keysVerified: number;
}

export interface SignerResult extends Measurement {
  id: string;
  label: string;
}

export interface SignerReport {
  validation: Validation[];
  results: SignerResult[];
}

async function validate(id: string, sign: (key: string, now: Date) => Promise<string>) {
  const vectorUrl = await sign("test.txt", VECTOR_DATE);
  const verified = await verifyPresignedUrl(vectorUrl, "GET", {
    secretAccessKey: vector.secretAccessKey,
    style: "virtual",
  });
  if (!verified.valid || verified.key !== "test.txt" || verified.bucket !== "examplebucket") {
    throw new Error(`${id}: the AWS vector URL does not verify: ${vectorUrl}`);
  }
  let kind: Validation["vector"] = "verifier";
  if (id !== "aws-sdk") {
    if (verified.params.get("X-Amz-Signature") !== vector.signature) {
      throw new Error(`${id}: wrong signature for the AWS vector: ${vectorUrl}`);
    }
    if (verified.canonicalRequest !== vector.canonicalRequest) {
      throw new Error(`${id}: canonical request differs from the AWS vector`);
    }
    kind = "signature";
  }
  return kind;
}

/** Validates then times every contender; `verifyKeys` URLs per contender are verified. */
export async function runSigners(verifyKeys = 1000): Promise<SignerReport> {
  const keys = benchKeys();
  const validation: Validation[] = [];
  const results: SignerResult[] = [];
  for (const contender of CONTENDERS) {
    const vectorKind = await validate(contender.id, contender.make(VECTOR_SETUP));

    const sign = contender.make(BENCH_SETUP);
    const now = new Date();
    for (let i = 0; i < Math.min(verifyKeys, keys.length); i++) {
      const key = keys[i] as string;
      const url = await sign(key, now);
      const verified = await verifyPresignedUrl(url, "GET", {
        secretAccessKey: BENCH_SETUP.secretAccessKey,
        style: "virtual",
      });
      if (!verified.valid || verified.key !== key) {
        throw new Error(`${contender.id}: URL for '${key}' does not verify: ${url}`);
      }
    }
    validation.push({
      id: contender.id,
      vector: vectorKind,
      keysVerified: Math.min(verifyKeys, keys.length),
    });

    const measured = await measure(
      contender.id,
      (i) => sign(keys[i % keys.length] as string, new Date()),
      DEFAULT_MEASURE,
    );
    results.push({ ...measured, id: contender.id, label: contender.label });
  }
  return { validation, results };
}
