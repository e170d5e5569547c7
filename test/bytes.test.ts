import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64UrlText, fromBase64Url, hex, sha256Hex } from "../src/bytes";

describe("bytes", () => {
  it("writes every byte as two lower-case hex digits", () => {
    const bytes = Uint8Array.of(0x00, 0x01, 0x0f, 0xab, 0xff);
    expect(hex(bytes)).toBe("00010fabff");
    expect(hex(bytes.buffer)).toBe("00010fabff");
  });

  it("hexes only the bytes a view covers", () => {
    expect(hex(Uint8Array.of(1, 2, 3, 4).subarray(1, 3))).toBe("0203");
  });

  it("hashes UTF-8 text with SHA-256 (FIPS 180-2 'abc' and an empty string)", async () => {
    expect(await sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(await sha256Hex("")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("decodes unpadded base64url and refuses the standard alphabet and padding", () => {
    expect([...fromBase64Url("-_8")]).toEqual([0xfb, 0xff]);
    expect(() => fromBase64Url("+/8")).toThrow(TypeError);
    expect(() => fromBase64Url("AA==")).toThrow(TypeError);
  });

  it("decodes base64url to text as fromBase64Url and a fatal UTF-8 decoder do, ASCII or not", () => {
    const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
    const reference = (segment: string) => {
      try {
        return strict.decode(fromBase64Url(segment));
      } catch {
        return "refused";
      }
    };
    const ours = (segment: string) => {
      try {
        return base64UrlText(segment);
      } catch {
        return "refused";
      }
    };
    const encode = (bytes: Uint8Array) =>
      btoa(String.fromCharCode(...bytes))
        .replaceAll("+", "-")
        .replaceAll("/", "_")
        .replaceAll("=", "");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }).map((text) => encode(new TextEncoder().encode(text))),
          fc.uint8Array({ maxLength: 40 }).map(encode),
          fc.string({ unit: fc.constantFrom(..."AZaz09-_+/=.") }),
        ),
        (segment) => {
          expect(ours(segment)).toBe(reference(segment));
        },
      ),
      { numRuns: 2000 },
    );
    expect(base64UrlText("eyJhIjoiw6kifQ")).toBe('{"a":"é"}');
    expect(() => base64UrlText("_w")).toThrow(); // 0xff: not UTF-8
    expect(() => base64UrlText("QUJDR")).toThrow(); // a 1-character tail
  });
});
