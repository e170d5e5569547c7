import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { checkSecret, readSecret, RESERVED_NAMES, type Env } from "../src/env";
import { TEST_SECRETS } from "./secrets";

const testEnv = env as Env;

describe("reserved names", () => {
  it("lists every var and binding of the Worker (the test env is built from wrangler.toml)", () => {
    // The test runner adds its own bindings, all named `__VITEST_POOL_WORKERS_*`; a local
    // .dev.vars (npm start writes one) adds its secrets (vitest.config.ts).
    const devVars = new Set(inject("devVarNames"));
    const notSecrets = Object.keys(env).filter(
      (name) =>
        !Object.hasOwn(TEST_SECRETS, name) &&
        !devVars.has(name) &&
        !name.startsWith("__VITEST_POOL_WORKERS_"),
    );
    expect(notSecrets.length).toBeGreaterThan(0);
    expect([...notSecrets].sort()).toEqual(
      RESERVED_NAMES.filter((name) => name !== "ADMIN_TOKEN").sort(),
    );
  });

  it("are never read as a tenant's secret, whatever they hold", () => {
    for (const name of RESERVED_NAMES) expect(readSecret(testEnv, name), name).toBeUndefined();
    expect(readSecret(testEnv, "HMAC_TEST")).toBe(TEST_SECRETS.HMAC_TEST);
  });
});

describe("checkSecret", () => {
  const refusals: [string, string, "credentials" | "hmac", RegExp][] = [
    ["a var", "AUDIENCE", "hmac", /'AUDIENCE' is reserved/],
    ["the admin token", "ADMIN_TOKEN", "hmac", /'ADMIN_TOKEN' is reserved/],
    ["the admin token as credentials", "ADMIN_TOKEN", "credentials", /reserved/],
    ["a binding", "KV", "credentials", /'KV' is reserved/],
    ["an unset secret", "HMAC_NOT_BOUND", "hmac", /'HMAC_NOT_BOUND' is not set/],
    ["a 31-byte HMAC secret", "HMAC_SHORT", "hmac", /shorter than 32 bytes/],
    ["credentials that are not JSON", "S3_BROKEN", "credentials", /not S3 credentials JSON/],
    ["credentials with empty keys", "S3_EMPTY_KEYS", "credentials", /not S3 credentials JSON/],
    ["an HMAC secret used as credentials", "HMAC_TEST", "credentials", /not S3 credentials/],
    ["a prototype member", "constructor", "hmac", /'constructor' is not set/],
  ];
  for (const [what, name, purpose, problem] of refusals) {
    it(`refuses ${what}, naming it without quoting its value`, () => {
      const checked = checkSecret(testEnv, name, purpose);
      expect(checked).toEqual({ ok: false, problem: expect.stringMatching(problem) });
      const value = readSecret(testEnv, name);
      if (value !== undefined && !checked.ok) expect(checked.problem).not.toContain(value);
    });
  }

  it("counts an HMAC secret's UTF-8 bytes, not its characters", () => {
    expect(TEST_SECRETS.HMAC_MULTIBYTE).toHaveLength(16);
    expect(checkSecret(testEnv, "HMAC_MULTIBYTE", "hmac")).toEqual({
      ok: true,
      value: TEST_SECRETS.HMAC_MULTIBYTE,
    });
  });

  it("returns the value of a secret fit for its purpose", () => {
    expect(checkSecret(testEnv, "HMAC_TEST", "hmac")).toEqual({
      ok: true,
      value: TEST_SECRETS.HMAC_TEST,
    });
    expect(checkSecret(testEnv, "S3_TEMP", "credentials")).toEqual({
      ok: true,
      value: { raw: TEST_SECRETS.S3_TEMP, creds: JSON.parse(TEST_SECRETS.S3_TEMP) },
    });
  });
});
