/**
 * Comma-separated field values (RFC 9110 §5.6.1 `#element` lists) that an upload asks S3 to
 * store: `Cache-Control` (RFC 9111 §5.2), `Content-Encoding` (RFC 9110 §8.4) and
 * `Content-Language` (RFC 9110 §8.5). Pure: a string in, whether it is one out.
 *
 * Stricter than the RFCs as src/http/parameters.ts is, because the value is typed into JSON and
 * stored as given: no leading or trailing whitespace, no empty list elements (`a,,b`), and no
 * bytes above 0x7F.
 */
import { TOKEN_ONLY } from "./parameters";

/** `token` (RFC 9110 §5.6.2), unanchored. */
const TOKEN = TOKEN_ONLY.source.slice(1, -1);
/** `quoted-string` without obs-text (RFC 9110 §5.6.4). */
const QUOTED_STRING = String.raw`"(?:[\t \x21\x23-\x5b\x5d-\x7e]|\\[\t\x20-\x7e])*"`;
/**
 * `Language-Tag` (RFC 5646 §2.1, which RFC 9110 §8.5.1 names) checked for its shape only:
 * 1-8 letters, then `-` subtags of 1-8 letters or digits (`en`, `de-CH`, `zh-Hant-TW`).
 */
const LANGUAGE_TAG = "[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*";

/** `1#element` with `OWS "," OWS` between elements (RFC 9110 §5.6.1), anchored. */
function listOf(element: string): RegExp {
  return new RegExp(`^${element}(?:[ \\t]*,[ \\t]*${element})*$`);
}

/** `Cache-Control = #cache-directive`, `cache-directive = token [ "=" ( token / quoted-string ) ]`. */
const CACHE_CONTROL = listOf(`${TOKEN}(?:=(?:${TOKEN}|${QUOTED_STRING}))?`);
/** `Content-Encoding = #content-coding`, `content-coding = token` (`gzip`, `br`). */
const CONTENT_ENCODING = listOf(TOKEN);
/** `Content-Language = #language-tag`. */
const CONTENT_LANGUAGE = listOf(LANGUAGE_TAG);

export function isCacheControl(value: string): boolean {
  return CACHE_CONTROL.test(value);
}

export function isContentEncoding(value: string): boolean {
  return CONTENT_ENCODING.test(value);
}

export function isContentLanguage(value: string): boolean {
  return CONTENT_LANGUAGE.test(value);
}
