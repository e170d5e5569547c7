/**
 * One media type, parsed strictly (RFC 9110 §8.3.1):
 * `media-type = type "/" subtype parameters`, `type = token`, `subtype = token`, with
 * `parameters = *( OWS ";" OWS parameter )` (§5.6.6) built from tokens and quoted strings.
 * A list (`image/png, text/html`), a second `/`, or any stray character makes the whole value
 * invalid: browsers act on the last type of a comma list, so checking a prefix is not checking.
 *
 * The normalised form is one spelling per media type: type, subtype and parameter names
 * lower-cased (all case-insensitive, §8.3.1 and §5.6.6); parameter values kept as given, since
 * some are case-sensitive (`boundary`); each value written as a token when it is one and as a
 * quoted-string otherwise (quoted and unquoted forms are equivalent, §5.6.6), escaping only `"`
 * and `\`; parameters joined by `"; "`. So `Text/Plain;Charset="utf-8"` is `text/plain; charset=utf-8`.
 */
import {
  formatParameterValue,
  hasRepeatedName,
  parseParameters,
  tokenAt,
  type Parameter,
} from "./parameters";

export interface MediaType {
  /** Lower-cased. */
  type: string;
  /** Lower-cased. */
  subtype: string;
  /** In order; names lower-cased, values unquoted. Never two with one name. */
  parameters: { name: string; value: string }[];
}

/** The media type `value` spells, or `undefined` when it is not exactly one. */
export function parseMediaType(value: string): MediaType | undefined {
  const type = tokenAt(value, 0);
  if (type === "" || value[type.length] !== "/") return undefined;
  const subtype = tokenAt(value, type.length + 1);
  if (subtype === "") return undefined;
  const parameters = parseParameters(value, type.length + 1 + subtype.length);
  // A repeated name is ambiguous (which charset?); recipients disagree, so refuse it.
  if (parameters === undefined || hasRepeatedName(parameters)) return undefined;
  return {
    type: type.toLowerCase(),
    subtype: subtype.toLowerCase(),
    parameters: parameters.map(({ name, value: parameterValue }: Parameter) => ({
      name: name.toLowerCase(),
      value: parameterValue,
    })),
  };
}

/** The normalised spelling of a parsed media type (see the module comment). */
export function formatMediaType(mediaType: MediaType): string {
  const parameters = mediaType.parameters.map(
    ({ name, value }) => `; ${name}=${formatParameterValue(value)}`,
  );
  return `${mediaType.type}/${mediaType.subtype}${parameters.join("")}`;
}

/** `value` in its normalised spelling, or `undefined` when it is not exactly one media type. */
export function normaliseMediaType(value: string): string | undefined {
  const mediaType = parseMediaType(value);
  return mediaType === undefined ? undefined : formatMediaType(mediaType);
}
