import { describe, expect, it } from "vitest";
import { fromBase64Url, hex, sha256Hex } from "../src/bytes";

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
});
