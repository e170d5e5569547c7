import { describe, expect, it } from "vitest";
import { MAX_XML_DEPTH, MAX_XML_LENGTH, readXml, XmlError } from "../../src/s3/xml-reader";

/** Nested `<a>` elements, `depth` deep, around `x`. */
function nested(depth: number): string {
  return "<a>".repeat(depth) + "x" + "</a>".repeat(depth);
}

describe("readXml()", () => {
  it("reads elements by local name, repeated names as arrays and listed names always as arrays", () => {
    expect(readXml("<r><a>1</a><b/><a>2</a><c></c></r>")).toEqual({
      r: { a: ["1", "2"], b: "", c: "" },
    });
    expect(readXml("<r><Part>1</Part></r>", new Set(["Part"]))).toEqual({ r: { Part: ["1"] } });
    expect(readXml('<p:r xmlns:p="urn:x"><p:a>1</p:a></p:r>')).toEqual({ r: { a: "1" } });
  });

  it("decodes the five predefined entities and character references, once", () => {
    expect(readXml("<e>&lt;&gt;&amp;&quot;&apos;</e>")).toEqual({ e: `<>&"'` });
    expect(readXml("<e>&#34;&#x22;&#128512;&amp;quot;</e>")).toEqual({ e: '""😀&quot;' });
  });

  it("refuses unknown entities, a bare '&' and references to characters XML excludes", () => {
    for (const text of [
      "<e>&nbsp;</e>",
      "<e>&e;</e>",
      "<e>&constructor;</e>",
      "<e>&__proto__;</e>",
      "<e>&#;</e>",
      "<e>&#X22;</e>", // §4.1 [66]: a lowercase x only
      "<e>a & b</e>",
      "<e>&amp</e>",
      "<e>&#0;</e>",
      "<e>&#xD800;</e>",
      "<e>&#x110000;</e>",
      "<e>&#99999999999999999999;</e>",
    ]) {
      expect(() => readXml(text), text).toThrow(XmlError);
    }
  });

  it("takes CDATA sections literally and joins them to the text around them", () => {
    expect(readXml('<e>"a<![CDATA[<b>&amp;]]>c"</e>')).toEqual({ e: '"a<b>&amp;c"' });
    expect(() => readXml("<e><![CDATA[open</e>")).toThrow(/unclosed CDATA/);
    expect(() => readXml("<e>a]]>b</e>")).toThrow(/']]>'/);
  });

  it("skips comments and processing instructions anywhere, and the XML declaration at the start", () => {
    const text =
      '<?xml version="1.0" encoding="UTF-8"?><!-- a --><?pi x?>\n' +
      "<r><!-- <a>1</a> --><e>ab<!-- - -->cd<?pi?></e></r>\n<!-- after --><?pi?>\n";
    expect(readXml(text)).toEqual({ r: { e: "abcd" } });
    expect(() => readXml("<r><!-- a -- b --></r>")).toThrow(/'--'/);
    expect(() => readXml("<r><!-- a ---></r>")).toThrow(/'--'/);
    expect(() => readXml("<r><!-- open</r>")).toThrow(/unclosed comment/);
    expect(() => readXml(' <?xml version="1.0"?><r/>')).toThrow(/XML declaration/);
    expect(() => readXml('<r><?xml version="1.0"?></r>')).toThrow(/XML declaration/);
  });

  it("refuses any DOCTYPE: internal entities, external entities, entity expansion", () => {
    for (const text of [
      "<!DOCTYPE r><r/>",
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "EXPANDED">]><r>&e;</r>',
      '<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>',
      '<!DOCTYPE r [<!ENTITY x SYSTEM "http://169.254.169.254/">]><r>&x;</r>',
      '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>',
    ]) {
      expect(() => readXml(text), text).toThrow(/DOCTYPE refused/);
    }
    expect(() => readXml("<r><!DOCTYPE r></r>")).toThrow(XmlError);
    expect(() => readXml('<r><!ENTITY e "x"></r>')).toThrow(XmlError);
  });

  it("refuses mismatched, unclosed and stray tags", () => {
    for (const text of [
      "<a><b></a></b>",
      "<a></A>",
      "<a></b>",
      "<p:a></a>",
      "<a>",
      "<a><b></b>",
      "</a>",
      "<a></a",
      "<a",
      "< a></a>",
    ]) {
      expect(() => readXml(text), text).toThrow(XmlError);
    }
    expect(readXml("<a></a \n>")).toEqual({ a: "" });
  });

  it("refuses text or a second element after the root, text before it, and no root at all", () => {
    for (const text of ["<a/>x", "<a/><b/>", "x<a/>", "<a/>&amp;", "", "  ", "<!-- only -->"]) {
      expect(() => readXml(text), JSON.stringify(text)).toThrow(XmlError);
    }
  });

  it("refuses text mixed with elements and characters XML does not allow", () => {
    expect(() => readXml("<r>x<a/></r>")).toThrow(/mixed/);
    expect(() => readXml("<r><a/>x</r>")).toThrow(/mixed/);
    expect(() => readXml("<r>\u0000</r>")).toThrow(XmlError);
    expect(() => readXml("<r>\uFFFF</r>")).toThrow(XmlError);
  });

  it("reads attributes holding '>', quotes and references, and drops them", () => {
    const text = `<a x='say "hi" >' y="it's > &quot;here&quot;" z = "1"><b c="/>">t</b></a>`;
    expect(readXml(text)).toEqual({ a: { b: "t" } });
    expect(readXml('<a x="1"/>')).toEqual({ a: "" });
  });

  it("refuses malformed attributes", () => {
    for (const text of [
      '<a x="1" x="2"/>',
      "<a x=1/>",
      '<a x="<"/>',
      '<a x="&bogus;"/>',
      '<a x="1"y="2"/>',
      '<a x="open/>',
      "<a x/>",
      '<a "x"/>',
    ]) {
      expect(() => readXml(text), text).toThrow(XmlError);
    }
  });

  it("trims white space around text and keeps it inside", () => {
    expect(readXml("<e>\n  \t&quot;a  b&quot;\r\n</e>")).toEqual({ e: '"a  b"' });
    expect(readXml("<r>\n  <a> 1 </a>\n  <b>\n  </b>\n</r>")).toEqual({ r: { a: "1", b: "" } });
  });

  it("keeps element names such as __proto__ as plain keys", () => {
    const read = readXml("<r><__proto__><polluted>1</polluted></__proto__></r>") as {
      r: object;
    };
    expect(Object.getPrototypeOf(read.r)).toBe(Object.prototype);
    expect(Object.keys(read.r)).toEqual(["__proto__"]);
    expect("polluted" in read.r).toBe(false);
  });

  it("reads up to MAX_XML_DEPTH levels and refuses deeper nesting without exhausting the stack", () => {
    expect(JSON.stringify(readXml(nested(MAX_XML_DEPTH)))).toContain('"x"');
    expect(() => readXml(nested(MAX_XML_DEPTH + 1))).toThrow(/nested too deeply/);
    expect(() => readXml(nested(100_000))).toThrow(/nested too deeply/);
  });

  it("reads a document of MAX_XML_LENGTH characters and refuses a longer one", () => {
    const padded = (length: number) => "<a>" + " ".repeat(length - 7) + "</a>";
    expect(readXml(padded(MAX_XML_LENGTH))).toEqual({ a: "" });
    expect(() => readXml(padded(MAX_XML_LENGTH + 1))).toThrow(/too large/);
  });
});
