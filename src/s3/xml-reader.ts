/**
 * A small, strict reader for XML 1.0 (https://www.w3.org/TR/xml/, cited as §), enough for S3's
 * answers: elements, attributes (read and dropped), text, character references, the five
 * predefined entities, CDATA, comments and processing instructions. A DOCTYPE is refused outright,
 * so no DTD is read and no entity is ever declared: entity-expansion ("billion laughs") and
 * external-entity attacks both need one. Whatever is not well-formed throws an XmlError.
 *
 * The result has the shape the gateway has always read: `{ Root: content }`, where an element
 * with child elements is an object keyed by local name (a name seen twice, or listed in `lists`,
 * holds an array) and any other element is its text, trimmed of white space. Not done, since S3
 * needs neither: line ends are not normalised (§2.11), mixed content is refused, and namespace
 * URIs are not checked (Namespaces in XML: only local names are compared).
 */

export class XmlError extends Error {}

/** S3 answers here are a few KiB; a ListParts page of 1,000 parts is about 250 KiB. */
export const MAX_XML_LENGTH = 1024 * 1024;
/** S3 answers nest 3 or 4 deep; the bound keeps hostile nesting from exhausting the stack. */
export const MAX_XML_DEPTH = 32;

/** §2.3 [4]-[5] Name, with the non-ASCII ranges approximated (S3 names are ASCII). */
const NAME = /[:A-Z_a-z\u00C0-\uFFFF][-.0-9:A-Z_a-z\u00B7\u00C0-\uFFFF]*/y;
/** §2.3 [3] S. */
const SPACE = /[ \t\r\n]*/y;
/** Characters §2.2 [2] Char excludes (lone surrogates cannot survive UTF-8 decoding). */
const NOT_CHAR = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
/** §4.1 [66]-[68]: a reference, or a bare `&` (no `;`), which is not well-formed. */
const REFERENCE = /&(#x[0-9a-fA-F]+|#[0-9]+|[^;&<]*)(;?)/g;
/** §4.6: the only entities a document without a DTD may use. */
const PREDEFINED = new Map([
  ["lt", "<"],
  ["gt", ">"],
  ["amp", "&"],
  ["apos", "'"],
  ["quot", '"'],
]);

/** `text` as `{ rootLocalName: content }`; throws XmlError unless it is well-formed XML. */
export function readXml(text: string, lists: ReadonlySet<string> = new Set()): unknown {
  let pos = 0;
  const fail = (why: string): never => {
    throw new XmlError(`${why} (at ${pos})`);
  };
  const at = (token: string) => text.startsWith(token, pos);
  const expect = (token: string) => {
    if (!at(token)) fail(`expected '${token}'`);
    pos += token.length;
  };
  const match = (pattern: RegExp): string => {
    pattern.lastIndex = pos;
    const found = pattern.exec(text)?.[0];
    if (found === undefined) return fail("expected a name");
    pos = pattern.lastIndex;
    return found;
  };
  /** The text up to `end`, and `pos` past it. */
  const until = (end: string, what: string): string => {
    const index = text.indexOf(end, pos);
    if (index < 0) fail(`unclosed ${what}`);
    const body = text.slice(pos, index);
    pos = index + end.length;
    return body;
  };

  /** §2.5 [15]: `--` may not occur inside a comment, nor `-` end it. */
  const comment = () => {
    pos += "<!--".length;
    const body = until("-->", "comment");
    if (body.includes("--") || body.endsWith("-")) fail("'--' in a comment");
  };
  /** §2.6 [16]-[17] skipped; §2.8 [23]: the XML declaration only at the very start. */
  const instruction = () => {
    const start = pos;
    pos += "<?".length;
    if (match(NAME).toLowerCase() === "xml" && start !== 0) fail("misplaced XML declaration");
    until("?>", "processing instruction");
  };
  /** §2.8 [27] Misc*: comments, processing instructions and white space around the root. */
  const misc = () => {
    for (;;) {
      match(SPACE);
      if (at("<!--")) comment();
      else if (at("<?")) instruction();
      else return;
    }
  };
  /** §3.1 [40]-[41], [44]: `<Name (S Name S? = S? AttValue)* S? (> | />)`; values checked, dropped. */
  const attributes = () => {
    const seen = new Set<string>();
    for (;;) {
      const before = pos;
      match(SPACE);
      if (at(">") || at("/>")) return;
      if (pos === before) fail("expected white space before an attribute");
      const name = match(NAME);
      if (seen.has(name)) fail(`attribute ${name} given twice`); // §3.1 WFC: Unique Att Spec
      seen.add(name);
      match(SPACE);
      expect("=");
      match(SPACE);
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") return fail("expected a quoted attribute value");
      pos += 1;
      const value = until(quote, "attribute value");
      if (value.includes("<")) fail("'<' in an attribute value"); // §3.1 WFC: No < in Attribute Values
      decode(value);
    }
  };
  /** §3.1 [39], [43]: one element and its content, as `[localName, content]`. */
  const element = (depth: number): [string, unknown] => {
    if (depth > MAX_XML_DEPTH) fail("elements nested too deeply");
    expect("<");
    const tag = match(NAME);
    const local = tag.slice(tag.indexOf(":") + 1); // Namespaces in XML §4: prefix:local
    attributes();
    if (at("/>")) {
      pos += 2;
      return [local, ""];
    }
    expect(">");
    const children = new Map<string, unknown[]>();
    let chars = "";
    for (;;) {
      const next = text.indexOf("<", pos);
      if (next < 0) fail(`unclosed <${tag}>`);
      const raw = text.slice(pos, next);
      if (raw.includes("]]>")) fail("']]>' in text"); // §2.4 [14]
      chars += decode(raw);
      pos = next;
      if (at("</")) {
        pos += 2;
        if (match(NAME) !== tag) fail(`</…> does not close <${tag}>`); // §3 WFC: Element Type Match
        match(SPACE);
        expect(">");
        break;
      }
      if (at("<![CDATA[")) {
        pos += "<![CDATA[".length;
        chars += until("]]>", "CDATA section"); // §2.7: taken literally
      } else if (at("<!--")) comment();
      else if (at("<?")) instruction();
      else if (at("<!")) fail("declaration inside an element");
      else {
        const [name, content] = element(depth + 1);
        const seen = children.get(name);
        if (seen === undefined) children.set(name, [content]);
        else seen.push(content);
      }
    }
    const trimmed = chars.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (children.size === 0) return [local, trimmed];
    if (trimmed !== "") fail(`text mixed with elements in <${tag}>`); // S3 never sends any
    const entries = [...children].map(([name, all]) => [
      name,
      all.length === 1 && !lists.has(name) ? all[0] : all,
    ]);
    return [local, Object.fromEntries(entries)]; // fromEntries: `__proto__` stays a plain key
  };

  if (text.length > MAX_XML_LENGTH) fail("document too large");
  if (NOT_CHAR.test(text)) fail("a character XML does not allow"); // §2.2
  misc();
  if (at("<!DOCTYPE")) fail("DOCTYPE refused: no DTD is read"); // §2.8 [28]
  const root = element(1);
  misc();
  if (pos !== text.length) fail("content after the root element"); // §2.1 [1]
  return Object.fromEntries([root]);
}

/** Text with §4.1 character references and §4.6 predefined entities decoded; nothing else. */
function decode(raw: string): string {
  return raw.replace(REFERENCE, (whole, ref: string, semicolon: string) => {
    if (semicolon !== ";") throw new XmlError(`'&' that starts no reference: ${whole}`);
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      if (!isXmlChar(code)) throw new XmlError(`reference to a character XML excludes: ${whole}`);
      return String.fromCodePoint(code);
    }
    const text = PREDEFINED.get(ref);
    if (text === undefined) throw new XmlError(`unknown entity ${whole}`); // §4.1 WFC
    return text;
  });
}

/** §2.2 [2] Char: what a character reference may name (§4.1 WFC: Legal Character). */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}
