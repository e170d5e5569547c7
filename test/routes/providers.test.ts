/**
 * Admin PUT and the provider-wide cells (src/s3/providers.ts): virtual-host style and the longest
 * presigned URL. Every provider has both today, so this pins that the checks refuse nothing a
 * real configuration needs; the refusals themselves are unit-tested in test/s3/providers.test.ts.
 */
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/s3/providers";
import { call, expectProblem, keyPair, newTenantId, tenantRecord } from "../helpers";

async function put(body: Record<string, unknown> & { id: string }) {
  return call(`/admin/tenants/${body.id}`, { method: "PUT", admin: true, body });
}

describe("admin PUT with provider profiles", () => {
  for (const provider of PROVIDERS) {
    it(`stores a '${provider}' bucket with virtual-host style and 7-day URLs`, async () => {
      const id = newTenantId();
      const key = await keyPair("EdDSA");
      const body = tenantRecord(id, [key.publicJwk], { maxExpiresIn: 604_800 });
      body.buckets.main = { ...body.buckets.main, provider } as typeof body.buckets.main;
      const res = await put(body);
      expect(res.status, await res.clone().text()).toBe(200);
      const stored = (await res.json()) as { maxExpiresIn: number; buckets: Record<string, any> };
      expect(stored.maxExpiresIn).toBe(604_800);
      expect(stored.buckets.main).toMatchObject({ provider, style: "virtual" });
    });
  }

  it("still refuses a maxExpiresIn beyond SigV4's 7 days on the field, whatever the provider", async () => {
    const id = newTenantId();
    const key = await keyPair("EdDSA");
    const body = tenantRecord(id, [key.publicJwk], { maxExpiresIn: 604_801 });
    body.buckets.main = { ...body.buckets.main, provider: "r2" } as typeof body.buckets.main;
    const problem = await expectProblem(await put(body), 400, "invalid_request");
    expect(problem.field).toBe("maxExpiresIn");
  });
});
