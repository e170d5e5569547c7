/**
 * S3's XML answers, read with a strict XML reader (./xml-reader.ts) and then checked with zod, so
 * a field is either there with the type we expect or the answer counts as unreadable. Regexes over
 * XML would misread entities (`&quot;` in every ETag), CDATA and namespaces.
 */
import * as z from "zod/mini";
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
export function parseXmlAs<S extends z.core.$ZodType>(
  schema: S,
  text: string,
): z.output<S> | undefined {
  const parsed = z.safeParse(schema, parseXml(text));
  return parsed.success ? parsed.data : undefined;
}

/** A decimal count as S3 writes it (`<Size>5242880</Size>`). */
const Count = z.pipe(
  z.string().check(z.regex(/^\d{1,16}$/)),
  z.transform((digits: string) => Number(digits)),
);

/** S3 error body ("Error responses"): `<Error><Code>NoSuchUpload</Code>…</Error>`. */
export const S3ErrorXml = z.object({
  Error: z.object({
    Code: z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9.]+$/)),
  }),
});

/** CreateMultipartUpload: `<InitiateMultipartUploadResult>…<UploadId>`. */
export const InitiateMultipartUploadXml = z.object({
  InitiateMultipartUploadResult: z.object({ UploadId: z.string().check(z.minLength(1)) }),
});

/** ListParts: one page of parts; `IsTruncated` and `NextPartNumberMarker` drive paging. */
export const ListPartsXml = z.object({
  ListPartsResult: z.object({
    IsTruncated: z.optional(z.enum(["true", "false"])),
    // Absent or empty on the last page of some servers.
    NextPartNumberMarker: z.optional(
      z.union([
        Count,
        z.pipe(
          z.literal(""),
          z.transform(() => undefined),
        ),
      ]),
    ),
    Part: z.optional(
      z.array(z.object({ PartNumber: Count, ETag: z.string().check(z.minLength(1)), Size: Count })),
    ),
  }),
});

/**
 * CompleteMultipartUpload: `<CompleteMultipartUploadResult>…<ETag>`. The ETag may be empty:
 * radosgw 16 sends `<ETag></ETag>` (the object's HEAD has the real one).
 */
export const CompleteMultipartUploadXml = z.object({
  CompleteMultipartUploadResult: z.object({ ETag: z.optional(z.string()) }),
});

/** S3's `<Code>` from an error body, or `undefined` when the body is not an S3 error. */
export function s3ErrorCode(text: string): string | undefined {
  return parseXmlAs(S3ErrorXml, text)?.Error.Code;
}

/** XML text content escaping (XML 1.0 §2.4): `&`, `<`, `>` (and quotes, harmlessly). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
