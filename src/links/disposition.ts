/**
 * `Content-Disposition: attachment` for a download name (RFC 6266 §4.3): an ASCII `filename`
 * fallback for old clients plus `filename*` (RFC 8187, UTF-8 percent-encoded) whenever the
 * name is not plain ASCII or contains characters that need quoting.
 */
export function attachmentDisposition(filename: string): string {
  const plain = /^[\x20-\x7e]*$/.test(filename) && !/["\\%]/.test(filename);
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  if (plain) return `attachment; filename="${filename}"`;
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc8187(filename)}`;
}

/** RFC 8187 §3.2.1 `attr-char` kept, every other UTF-8 byte percent-encoded. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
