/** Content-Disposition values (RFC 6266): checking a client's, and making a download's. */
import { describe, expect, it } from "vitest";
import { attachmentDisposition, parseContentDisposition } from "../../src/http/content-disposition";

describe("parseContentDisposition()", () => {
  it.each([
    "inline",
    "attachment",
    "Attachment",
    'attachment; filename="cat.jpg"',
    "attachment; filename=cat.jpg",
    `attachment; filename="report (final).txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt`,
    "attachment; filename*=utf-8'en'a%20b.txt",
    "inline;filename=a.txt",
    "x-custom; foo=bar",
  ])("takes %s", (value) => {
    expect(parseContentDisposition(value)).toBeDefined();
  });

  it("lower-cases the disposition type and keeps the parameters", () => {
    expect(parseContentDisposition('Attachment; filename="a b.txt"')).toEqual({
      type: "attachment",
      parameters: [{ name: "filename", value: "a b.txt", quoted: true }],
    });
  });

  it.each([
    ["empty", ""],
    ["a parameter alone", 'filename="a"'],
    ["a list", 'attachment; filename="a", inline'],
    ["a repeated parameter (RFC 6266 §4.1)", "attachment; filename=a; FILENAME=b"],
    ["an unterminated quoted string", 'attachment; filename="a'],
    ["non-ASCII in a quoted filename", 'attachment; filename="résumé.pdf"'],
    ["CR LF", 'attachment; filename="a"\r\nSet-Cookie: x=1'],
    ["a quoted ext-value (RFC 8187)", `attachment; filename*="UTF-8''a.txt"`],
    ["an ext-value without a charset", "attachment; filename*=''a.txt"],
    ["an ext-value in another charset", "attachment; filename*=ISO-8859-1''a%E9.txt"],
    ["a bad percent-escape", "attachment; filename*=UTF-8''a%zz.txt"],
    ["percent-escapes that are not UTF-8", "attachment; filename*=UTF-8''a%C3.txt"],
    ["an empty parameter", "attachment;; filename=a"],
    ["a trailing ';'", "attachment;"],
  ])("refuses %s", (_why, value) => {
    expect(parseContentDisposition(value)).toBeUndefined();
  });

  it("takes every disposition attachmentDisposition() makes", () => {
    for (const name of ["report.pdf", 'a "b".txt', "résumé.pdf", "100%.txt", "emoji 😀.png"]) {
      expect(parseContentDisposition(attachmentDisposition(name))?.type).toBe("attachment");
    }
  });
});

describe("attachmentDisposition()", () => {
  it("keeps plain ASCII names as a quoted filename", () => {
    expect(attachmentDisposition("report.pdf")).toBe('attachment; filename="report.pdf"');
  });
  it("adds filename* (RFC 8187) for quotes, percent signs and non-ASCII, with an ASCII fallback", () => {
    expect(attachmentDisposition('a "b".txt')).toBe(
      `attachment; filename="a _b_.txt"; filename*=UTF-8''a%20%22b%22.txt`,
    );
    expect(attachmentDisposition("résumé.pdf")).toBe(
      `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
    );
    expect(attachmentDisposition("100%.txt")).toBe(
      `attachment; filename="100_.txt"; filename*=UTF-8''100%25.txt`,
    );
  });
});
