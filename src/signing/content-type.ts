/**
 * The tenant's content-type rule, one for every place a type is signed or sent to S3: presigned
 * PUT, POST policies, multipart create, both paths of the Uppy route, and the
 * `responseContentType` override of GET and HEAD URLs.
 *
 * - The value is exactly one media type (src/http/media-type.ts), else 400 naming the field;
 *   what is signed, sent and returned is its normalised spelling.
 * - A media range (`image/*`, `*\/*`) is not a type: browsers sniff `*\/*` (WHATWG MIME Sniffing
 *   §7.1), so it is refused (400) whatever the tenant allows.
 * - With `upload.contentTypes`, the type must match a pattern on type/subtype, case-insensitive
 *   (415), and an active type (ACTIVE_TYPES) only matches a pattern that names it exactly:
 *   `image/*` or `*\/*` never admit `image/svg+xml` or `text/html`.
 * - Without `upload.contentTypes` every type is admitted, active ones included: the tenant has
 *   not restricted types, and a caller could as well leave `contentType` out and send any type
 *   unsigned (a PUT signs no type then, a POST policy allows any), so a refusal would protect
 *   nothing. Tenants whose objects are served on an origin that matters must set the patterns.
 */
import { GatewayError } from "../errors";
import { formatMediaType, parseMediaType, type MediaType } from "../http/media-type";
import type { TenantRecord } from "../tenants/schema";

/**
 * JavaScript MIME types (WHATWG MIME Sniffing §4.6, "JavaScript MIME type"): every essence a
 * browser runs as a script.
 */
const JAVASCRIPT_TYPES = [
  "application/ecmascript",
  "application/javascript",
  "application/x-ecmascript",
  "application/x-javascript",
  "text/ecmascript",
  "text/javascript",
  "text/javascript1.0",
  "text/javascript1.1",
  "text/javascript1.2",
  "text/javascript1.3",
  "text/javascript1.4",
  "text/javascript1.5",
  "text/jscript",
  "text/livescript",
  "text/x-ecmascript",
  "text/x-javascript",
];

/**
 * Media types a browser renders or runs as active content in the origin that serves them (the
 * bucket's): a wildcard pattern never admits these, only a pattern with the exact name. A name
 * is `type/subtype`, where `*` stands for any type or subtype and `*+xml` for any subtype with
 * that structured suffix (RFC 6838 §4.2.8).
 *
 * Deliberately not active: JSON (shown as text or in a viewer apart from the page; browsers
 * refuse it as a script, and it cannot be a worker); CSS (shown as text when opened; it acts only
 * inside a page that includes it, in that page's origin); PDF (rendered by a viewer isolated from
 * the serving origin, whose scripts cannot reach that origin's DOM or cookies; the most common
 * document upload); `text/vtt` (captions: cues carry styling, never script); `text/plain`,
 * images other than SVG, audio, video, fonts, `application/octet-stream` (downloaded or shown,
 * never run).
 */
export const ACTIVE_TYPES: readonly { names: readonly string[]; reason: string }[] = [
  {
    names: ["text/html"],
    reason: "an HTML document: rendered, and its scripts run in the serving origin",
  },
  {
    names: ["*/xml", "*/*+xml"],
    reason:
      "XML (MIME Sniffing §4.6, 'XML MIME type'), application/xhtml+xml and image/svg+xml " +
      "among them: rendered as a document in which XHTML and SVG elements run scripts, and an " +
      "xml-stylesheet instruction can turn it into HTML",
  },
  {
    names: ["text/xsl"],
    reason: "an XSLT stylesheet: rendered as XML, and it turns the XML that names it into HTML",
  },
  {
    names: JAVASCRIPT_TYPES,
    reason:
      "JavaScript: a page that trusts the bucket's origin for scripts (CSP script-src) runs it, " +
      "and a service worker (which must have a JavaScript type) registered from the bucket's " +
      "origin controls every later response of that origin",
  },
  {
    names: ["multipart/*"],
    reason:
      "parts with types of their own that nobody checks; browsers render " +
      "multipart/x-mixed-replace part by part, HTML included",
  },
  {
    names: ["unknown/unknown", "application/unknown"],
    reason: "MIME Sniffing §7.1 sniffs these as if no type were given, which can yield HTML",
  },
  {
    names: ["application/x-shockwave-flash"],
    reason:
      "Flash: plug-ins ran it with the serving origin's rights (no current browser does, and " +
      "no wildcard needs to admit it)",
  },
];

/** Whether `mediaType` is one of ACTIVE_TYPES. */
export function isActiveType(mediaType: Pick<MediaType, "type" | "subtype">): boolean {
  return ACTIVE_TYPES.some(({ names }) =>
    names.some((name) => {
      const [type = "", subtype = ""] = name.split("/");
      if (type !== "*" && type !== mediaType.type) return false;
      if (subtype === "*") return true;
      if (subtype.startsWith("*+")) return mediaType.subtype.endsWith(subtype.slice(1));
      return subtype === mediaType.subtype;
    }),
  );
}

/** Whether `pattern` (a tenant's `type/subtype`, `*` for any) admits `mediaType`. */
export function patternAdmits(
  pattern: string,
  mediaType: Pick<MediaType, "type" | "subtype">,
): boolean {
  const [type = "", subtype = ""] = pattern.toLowerCase().split("/");
  if (isActiveType(mediaType)) return type === mediaType.type && subtype === mediaType.subtype;
  return (
    (type === "*" || type === mediaType.type) && (subtype === "*" || subtype === mediaType.subtype)
  );
}

/**
 * The normalised content type to sign for `field`, or `undefined` when none is given and the
 * tenant does not restrict types (with patterns, an upload must name one: 400). See the module
 * comment for the rule.
 */
export function allowedContentType(tenant: TenantRecord, value: string, field: string): string;
export function allowedContentType(
  tenant: TenantRecord,
  value: string | undefined,
  field: string,
): string | undefined;
export function allowedContentType(
  tenant: TenantRecord,
  value: string | undefined,
  field: string,
): string | undefined {
  const patterns = tenant.upload.contentTypes;
  if (value === undefined) {
    if (patterns !== undefined) {
      throw new GatewayError(
        "invalid_request",
        `${field} is required: the tenant restricts types`,
        {
          field,
        },
      );
    }
    return undefined;
  }
  const mediaType = parseMediaType(value);
  if (mediaType === undefined) {
    throw new GatewayError(
      "invalid_request",
      `${field} must be exactly one media type (RFC 9110 §8.3.1): type/subtype, then ` +
        "'; name=value' parameters of tokens or quoted strings",
      { field },
    );
  }
  const essence = `${mediaType.type}/${mediaType.subtype}`;
  if (mediaType.type === "*" || mediaType.subtype === "*") {
    throw new GatewayError(
      "invalid_request",
      `${field} '${essence}' is a media range, not a type`,
      {
        field,
      },
    );
  }
  if (patterns !== undefined && !patterns.some((pattern) => patternAdmits(pattern, mediaType))) {
    const why = isActiveType(mediaType)
      ? ": it is active content (a browser runs it in the bucket's origin), which a wildcard " +
        "pattern never admits; the tenant must list it by its exact name"
      : "";
    throw new GatewayError(
      "unsupported_media_type",
      `content type '${essence}' is not allowed${why}`,
      {
        field,
      },
    );
  }
  return formatMediaType(mediaType);
}
