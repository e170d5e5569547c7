/**
 * `Content-Disposition` values (RFC 6266): checking one a client asks S3 to answer with
 * (`response-content-disposition`), and making the `attachment` one of a download name.
 */
import { hasRepeatedName, parseParameters, tokenAt, type Parameter } from "./parameters";

export interface ContentDisposition {
  /** `inline`, `attachment` or another token (RFC 6266 §4.2: treated as attachment); lower-cased. */
  type: string;
  parameters: Parameter[];
}

/**
 * `disposition-type *( ";" disposition-parm )` (RFC 6266 §4.1), or `undefined`. Parameters
 * follow the list grammar of RFC 9110 §5.6.6 (src/http/parameters.ts); names must not repeat
 * (§4.1), and a name ending in `*` (`filename*`) takes an RFC 8187 ext-value, never quoted.
 */
export function parseContentDisposition(value: string): ContentDisposition | undefined {
  const type = tokenAt(value, 0);
  if (type === "") return undefined;
  const parameters = parseParameters(value, type.length);
  if (parameters === undefined || hasRepeatedName(parameters)) return undefined;
  const extended = parameters.filter((parameter) => parameter.name.endsWith("*"));
  if (extended.some((parameter) => parameter.quoted || !isExtValue(parameter.value))) {
    return undefined;
  }
  return { type: type.toLowerCase(), parameters };
}

/**
 * RFC 8187 §3.2.1 `ext-value = charset "'" [ language ] "'" value-chars`, where value-chars are
 * attr-chars and pct-encoded bytes. Producers must use UTF-8 (§3.2.1), so only UTF-8 is taken,
 * and the bytes must decode as UTF-8. The language tag is checked for its characters only.
 */
function isExtValue(value: string): boolean {
  const match = /^UTF-8'[A-Za-z0-9-]*'((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*)$/i.exec(
    value,
  );
  if (match === null) return false;
  try {
    decodeURIComponent(match[1] ?? "");
    return true;
  } catch {
    return false;
  }
}

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
