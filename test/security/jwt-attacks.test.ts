/**
 * RFC 8725 as a checklist: hostile tokens beyond test/auth/verify.test.ts. Every one is a 401
 * problem+json with the Bearer challenge, never a 5xx.
 */
import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { call, expectProblem, mintToken, nowSeconds, seedTenant } from "../helpers";

const GET = { method: "GET", key: "a" };
const enc = (value: unknown) =>
  base64url.encode(typeof value === "string" ? value : JSON.stringify(value));

async function expect401(token: string, bindings?: Record<string, unknown>) {
  const res = await call("/v1/presign", { token, body: GET }, bindings);
  const problem = await expectProblem(res, 401, "invalid_token");
  expect(res.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
  return problem;
}

async function validParts() {
  const { id, key } = await seedTenant();
  const token = await mintToken(key, { iss: id });
  const [header = "", payload = "", signature = ""] = token.split(".");
  return { id, key, token, header, payload, signature };
}

describe("kid injection", () => {
  for (const kid of [
    "../../../etc/passwd",
    "' OR '1'='1",
    "x".repeat(4000),
    "\u0000",
    "../../keys/admin",
  ]) {
    it(`kid ${JSON.stringify(kid.slice(0, 24))} is just an unknown key`, async () => {
      const { id, key } = await seedTenant();
      await expect401(await mintToken(key, { iss: id, header: { kid } }));
    });
  }
});

describe("duplicate JSON member names", () => {
  it("in the claims (a second 'sub' that a last-wins parser would pick)", async () => {
    const { id, key } = await seedTenant();
    const good = await mintToken(key, { iss: id });
    const [header = ""] = good.split(".");
    const now = nowSeconds();
    const claims = `{"iss":"${id}","sub":"alice","aud":"edgesign","iat":${now},"exp":${now + 60},"sub":"admin"}`;
    const problem = await expect401(`${header}.${enc(claims)}.${good.split(".")[2]}`);
    expect(problem.detail).toMatch(/repeats 'sub'/);
  });

  it("in the header (two 'alg')", async () => {
    const { payload, signature } = await validParts();
    const problem = await expect401(
      `${enc('{"alg":"EdDSA","alg":"none"}')}.${payload}.${signature}`,
    );
    expect(problem.detail).toMatch(/repeats 'alg'/);
  });
});

describe("malformed encodings", () => {
  it("bad base64url, padding, standard base64 and non-UTF-8 segments", async () => {
    const { header, payload, signature } = await validParts();
    for (const token of [
      `${header}.${payload}!.${signature}`,
      `${header}=.${payload}.${signature}`,
      `${header}.${payload.replace(/-/g, "+")}+/.${signature}`,
      `${enc("\u00ff\u00fe")}.${payload}.${signature}`,
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.extra`,
      `..`,
    ]) {
      await expect401(token);
    }
  });

  it("header or claims that are JSON but not objects", async () => {
    const { header, payload, signature } = await validParts();
    await expect401(`${enc("[1,2]")}.${payload}.${signature}`);
    await expect401(`${header}.${enc('"claims"')}.${signature}`);
    await expect401(`${header}.${enc("null")}.${signature}`);
  });
});

describe("claims of the wrong type", () => {
  const cases: Record<string, unknown>[] = [
    { iss: 42 },
    { aud: 7 },
    { aud: [1, 2] },
    { exp: "tomorrow" },
    { iat: "now" },
    { nbf: "later" },
    { sub: { id: "alice" } },
    { sub: "" },
    { scope: 5 },
    { prefix: ["a/"] },
  ];
  for (const claims of cases) {
    it(JSON.stringify(claims), async () => {
      const { id, key } = await seedTenant();
      await expect401(await mintToken(key, { iss: id, claims }));
    });
  }
});

describe("oversized tokens", () => {
  it("are refused before any tenant lookup", async () => {
    const { id, key } = await seedTenant();
    const huge = await mintToken(key, { iss: id, claims: { pad: "x".repeat(9000) } });
    const kvThatMustNotBeRead = {
      ...(env as unknown as Record<string, unknown>),
      KV: {
        get: async () => {
          throw new Error("the tenant store was read for an oversized token");
        },
      },
    };
    const problem = await expect401(huge, kvThatMustNotBeRead);
    expect(problem.detail).toMatch(/too large/);
  });
});

describe("signature games", () => {
  it("a signature from another token of the same tenant", async () => {
    const { id, key } = await seedTenant();
    const a = (await mintToken(key, { iss: id, sub: "alice" })).split(".");
    const b = (await mintToken(key, { iss: id, sub: "bob" })).split(".");
    await expect401(`${a[0]}.${a[1]}.${b[2]}`);
  });

  it("an EdDSA header swapped to ES256 over the same bytes", async () => {
    const { payload, signature } = await validParts();
    await expect401(`${enc({ alg: "ES256" })}.${payload}.${signature}`);
  });
});
