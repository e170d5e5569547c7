/**
 * S3's XML answers, read with a real XML parser (fast-xml-parser) and then checked with zod, so a
 * field is either there with the type we expect or the answer counts as unreadable. Regexes over
 * XML would misread entities (`&quot;` in every ETag), CDATA and namespaces.
 */
import { XMLParser, XMLValidator, type EntityDecoderOptions } from "fast-xml-parser";
import { z } from "zod";

const PREDEFINED: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" };

/**
 * Exactly XML 1.0's entities: the five predefined ones (§4.6) and character references (§4.1,
 * `&#34;`, `&#x22;`). fast-xml-parser decodes character references only in its HTML mode, and an
 * ETag left as `&#34;…&#34;` would not match the client's. Entities a DOCTYPE declares are not
 * expanded (S3 sends none; expanding them is how entity-expansion attacks work).
 */
const xmlEntities: EntityDecoderOptions = {
  setExternalEntities: () => undefined,
  addInputEntities: () => undefined,
  reset: () => undefined,
  setXmlVersion: () => undefined,
  decode: (text) =>
    text.replace(
      /&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(quot|amp|lt|gt|apos));/g,
      (entity, dec, hex, name) => {
        if (typeof name === "string") return PREDEFINED[name] ?? entity;
        const codePoint = typeof dec === "string" ? Number(dec) : parseInt(String(hex), 16);
        return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity;
      },
    ),
};

const parser = new XMLParser({
  ignoreAttributes: true,
  // `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"` or prefixed names: read the local name.
  removeNSPrefix: true,
  // Upload ids, ETags and part numbers stay strings: "0012" or "1e5" must not become numbers.
  parseTagValue: false,
  // `&quot;` around ETags is standard XML.
  processEntities: true,
  entityDecoder: xmlEntities,
  // One <Part> is still a list of parts.
  isArray: (tagName) => tagName === "Part",
});

/** The parsed document, or `undefined` when `text` is not well-formed XML. */
export function parseXml(text: string): unknown {
  if (text.trim() === "" || XMLValidator.validate(text) !== true) return undefined;
  try {
    return parser.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `text` parsed and validated against `schema`, or `undefined`. */
export function parseXmlAs<S extends z.ZodType>(schema: S, text: string): z.output<S> | undefined {
  const parsed = schema.safeParse(parseXml(text));
  return parsed.success ? parsed.data : undefined;
}

/** A decimal count as S3 writes it (`<Size>5242880</Size>`). */
const Count = z
  .string()
  .regex(/^\d{1,16}$/)
  .transform(Number);

/** S3 error body ("Error responses"): `<Error><Code>NoSuchUpload</Code>…</Error>`. */
export const S3ErrorXml = z.object({
  Error: z.object({
    Code: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9.]+$/),
  }),
});

/** CreateMultipartUpload: `<InitiateMultipartUploadResult>…<UploadId>`. */
export const InitiateMultipartUploadXml = z.object({
  InitiateMultipartUploadResult: z.object({ UploadId: z.string().min(1) }),
});

/** ListParts: one page of parts; `IsTruncated` and `NextPartNumberMarker` drive paging. */
export const ListPartsXml = z.object({
  ListPartsResult: z.object({
    IsTruncated: z.enum(["true", "false"]).optional(),
    // Absent or empty on the last page of some servers.
    NextPartNumberMarker: Count.or(z.literal("").transform(() => undefined)).optional(),
    Part: z.array(z.object({ PartNumber: Count, ETag: z.string().min(1), Size: Count })).optional(),
  }),
});

/**
 * CompleteMultipartUpload: `<CompleteMultipartUploadResult>…<ETag>`. The ETag may be empty:
 * radosgw 16 sends `<ETag></ETag>` (the object's HEAD has the real one).
 */
export const CompleteMultipartUploadXml = z.object({
  CompleteMultipartUploadResult: z.object({ ETag: z.string().optional() }),
});

/** S3's `<Code>` from an error body, or `undefined` when the body is not an S3 error. */
export function s3ErrorCode(text: string): string | undefined {
  return parseXmlAs(S3ErrorXml, text)?.Error.Code;
}

/** XML text content escaping (XML 1.0 §2.4): `&`, `<`, `>` (and quotes, harmlessly). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
