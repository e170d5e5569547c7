/** One media type, parsed strictly (RFC 9110 §8.3.1), and its normalised spelling. */
import { describe, expect, it } from "vitest";
import { formatMediaType, normaliseMediaType, parseMediaType } from "../../src/http/media-type";

describe("parseMediaType()", () => {
  it("parses type, subtype and parameters, lower-casing the case-insensitive parts", () => {
    expect(parseMediaType("image/png")).toEqual({
      type: "image",
      subtype: "png",
      parameters: [],
    });
    expect(parseMediaType('Multipart/Form-Data; Boundary="AbC d"; charset=UTF-8')).toEqual({
      type: "multipart",
      subtype: "form-data",
      parameters: [
        { name: "boundary", value: "AbC d" },
        { name: "charset", value: "UTF-8" },
      ],
    });
  });

  it("takes every tchar (RFC 9110 §5.6.2) and optional whitespace around ';'", () => {
    expect(parseMediaType("application/vnd.a+b!#$%&'*^_`|~-1.x")?.subtype).toBe(
      "vnd.a+b!#$%&'*^_`|~-1.x",
    );
    expect(parseMediaType("text/plain ;\tcharset=utf-8")?.parameters).toEqual([
      { name: "charset", value: "utf-8" },
    ]);
    expect(parseMediaType("text/plain;charset=utf-8")?.parameters).toHaveLength(1);
  });

  it("unquotes quoted strings, resolving quoted-pairs (RFC 9110 §5.6.4)", () => {
    expect(parseMediaType('text/plain; a="x\\"y\\\\z"; b=""; c="; ,/"')?.parameters).toEqual([
      { name: "a", value: 'x"y\\z' },
      { name: "b", value: "" },
      { name: "c", value: "; ,/" },
    ]);
  });

  it.each([
    ["a list with a comma", "image/png, text/html"],
    ["a list hidden in a parameter", "image/png;,text/html"],
    ["a second '/'", "image/png/x"],
    ["a type alone", "image"],
    ["an empty subtype", "image/"],
    ["an empty type", "/png"],
    ["empty", ""],
    ["leading whitespace", " image/png"],
    ["trailing whitespace", "image/png "],
    ["whitespace around '/'", "image / png"],
    ["an empty parameter", "text/plain;;charset=utf-8"],
    ["a trailing ';'", "text/plain;"],
    ["a parameter without a value", "text/plain; charset"],
    ["a parameter with an empty value", "text/plain; charset="],
    ["whitespace before '='", "text/plain; charset =utf-8"],
    ["whitespace after '='", "text/plain; charset= utf-8"],
    ["a parameter without a name", "text/plain; =utf-8"],
    ["text after a quoted value", 'text/plain; a="x"y'],
    ["an unterminated quoted string", 'text/plain; a="x'],
    ["a lone backslash closing a quoted string", 'text/plain; a="x\\"'],
    ["a quote inside a token", 'text/plain; a=x"y"'],
    ["a repeated parameter name", "text/plain; charset=a; Charset=b"],
    ["non-ASCII in the subtype", "image/pngé"],
    ["non-ASCII in a quoted string (obs-text)", 'text/plain; a="é"'],
    ["CR LF", "text/plain\r\nx-injected: 1"],
    ["LF in a quoted string", 'text/plain; a="x\ny"'],
    ["NUL", "text/plain\u0000"],
    ["a separator in the type", "te(x)t/plain"],
  ])("refuses %s", (_why, value) => {
    expect(parseMediaType(value)).toBeUndefined();
  });
});

describe("normaliseMediaType()", () => {
  it("lower-cases type, subtype and names, keeps values, and spells each parameter one way", () => {
    expect(normaliseMediaType('Text/Plain;Charset="UTF-8"')).toBe("text/plain; charset=UTF-8");
    expect(normaliseMediaType('multipart/mixed;  boundary="a b"')).toBe(
      'multipart/mixed; boundary="a b"',
    );
    expect(normaliseMediaType('text/plain; a="q\\"\\\\"; b=""; c="\\x"')).toBe(
      'text/plain; a="q\\"\\\\"; b=""; c=x',
    );
    expect(normaliseMediaType("IMAGE/PNG")).toBe("image/png");
    expect(normaliseMediaType("image/png, text/html")).toBeUndefined();
  });

  it("is idempotent: a normalised value parses to itself", () => {
    for (const value of ['Text/Plain;Charset="UTF-8"', 'a/b; x="; \\"y"; z=w', "A/B"]) {
      const once = normaliseMediaType(value) ?? "";
      const parsed = parseMediaType(once);
      expect(parsed).toBeDefined();
      expect(formatMediaType(parsed!)).toBe(once);
    }
  });
});
