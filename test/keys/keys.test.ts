import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import {
  encodeKeyPath,
  expandSubjectPrefix,
  fullKey,
  keyProblem,
  prefixProblem,
} from "../../src/keys";

const scope = { tenantPrefix: "acme/", subjectPrefix: "users/alice/", tokenPrefix: "" };

describe("keyProblem()", () => {
  const refused: [string, string][] = [
    ["", "empty"],
    ["/leading", "starts with '/'"],
    ["a//b", "empty segment"],
    ["trailing/", "empty segment"],
    [".", "'.' or '..'"],
    ["..", "'.' or '..'"],
    ["a/./b", "'.' or '..'"],
    ["a/../b", "'.' or '..'"],
    ["../escape", "'.' or '..'"],
    ["back\\slash", "backslash"],
    ["..\\..\\x", "backslash"],
    ["nul\u0000", "control character"],
    ["tab\tname", "control character"],
    ["newline\nname", "control character"],
    ["del\u007f", "control character"],
    ["lone\ud800surrogate", "lone surrogate"],
    ["lone\udc00low", "lone surrogate"],
    ["x".repeat(1025), "longer than 1024 bytes"],
    ["é".repeat(513), "longer than 1024 bytes"],
  ];
  for (const [key, why] of refused) {
    it(`refuses ${JSON.stringify(key.length > 40 ? `${key.slice(0, 10)}…(${key.length})` : key)}: ${why}`, () => {
      expect(keyProblem(key)).toContain(why);
    });
  }

  const accepted = [
    "a+b.txt",
    "100%.txt",
    "hash#tag",
    "q?x=1",
    "space name",
    "ünïcødé/ファイル.txt",
    "emoji-😀.bin",
    "...",
    "..a",
    "%2e%2e",
    "x".repeat(1024),
    "é".repeat(512),
  ];
  for (const key of accepted) {
    it(`accepts ${JSON.stringify(key.slice(0, 40))} as an ordinary key`, () => {
      expect(keyProblem(key)).toBeUndefined();
    });
  }
});

describe("fullKey()", () => {
  it("joins tenant, subject and token prefixes with the relative key", () => {
    expect(fullKey({ ...scope, tokenPrefix: "inbox/" }, "a.txt")).toBe(
      "acme/users/alice/inbox/a.txt",
    );
  });

  it("refuses a relative key whose full key would exceed 1024 bytes with 400 invalid_key", () => {
    const key = "x".repeat(1024 - "acme/users/alice/".length + 1);
    expect(() => fullKey(scope, key)).toThrowError(/full key is longer than 1024/);
    expect(fullKey(scope, key.slice(1))).toHaveLength(1024);
  });

  it("throws GatewayError invalid_key naming the field", () => {
    try {
      fullKey(scope, "../x", "requests.0.key");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe("invalid_key");
      expect((error as GatewayError).field).toBe("requests.0.key");
    }
  });
});

describe("expandSubjectPrefix()", () => {
  it("substitutes every {sub}", () => {
    expect(expandSubjectPrefix("users/{sub}/", "alice")).toBe("users/alice/");
  });
  for (const sub of ["a/b", "..", ".", "x\\y", "nl\n", "lone\ud800"]) {
    it(`refuses subject ${JSON.stringify(sub)} with 403`, () => {
      expect(() => expandSubjectPrefix("users/{sub}/", sub)).toThrowError(GatewayError);
      try {
        expandSubjectPrefix("users/{sub}/", sub);
      } catch (error) {
        expect((error as GatewayError).status).toBe(403);
      }
    });
  }
  it("ignores the subject when the prefix has no placeholder", () => {
    expect(expandSubjectPrefix("shared/", "a/b")).toBe("shared/");
  });
});

describe("prefixProblem()", () => {
  it("accepts '' and valid prefixes ending in '/'", () => {
    expect(prefixProblem("")).toBeUndefined();
    expect(prefixProblem("a/b/")).toBeUndefined();
  });
  it("refuses prefixes without the trailing '/' or with bad segments", () => {
    expect(prefixProblem("a")).toContain("end with '/'");
    expect(prefixProblem("../")).toContain("'..'");
    expect(prefixProblem("/")).toContain("empty");
  });
});

describe("encodeKeyPath()", () => {
  const cases: [string, string][] = [
    ["a+b.txt", "a%2Bb.txt"],
    ["space name.txt", "space%20name.txt"],
    ["100%.txt", "100%25.txt"],
    ["hash#tag.txt", "hash%23tag.txt"],
    ["q?x=1", "q%3Fx%3D1"],
    ["a&b=c.txt", "a%26b%3Dc.txt"],
    ["paren(1).txt", "paren%281%29.txt"],
    ["star*'quote'!", "star%2A%27quote%27%21"],
    ["ünï/ファ", "%C3%BCn%C3%AF/%E3%83%95%E3%82%A1"],
    ["emoji-😀.bin", "emoji-%F0%9F%98%80.bin"],
    ["keep-_.~AZaz09", "keep-_.~AZaz09"],
    ["%2e%2e/x", "%252e%252e/x"],
    ["a/b/c", "a/b/c"],
  ];
  for (const [key, encoded] of cases) {
    it(`encodes ${JSON.stringify(key)} as ${encoded}`, () => {
      expect(encodeKeyPath(key)).toBe(encoded);
    });
  }
});
