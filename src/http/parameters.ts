/**
 * The pieces of HTTP field grammar that media types (RFC 9110 §8.3.1) and Content-Disposition
 * (RFC 6266 §4.1) share: tokens (RFC 9110 §5.6.2), quoted strings (§5.6.4) and parameter lists
 * (§5.6.6). Pure: strings in, parsed values (or `undefined`) out.
 *
 * Stricter than the RFCs in three ways, because these values are typed into JSON by a client,
 * not folded out of a header line: no leading or trailing whitespace, no empty parameters
 * (`a/b;;c=d`, a trailing `;`), and no obs-text (bytes above 0x7F) in quoted strings.
 */

/** `token = 1*tchar` (RFC 9110 §5.6.2), anchored where the scan stands. */
const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
/**
 * `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE` (RFC 9110 §5.6.4), without obs-text:
 * qdtext is HTAB, SP, and VCHAR but `"` and `\`; a quoted-pair is `\` and HTAB, SP or VCHAR.
 */
const QUOTED_STRING = /"((?:[\t \x21\x23-\x5b\x5d-\x7e]|\\[\t\x20-\x7e])*)"/y;
/** `OWS = *( SP / HTAB )` (RFC 9110 §5.6.3). */
const OWS = /[ \t]*/y;

export const TOKEN_ONLY = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface Parameter {
  /** As written; parameter names are case-insensitive, so compare them lower-cased. */
  name: string;
  /** The value, unquoted (quoted-pairs resolved). */
  value: string;
  /** Whether it was written as a quoted-string (RFC 8187 ext-values must not be). */
  quoted: boolean;
}

/** The token at `index`, or "" when there is none. */
export function tokenAt(input: string, index: number): string {
  return matchAt(TOKEN, input, index)?.[0] ?? "";
}

/**
 * `*( OWS ";" OWS parameter )` from `index` to the end of `input` (RFC 9110 §5.6.6), where
 * `parameter = parameter-name "=" parameter-value` with no whitespace around "=" and a value
 * that is a token or a quoted-string. `undefined` when anything else is there.
 */
export function parseParameters(input: string, index: number): Parameter[] | undefined {
  const parameters: Parameter[] = [];
  let at = index;
  while (at < input.length) {
    at = skipOws(input, at);
    if (input[at] !== ";") return undefined;
    at = skipOws(input, at + 1);
    const name = tokenAt(input, at);
    if (name === "" || input[at + name.length] !== "=") return undefined;
    at += name.length + 1;
    const quoted = matchAt(QUOTED_STRING, input, at);
    if (quoted !== undefined) {
      const value = (quoted[1] ?? "").replace(/\\(.)/g, "$1");
      parameters.push({ name, value, quoted: true });
      at += quoted[0].length;
      continue;
    }
    const value = tokenAt(input, at);
    if (value === "") return undefined;
    parameters.push({ name, value, quoted: false });
    at += value.length;
  }
  return parameters;
}

/** Whether two parameters share a name (case-insensitive): RFC 6266 §4.1 forbids it. */
export function hasRepeatedName(parameters: readonly Parameter[]): boolean {
  const names = new Set(parameters.map((parameter) => parameter.name.toLowerCase()));
  return names.size !== parameters.length;
}

/** A parameter value as a token when it is one, else as a quoted-string (RFC 9110 §5.6.6). */
export function formatParameterValue(value: string): string {
  return TOKEN_ONLY.test(value) ? value : `"${value.replace(/["\\]/g, "\\$&")}"`;
}

function skipOws(input: string, index: number): number {
  return index + (matchAt(OWS, input, index)?.[0].length ?? 0);
}

function matchAt(pattern: RegExp, input: string, index: number): RegExpExecArray | undefined {
  pattern.lastIndex = index;
  return pattern.exec(input) ?? undefined;
}
