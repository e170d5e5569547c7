import { base64url, exportSPKI } from "jose";
import { describe, expect, it, vi } from "vitest";
import { TEST_SECRETS } from "../secrets";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  nowSeconds,
  presign,
  putTenant,
  seedTenant,
  tenantRecord,
  type Alg,
} from "../helpers";

const GET = { method: "GET", key: "a.txt" };

async function expectInvalidToken(token: string | undefined, detail?: RegExp) {
  const res = await call("/v1/presign", { ...(token === undefined ? {} : { token }), body: GET });
  const problem = await expectProblem(res, 401, "invalid_token");
  expect(res.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
  if (detail !== undefined) expect(problem.detail).toMatch(detail);
  return problem;
}

function unsignedToken(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const enc = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${enc(header)}.${enc(claims)}.`;
}

describe("valid tokens", () => {
  for (const alg of ["EdDSA", "ES256", "RS256"] as Alg[]) {
    it(`accepts an ${alg} token from the tenant's JWKS`, async () => {
      const id = newTenantId();
      const key = await keyPair(alg);
      await putTenant(tenantRecord(id, [key.publicJwk]));
      const { res, json } = await presign(await mintToken(key, { iss: id }), GET);
      expect(res.status).toBe(200);
      expect(json.key).toBe(`${id}/users/alice/a.txt`);
    });
  }

  it("accepts an HS256 token signed with the tenant's secret binding", async () => {
    const id = newTenantId();
    await putTenant(
      tenantRecord(id, [], {
        auth: { hmacSecret: "HMAC_TEST", algorithms: ["HS256"] },
      }),
    );
    const token = await mintToken({ alg: "HS256", secret: TEST_SECRETS.HMAC_TEST }, { iss: id });
    const { res } = await presign(token, GET);
    expect(res.status).toBe(200);
  });

  it("accepts a token whose aud is an array containing the audience", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, aud: ["other", "edgesign"] });
    expect((await presign(token, GET)).res.status).toBe(200);
  });

  it("tolerates up to 30 s of clock skew on exp", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, iat: nowSeconds() - 320, lifetime: 300 });
    expect((await presign(token, GET)).res.status).toBe(200);
  });

  it("fetches a remote jwksUrl through jose and caches it", async () => {
    const id = newTenantId();
    const key = await keyPair("ES256", "remote");
    await putTenant(
      tenantRecord(id, [], { auth: { jwksUrl: "https://issuer.example/.well-known/jwks.json" } }),
    );
    const fetchMock = vi.fn(async () => Response.json({ keys: [key.publicJwk] }));
    vi.stubGlobal("fetch", fetchMock);
    for (let i = 0; i < 3; i++) {
      const { res } = await presign(await mintToken(key, { iss: id }), GET);
      expect(res.status).toBe(200);
    }
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

describe("refused tokens → 401 invalid_token", () => {
  it("no Authorization header", async () => {
    await expectInvalidToken(undefined, /missing/);
  });

  it("a non-Bearer Authorization header", async () => {
    const res = await call("/v1/presign", { body: GET, headers: { Authorization: "Basic YTpi" } });
    await expectProblem(res, 401, "invalid_token");
  });

  it("garbage instead of a JWT", async () => {
    await expectInvalidToken("not.a.jwt", /not base64url-encoded JSON/);
  });

  it("a header or claims set that is JSON but not an object", async () => {
    const b64url = (text: string) =>
      btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const header = b64url('{"alg":"EdDSA","typ":"JWT"}');
    await expectInvalidToken(`${header}.${b64url('["iss"]')}.c2ln`, /claims is not a JSON object/);
    await expectInvalidToken(
      `${b64url("null")}.${b64url("{}")}.c2ln`,
      /header is not a JSON object/,
    );
  });

  it("base64 that is not base64url (+ and /) in a segment", async () => {
    await expectInvalidToken("eyJh+GciOiJFZERTQSJ9.e30.c2ln", /Authorization header|base64url/);
  });

  it("a token over 8 KiB, before parsing", async () => {
    await expectInvalidToken("a".repeat(8 * 1024 + 1), /too large/);
  });

  it("an expired token (beyond the 30 s tolerance)", async () => {
    const { id, key } = await seedTenant();
    await expectInvalidToken(
      await mintToken(key, { iss: id, iat: nowSeconds() - 340, lifetime: 300 }),
      /exp/,
    );
  });

  it("a token not yet valid (nbf in the future)", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, claims: { nbf: nowSeconds() + 120 } });
    await expectInvalidToken(token, /nbf/);
  });

  it("a token issued in the future", async () => {
    const { id, key } = await seedTenant();
    await expectInvalidToken(await mintToken(key, { iss: id, iat: nowSeconds() + 120 }), /future/);
  });

  it("a token living longer than auth.maxTokenLifetime", async () => {
    const { id, key } = await seedTenant();
    await expectInvalidToken(await mintToken(key, { iss: id, lifetime: 901 }), /longer than 900/);
  });

  it("a token living longer than a tenant's lower maxTokenLifetime", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(
      tenantRecord(id, [key.publicJwk], {
        auth: { jwks: { keys: [key.publicJwk] }, maxTokenLifetime: 60 },
      }),
    );
    await expectInvalidToken(await mintToken(key, { iss: id, lifetime: 61 }), /longer than 60/);
    expect((await presign(await mintToken(key, { iss: id, lifetime: 60 }), GET)).res.status).toBe(
      200,
    );
  });

  it("a wrong audience", async () => {
    const { id, key } = await seedTenant();
    await expectInvalidToken(await mintToken(key, { iss: id, aud: "someone-else" }), /aud/);
  });

  for (const claim of ["iss", "sub", "aud", "exp", "iat"] as const) {
    it(`a token without '${claim}'`, async () => {
      const { id, key } = await seedTenant();
      await expectInvalidToken(await mintToken(key, { iss: id, omit: [claim] }));
    });
  }

  it("a non-string sub", async () => {
    const { id, key } = await seedTenant();
    await expectInvalidToken(await mintToken(key, { iss: id, claims: { sub: 42 } }));
  });

  it("an unknown issuer", async () => {
    const key = await keyPair("EdDSA");
    await expectInvalidToken(await mintToken(key, { iss: "no-such-tenant" }), /unknown/);
  });

  it("a disabled tenant", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(tenantRecord(id, [key.publicJwk], { disabled: true }));
    await expectInvalidToken(await mintToken(key, { iss: id }), /unknown or disabled/);
  });

  it("iss of another tenant signed with this tenant's key", async () => {
    const a = await seedTenant();
    const otherKey = await keyPair("EdDSA", "tenant-b");
    const bId = newTenantId();
    await putTenant(tenantRecord(bId, [otherKey.publicJwk]));
    // Tenant A's key, claiming to be B.
    await expectInvalidToken(await mintToken(a.key, { iss: bId }));
  });

  it("a tampered payload", async () => {
    const { id, key } = await seedTenant();
    const [h, , s] = (await mintToken(key, { iss: id })).split(".");
    const forged = base64url.encode(
      JSON.stringify({
        iss: id,
        sub: "admin",
        aud: "edgesign",
        iat: nowSeconds(),
        exp: nowSeconds() + 60,
      }),
    );
    await expectInvalidToken(`${h}.${forged}.${s}`, /signature/);
  });

  it("a stripped or truncated signature", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id });
    await expectInvalidToken(token.slice(0, token.lastIndexOf(".") + 1));
    await expectInvalidToken(token.slice(0, -4));
  });

  for (const alg of ["none", "None", "NONE", "nOnE"]) {
    it(`alg '${alg}'`, async () => {
      const { id } = await seedTenant();
      const now = nowSeconds();
      const token = unsignedToken(
        { alg },
        { iss: id, sub: "alice", aud: "edgesign", iat: now, exp: now + 60 },
      );
      await expectInvalidToken(token, /algorithm/);
    });
  }

  it("HS256 signed with the tenant's RSA public key (algorithm confusion)", async () => {
    const id = newTenantId();
    const rsa = await keyPair("RS256");
    await putTenant(
      tenantRecord(id, [rsa.publicJwk], {
        auth: {
          jwks: { keys: [rsa.publicJwk] },
          hmacSecret: "HMAC_TEST",
          algorithms: ["RS256", "HS256"],
        },
      }),
    );
    const { importJWK } = await import("jose");
    const publicKey = await importJWK(rsa.publicJwk, "RS256", { extractable: true });
    const pem = await exportSPKI(publicKey as CryptoKey);
    for (const secret of [pem, JSON.stringify(rsa.publicJwk)]) {
      await expectInvalidToken(await mintToken({ alg: "HS256", secret }, { iss: id }), /signature/);
    }
  });

  it("HS256 when the tenant does not allow it", async () => {
    const { id } = await seedTenant();
    const token = await mintToken({ alg: "HS256", secret: TEST_SECRETS.HMAC_TEST }, { iss: id });
    await expectInvalidToken(token, /algorithm is not allowed/);
  });

  it("an allowed algorithm family but an algorithm the tenant does not list", async () => {
    const id = newTenantId();
    const key = await keyPair("ES256");
    await putTenant(
      tenantRecord(id, [key.publicJwk], {
        auth: { jwks: { keys: [key.publicJwk] }, algorithms: ["EdDSA"] },
      }),
    );
    await expectInvalidToken(await mintToken(key, { iss: id }), /algorithm is not allowed/);
  });

  for (const header of ["jku", "x5u", "jwk", "x5c"]) {
    it(`a '${header}' header`, async () => {
      const { id, key } = await seedTenant();
      const value =
        header === "jwk" ? key.publicJwk : header === "x5c" ? ["MIIB"] : "https://evil.example/k";
      await expectInvalidToken(
        await mintToken(key, { iss: id, header: { [header]: value } }),
        new RegExp(header),
      );
    });
  }

  it("an unknown crit header", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, {
      iss: id,
      header: { crit: ["x-unknown"], "x-unknown": 1 },
    });
    await expectInvalidToken(token);
  });

  it("a kid that is not in the JWKS", async () => {
    const { id, key } = await seedTenant();
    await expectInvalidToken(
      await mintToken(key, { iss: id, header: { kid: "../../etc/passwd" } }),
    );
  });

  it("a token issued before the tenant's revokedBefore", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    // One clock reading, so a second that ticks during the test cannot move the boundary.
    const revokedBefore = nowSeconds() - 10;
    await putTenant(
      tenantRecord(id, [key.publicJwk], {
        auth: { jwks: { keys: [key.publicJwk] }, revokedBefore },
      }),
    );
    await expectInvalidToken(await mintToken(key, { iss: id, iat: revokedBefore - 1 }), /revoked/);
    expect(
      (await presign(await mintToken(key, { iss: id, iat: revokedBefore }), GET)).res.status,
    ).toBe(200);
  });

  it("an invalid prefix claim", async () => {
    const { id, key } = await seedTenant();
    for (const prefix of ["../", "no-slash", "/abs/", 7]) {
      await expectInvalidToken(await mintToken(key, { iss: id, claims: { prefix } }), /prefix/);
    }
  });

  it("a non-string scope", async () => {
    const { id, key } = await seedTenant();
    await expectInvalidToken(
      await mintToken(key, { iss: id, claims: { scope: ["get"] } }),
      /scope/,
    );
  });
});

describe("scope and prefix claims only narrow", () => {
  it("scope 'get' allows GET and forbids PUT with 403", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, claims: { scope: "get head" } });
    expect((await presign(token, GET)).res.status).toBe(200);
    const res = await call("/v1/presign", { token, body: { method: "PUT", key: "a.txt" } });
    await expectProblem(res, 403, "forbidden");
  });

  it("scope cannot add an operation the tenant does not grant", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    await putTenant(tenantRecord(id, [key.publicJwk], { operations: ["get"] }));
    const token = await mintToken(key, { iss: id, claims: { scope: "get put delete" } });
    const res = await call("/v1/presign", { token, body: { method: "DELETE", key: "a.txt" } });
    await expectProblem(res, 403, "forbidden");
  });

  it("the prefix claim puts keys below the subject's root plus that prefix", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, claims: { prefix: "inbox/2026/" } });
    const { json } = await presign(token, GET);
    expect(json.key).toBe(`${id}/users/alice/inbox/2026/a.txt`);
  });

  it("a relative key cannot climb out of the prefix", async () => {
    const { id, key } = await seedTenant();
    const token = await mintToken(key, { iss: id, claims: { prefix: "inbox/" } });
    const res = await call("/v1/presign", { token, body: { method: "GET", key: "../outbox/x" } });
    await expectProblem(res, 400, "invalid_key");
  });

  it("a subject that would break the key rules is refused with 403", async () => {
    const { id, key } = await seedTenant();
    for (const sub of ["a/b", "..", "x\\y"]) {
      const res = await call("/v1/presign", {
        token: await mintToken(key, { iss: id, sub }),
        body: GET,
      });
      await expectProblem(res, 403, "forbidden");
    }
  });
});
