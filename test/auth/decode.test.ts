/**
 * How a token's header and claims are decoded before verification (src/auth/verify.ts,
 * `decodeToken`; src/bytes.ts, `base64UrlText`): ASCII and other UTF-8 alike, malformed UTF-8
 * refused even where jose would accept it, and a header remembered by its exact segment only.
 */
import { env } from "cloudflare:workers";
import { base64url, CompactSign } from "jose";
import { describe, expect, it } from "vitest";
import { authenticate } from "../../src/auth/verify";
import type { Env } from "../../src/env";
import { call, expectProblem, mintToken, nowSeconds, seedTenant } from "../helpers";

const testEnv = env as unknown as Env;
const GET = { method: "GET", key: "a.txt" };

async function expectInvalidToken(token: string, detail?: RegExp) {
  const res = await call("/v1/presign", { token, body: GET });
  const problem = await expectProblem(res, 401, "invalid_token");
  if (detail !== undefined) expect(problem.detail).toMatch(detail);
}

describe("decoding a token", () => {
  it("reads claims that are UTF-8 beyond ASCII", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, sub: "zoë-😀", claims: { name: "Ĳsselmeer" } });
    const principal = await authenticate(testEnv, `Bearer ${token}`);
    expect(principal.sub).toBe("zoë-😀");
  });

  it("refuses claims that are not UTF-8, even signed (jose alone would read them)", async () => {
    const { id, key } = await seedTenant();
    const now = nowSeconds();
    const claims = `{"iss":"${id}","sub":"al\u0000ice","aud":"edgesign","iat":${now},"exp":${now + 60}}`;
    const bytes = new TextEncoder().encode(claims);
    // The NUL becomes a lone 0xff byte: no UTF-8 sequence starts with it.
    bytes[bytes.indexOf(0)] = 0xff;
    const token = await new CompactSign(bytes)
      .setProtectedHeader({ alg: "EdDSA", kid: key.kid })
      .sign(key.privateKey);
    await expectInvalidToken(token, /claims is not base64url-encoded JSON/);
  });

  it("refuses a header that is not UTF-8", async () => {
    const { id, key } = await seedTenant();
    const [, claims, signature] = (await mintToken(key, { iss: id })).split(".");
    const header = base64url.encode(Uint8Array.of(0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d));
    await expectInvalidToken(`${header}.${claims}.${signature}`, /header is not base64url/);
  });

  it("checks a header that differs from one seen before in any member as new", async () => {
    const { id, key } = await seedTenant();
    const good = await mintToken(key, { iss: id });
    expect((await call("/v1/presign", { token: good, body: GET })).status).toBe(200);
    // Same alg and kid as the accepted header, plus a key-carrying member or a repeated one.
    await expectInvalidToken(
      await mintToken(key, { iss: id, header: { jku: "https://evil.example/k" } }),
      /jku/,
    );
    const [header = "", claims, signature] = good.split(".");
    const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(header))) as {
      kid: string;
    };
    const repeated = base64url.encode(`{"alg":"EdDSA","kid":"${decoded.kid}","alg":"none"}`);
    await expectInvalidToken(`${repeated}.${claims}.${signature}`, /repeats 'alg'/);
    // And the accepted header is still accepted with a new token.
    const again = await mintToken(key, { iss: id, sub: "bob" });
    expect(again.split(".")[0]).toBe(header);
    expect((await call("/v1/presign", { token: again, body: GET })).status).toBe(200);
  });

  it("refuses a refused header again (nothing of a failed decoding is remembered)", async () => {
    const { payload, signature } = await (async () => {
      const { id, key } = await seedTenant();
      const [, p = "", s = ""] = (await mintToken(key, { iss: id })).split(".");
      return { payload: p, signature: s };
    })();
    const header = base64url.encode('{"alg":"EdDSA","alg":"none"}');
    for (let i = 0; i < 2; i++) {
      await expectInvalidToken(`${header}.${payload}.${signature}`, /repeats 'alg'/);
    }
  });
});
