/**
 * Tenant isolation on every client route: tenant A's token against tenant B's keys, buckets and
 * links; the admin API without or with a wrong token.
 */
import { describe, expect, it } from "vitest";
import { app } from "../../src/cold";
import { ADMIN_UI_PATH } from "../../src/routes/admin-ui";
import { TEST_SECRETS } from "../secrets";
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

async function twoTenants() {
  const a = await seedTenant();
  const bId = newTenantId();
  const bKey = await keyPair("EdDSA", "tenant-b");
  await putTenant(tenantRecord(bId, [bKey.publicJwk]));
  const b = { id: bId, key: bKey };
  return {
    a: { ...a, token: await mintToken(a.key, { iss: a.id }) },
    b: { ...b, token: await mintToken(b.key, { iss: b.id }) },
  };
}

describe("tenant A against tenant B", () => {
  it("presign and batch: B's prefix is unreachable, B's bucket alias names A's own bucket", async () => {
    const { a, b } = await twoTenants();
    const attempts = [
      `../../${b.id}/users/alice/x`,
      `/${b.id}/x`,
      `..\\${b.id}\\x`,
      `%2e%2e/${b.id}/x`,
    ];
    for (const key of attempts) {
      const res = await call("/v1/presign", { token: a.token, body: { method: "GET", key } });
      if (res.status === 200) {
        const json = (await res.json()) as { key: string; url: string };
        expect(json.key.startsWith(`${a.id}/users/alice/`)).toBe(true);
        expect(json.url).toContain(`${a.id}-data`);
      } else {
        expect(res.status).toBe(400);
      }
    }
    const batch = await call("/v1/presign/batch", {
      token: a.token,
      body: { requests: attempts.map((key) => ({ method: "PUT", key })) },
    });
    const { results } = (await batch.json()) as { results: { ok: boolean; key?: string }[] };
    for (const item of results) if (item.ok) expect(item.key?.startsWith(`${a.id}/`)).toBe(true);
  });

  it("links: B cannot read or delete A's link; B's token never resolves to A's objects", async () => {
    const { a, b } = await twoTenants();
    const created = await call("/v1/links", {
      token: a.token,
      body: { key: "secret.pdf", ttl: 3600 },
    });
    const { code } = (await created.json()) as { code: string };
    await expectProblem(await call(`/v1/links/${code}`, { token: b.token }), 404, "not_found");
    await expectProblem(
      await call(`/v1/links/${code}`, { method: "DELETE", token: b.token }),
      404,
      "not_found",
    );
    expect((await call(`/l/${code}`)).status).toBe(302);
  });

  it("a token whose iss is B but signed by A's key is refused", async () => {
    const { a, b } = await twoTenants();
    const forged = await mintToken(a.key, { iss: b.id });
    await expectProblem(
      await call("/v1/presign", { token: forged, body: { method: "GET", key: "a" } }),
      401,
      "invalid_token",
    );
  });
});

describe("admin API", () => {
  // The operator page's static files are the only /admin/* paths without the guard
  // (test/routes/admin-ui.test.ts proves they open nothing else).
  const routes = app.routes.filter(
    (route) =>
      route.path.startsWith("/admin/") && route.method !== "ALL" && !ADMIN_UI_PATH.test(route.path),
  );

  it("every admin route answers 401 without a token, with a client JWT and with a wrong token", async () => {
    expect(routes.length).toBeGreaterThanOrEqual(4);
    const { a } = await twoTenants();
    for (const route of routes) {
      const path = route.path.replace(":id", a.id);
      for (const auth of [
        {},
        { token: a.token },
        { admin: `${TEST_SECRETS.ADMIN_TOKEN}x` },
        { admin: TEST_SECRETS.ADMIN_TOKEN.toUpperCase() },
      ]) {
        const res = await call(path, { method: route.method, ...auth });
        await expectProblem(res, 401, "unauthorized");
      }
    }
  });
});
