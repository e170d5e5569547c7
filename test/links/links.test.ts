import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { attachmentDisposition } from "../../src/http/content-disposition";
import { newLinkCode } from "../../src/links/service";
import { TEST_SECRETS } from "../secrets";
import { verifyPresignedUrl } from "../sigv4-verifier";
import {
  call,
  expectProblem,
  keyPair,
  mintToken,
  newTenantId,
  putTenant,
  seedTenant,
  tenantRecord,
} from "../helpers";

const SECRET = JSON.parse(TEST_SECRETS.S3_TEST).secretAccessKey as string;
const bindings = env as unknown as Record<string, unknown>;

async function owner(overrides: Record<string, unknown> = {}) {
  const { id, key } = await seedTenant(overrides);
  return { id, key, token: await mintToken(key, { iss: id }) };
}

async function createLink(token: string, body: Record<string, unknown>) {
  const res = await call("/v1/links", { token, body: { ttl: 3600, ...body } });
  const json = (await res.clone().json()) as { code: string; url: string; expiresAt: string };
  return { res, json };
}

async function resolve(code: string, method = "GET", bindingsOverride = bindings) {
  return call(`/l/${code}`, { method }, bindingsOverride);
}

/** A 404 for a link, with the body every refused link shares (requestId aside). */
async function expectGone(res: Response) {
  const problem = await expectProblem(res, 404, "not_found");
  const { requestId: _id, ...rest } = problem;
  expect(rest).toEqual({
    type: "urn:edgesign:problem:not_found",
    title: "Not found",
    status: 404,
    detail: "no such link",
    code: "not_found",
  });
}

afterEach(() => vi.useRealTimers());

describe("POST /v1/links", () => {
  it("creates a 128-bit code and a gateway URL, 201", async () => {
    const { token } = await owner();
    const before = Date.now();
    const { res, json } = await createLink(token, { key: "docs/a.pdf", ttl: 86400 });
    expect(res.status).toBe(201);
    expect(json.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(json.url).toBe(`https://gateway.test/l/${json.code}`);
    expect(Date.parse(json.expiresAt) - before).toBeGreaterThan(86_399_000);
    expect(Date.parse(json.expiresAt) - before).toBeLessThanOrEqual(86_401_000);
  });

  it("uses the key rules and grants of a presign", async () => {
    const { token } = await owner();
    await expectProblem((await createLink(token, { key: "../x" })).res, 400, "invalid_key");
    await expectProblem((await createLink(token, { key: "" })).res, 400, "invalid_key");
    const problem = await expectProblem(
      (await createLink(token, { key: "a", bucket: "nope" })).res,
      403,
      "forbidden",
    );
    expect(problem.field).toBe("bucket");
    const { id, key } = await seedTenant({ operations: ["get", "put"] });
    const noLink = await mintToken(key, { iss: id });
    await expectProblem((await createLink(noLink, { key: "a" })).res, 403, "forbidden");
  });

  it("validates ttl, urlExpiresIn, filename and exactUses, naming the field", async () => {
    const { token } = await owner();
    const cases: [Record<string, unknown>, string][] = [
      [{ key: "a", ttl: 59 }, "ttl"],
      [{ key: "a", ttl: undefined }, "ttl"],
      [{ key: "a", urlExpiresIn: 7200 }, "urlExpiresIn"],
      [{ key: "a", filename: "../x" }, "filename"],
      [{ key: "a", filename: "a\nb" }, "filename"],
      [{ key: "a", exactUses: true }, "exactUses"],
      [{ key: "a", maxUses: 0 }, "maxUses"],
    ];
    for (const [body, field] of cases) {
      const res = await call("/v1/links", { token, body: { ttl: 3600, ...body } });
      expect((await expectProblem(res, 400, "invalid_request")).field).toBe(field);
    }
  });

  it("gives distinct unguessable codes", () => {
    const codes = new Set(Array.from({ length: 1000 }, newLinkCode));
    expect(codes.size).toBe(1000);
    for (const code of codes) expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("reports a failed KV write as 503 and creates nothing", async () => {
    const { token } = await owner();
    const kv = env.KV;
    const broken = {
      ...bindings,
      KV: {
        get: kv.get.bind(kv),
        list: kv.list.bind(kv),
        put: async () => {
          throw new Error("KV down (injected)");
        },
      },
    };
    const res = await call("/v1/links", { token, body: { key: "a", ttl: 3600 } }, broken);
    await expectProblem(res, 503, "unavailable");
  });
});

describe("GET /l/:code", () => {
  it("redirects (302, no-store, no-referrer) to a fresh presigned GET that lives urlExpiresIn", async () => {
    const { id, token } = await owner();
    const { json } = await createLink(token, { key: "docs/a b.pdf", urlExpiresIn: 120 });
    const res = await resolve(json.code);
    expect(res.status).toBe(302);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    const location = res.headers.get("Location") as string;
    const verified = await verifyPresignedUrl(location, "GET", {
      secretAccessKey: SECRET,
      style: "virtual",
    });
    expect(verified.valid).toBe(true);
    expect(verified.key).toBe(`${id}/users/alice/docs/a b.pdf`);
    expect(verified.params.get("X-Amz-Expires")).toBe("120");
  });

  it("presigns anew on every visit", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { token } = await owner();
    const { json } = await createLink(token, { key: "a.txt" });
    const first = (await resolve(json.code)).headers.get("Location") as string;
    vi.setSystemTime(Date.now() + 5000);
    const second = (await resolve(json.code)).headers.get("Location") as string;
    expect(new URL(first).searchParams.get("X-Amz-Date")).not.toBe(
      new URL(second).searchParams.get("X-Amz-Date"),
    );
  });

  it("answers HEAD with a HEAD-signed URL and does not count it as a use", async () => {
    const { token } = await owner();
    const { json } = await createLink(token, { key: "a.txt", maxUses: 1 });
    const head = await resolve(json.code, "HEAD");
    expect(head.status).toBe(302);
    const verified = await verifyPresignedUrl(head.headers.get("Location") as string, "HEAD", {
      secretAccessKey: SECRET,
      style: "virtual",
    });
    expect(verified.valid).toBe(true);
    expect((await resolve(json.code)).status).toBe(302);
    await expectGone(await resolve(json.code));
  });

  it("signs the filename as an RFC 6266 response-content-disposition", async () => {
    const { token } = await owner();
    const filename = 'Quarterly "final" résumé 😀.pdf';
    const { json } = await createLink(token, { key: "a.pdf", filename });
    const location = (await resolve(json.code)).headers.get("Location") as string;
    const verified = await verifyPresignedUrl(location, "GET", {
      secretAccessKey: SECRET,
      style: "virtual",
    });
    expect(verified.valid).toBe(true);
    expect(verified.params.get("response-content-disposition")).toBe(
      attachmentDisposition(filename),
    );
  });

  it("gives the same 404 for unknown, malformed, expired, used-up, deleted and revoked links", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { id, token } = await owner();
    await expectGone(await resolve(newLinkCode()));
    await expectGone(await resolve("not-a-code"));

    const used = (await createLink(token, { key: "a", maxUses: 2 })).json.code;
    expect((await resolve(used)).status).toBe(302);
    expect((await resolve(used)).status).toBe(302);
    await expectGone(await resolve(used));

    const deleted = (await createLink(token, { key: "a" })).json.code;
    expect((await call(`/v1/links/${deleted}`, { method: "DELETE", token })).status).toBe(204);
    await expectGone(await resolve(deleted));

    const expiring = (await createLink(token, { key: "a", ttl: 60 })).json.code;
    expect((await resolve(expiring)).status).toBe(302);
    vi.setSystemTime(Date.now() + 61_000);
    await expectGone(await resolve(expiring));

    const revoked = (
      await createLink(await mintToken(await keyPair("EdDSA"), { iss: id }), { key: "a" })
    ).json.code;
    expect((await resolve(revoked)).status).toBe(302);
    vi.setSystemTime(Date.now() + 2000);
    expect(
      (await call(`/admin/tenants/${id}/revoke`, { method: "POST", admin: true })).status,
    ).toBe(200);
    await expectGone(await resolve(revoked));
  });

  it("stops the links of a disabled tenant", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const record = tenantRecord(id, [key.publicJwk]);
    await putTenant(record);
    const code = (await createLink(await mintToken(key, { iss: id }), { key: "a" })).json.code;
    expect((await resolve(code)).status).toBe(302);
    await putTenant({ ...record, disabled: true });
    await expectGone(await resolve(code));
  });

  it("counts resolves against the link owner's rate limits", async () => {
    const { token } = await owner({ rateLimit: { subject: { limit: 3, period: 3600 } } });
    const { json } = await createLink(token, { key: "a" }); // creating costs 1
    expect((await resolve(json.code)).status).toBe(302);
    const second = await resolve(json.code);
    expect(second.status).toBe(302);
    expect(second.headers.get("RateLimit")).toMatch(/^"subject";r=0;/);
    await expectProblem(await resolve(json.code), 429, "rate_limited");
  });

  it("exactUses counts in a Durable Object: 5 of 30 concurrent visits get through", async () => {
    const { token } = await owner();
    const { json } = await createLink(token, { key: "a", maxUses: 5, exactUses: true });
    const statuses = (await Promise.all(Array.from({ length: 30 }, () => resolve(json.code)))).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 302)).toHaveLength(5);
    expect(statuses.filter((s) => s === 404)).toHaveLength(25);
    const info = await call(`/v1/links/${json.code}`, { token });
    expect(((await info.json()) as { uses: number }).uses).toBe(5);
  });
});

describe("owner-only link management", () => {
  it("GET shows metadata and use count, never a signature", async () => {
    const { id, token } = await owner();
    const { json } = await createLink(token, { key: "m.txt", maxUses: 10, filename: "m.txt" });
    await resolve(json.code);
    const res = await call(`/v1/links/${json.code}`, { token });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toMatch(/X-Amz-Signature|Credential/i);
    expect(JSON.parse(text)).toMatchObject({
      code: json.code,
      key: `${id}/users/alice/m.txt`,
      bucket: "main",
      sub: "alice",
      maxUses: 10,
      uses: 1,
      exactUses: false,
      filename: "m.txt",
      urlExpiresIn: 60,
    });
  });

  it("another tenant gets 404 for GET and DELETE, and the link keeps working", async () => {
    const a = await owner();
    const b = await owner();
    const { json } = await createLink(a.token, { key: "a" });
    await expectGone(await call(`/v1/links/${json.code}`, { token: b.token }));
    await expectGone(await call(`/v1/links/${json.code}`, { method: "DELETE", token: b.token }));
    expect((await resolve(json.code)).status).toBe(302);
  });

  it("needs a valid token", async () => {
    await expectProblem(await call(`/v1/links/${newLinkCode()}`), 401, "invalid_token");
  });
});
