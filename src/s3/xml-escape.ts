/**
 * XML text escaping, apart from the XML reader and the S3 response schemas (./xml.ts):
 * src/signing/object-headers.ts, which the presign path needs, writes a POST form's tag set as
 * XML with it, and must not pull the reader into the modules a new isolate compiles before it
 * answers (src/hot.ts).
 */

/** XML text content escaping (XML 1.0 §2.4): `&`, `<`, `>` (and quotes, harmlessly). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
