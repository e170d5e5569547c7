/**
 * S3's XML answers, read with a strict XML reader (./xml-reader.ts) and then checked with valibot, so
 * a field is either there with the type we expect or the answer counts as unreadable. Regexes over
 * XML would misread entities (`&quot;` in every ETag), CDATA and namespaces.
 */
import * as v from "valibot";
import { PARSE_CONFIG } from "../openapi/route";
import { readXml } from "./xml-reader";

/** Elements that are lists even when S3 sends one: one <Part> is still a list of parts. */
const LISTS: ReadonlySet<string> = new Set(["Part"]);

/**
 * The parsed document, or `undefined` when `text` is not well-formed XML, has a DOCTYPE, is too
 * large or too deep (see readXml). Elements are matched on local names: S3's default namespace
 * (`xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`) and any prefix are ignored.
 */
export function parseXml(text: string): unknown {
  try {
    return readXml(text, LISTS);
  } catch {
    return undefined;
  }
}

/** `text` parsed and validated against `schema`, or `undefined`. */
export function parseXmlAs<S extends v.GenericSchema>(
  schema: S,
  text: string,
): v.InferOutput<S> | undefined {
  const parsed = v.safeParse(schema, parseXml(text), PARSE_CONFIG);
  return parsed.success ? parsed.output : undefined;
}

/** A decimal count as S3 writes it (`<Size>5242880</Size>`). */
const Count = v.pipe(
  v.string(),
  v.regex(/^\d{1,16}$/),
  v.transform((digits) => Number(digits)),
);

/** S3 error body ("Error responses"): `<Error><Code>NoSuchUpload</Code>…</Error>`. */
export const S3ErrorXml = v.object({
  Error: v.object({
    Code: v.pipe(v.string(), v.minLength(1), v.maxLength(128), v.regex(/^[A-Za-z0-9.]+$/)),
  }),
});

/** CreateMultipartUpload: `<InitiateMultipartUploadResult>…<UploadId>`. */
export const InitiateMultipartUploadXml = v.object({
  InitiateMultipartUploadResult: v.object({ UploadId: v.pipe(v.string(), v.minLength(1)) }),
});

/** A part's checksum elements (`<ChecksumCRC32>`…), each optional. */
const PART_CHECKSUMS = {
  ChecksumCRC32: v.optional(v.string()),
  ChecksumCRC32C: v.optional(v.string()),
  ChecksumCRC64NVME: v.optional(v.string()),
  ChecksumSHA1: v.optional(v.string()),
  ChecksumSHA256: v.optional(v.string()),
};

/** ListParts: one page of parts; `IsTruncated` and `NextPartNumberMarker` drive paging. */
export const ListPartsXml = v.object({
  ListPartsResult: v.object({
    IsTruncated: v.optional(v.picklist(["true", "false"])),
    // Absent or empty on the last page of some servers.
    NextPartNumberMarker: v.optional(
      v.union([
        Count,
        v.pipe(
          v.literal(""),
          v.transform(() => undefined),
        ),
      ]),
    ),
    // Uploads created with x-amz-checksum-algorithm: the algorithm, and each part's digest.
    ChecksumAlgorithm: v.optional(v.string()),
    Part: v.optional(
      v.array(
        v.object({
          PartNumber: Count,
          ETag: v.pipe(v.string(), v.minLength(1)),
          Size: Count,
          ...PART_CHECKSUMS,
        }),
      ),
    ),
  }),
});

/**
 * CompleteMultipartUpload: `<CompleteMultipartUploadResult>…<ETag>`. The ETag may be empty:
 * radosgw 16 sends `<ETag></ETag>` (the object's HEAD has the real one).
 */
export const CompleteMultipartUploadXml = v.object({
  CompleteMultipartUploadResult: v.object({ ETag: v.optional(v.string()) }),
});

/** S3's `<Code>` from an error body, or `undefined` when the body is not an S3 error. */
export function s3ErrorCode(text: string): string | undefined {
  return parseXmlAs(S3ErrorXml, text)?.Error.Code;
}

/** In its own module (./xml-escape.ts) so the hot path does not load the reader. */
export { escapeXml } from "./xml-escape";
