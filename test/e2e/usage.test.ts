/**
 * Usage metering and quotas against a real radosgw (docs/usage.md): a multipart upload that
 * radosgw really completes is counted with its size, a byte quota stops a second one before it
 * is completed (radosgw still holds the parts), and `edgesign usage` prints the counts.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createTenant, GATEWAY_URL, RUN, S3, uploadParts } from "./support";

const MiB = 1024 ** 2;
const CLI = join(import.meta.dirname, "../../cli/edgesign.mjs");

/** Create, sign parts, PUT them to radosgw; returns the upload id and the parts to complete. */
async function uploadInParts(token: string, key: string, parts: Buffer[]) {
  const created = await api(token, "/v1/uploads/multipart", { key });
  expect(created.status, JSON.stringify(created.json)).toBe(200);
  const uploadId = created.json.uploadId as string;
  return { uploadId, etags: await uploadParts(token, key, uploadId, parts) };
}

/** The tenant's usage totals, waiting for the isolate's batch to reach the object (≤ 10 s). */
async function totalsOf(id: string, until: (totals: Record<string, number>) => boolean) {
  let totals: Record<string, number> = {};
  for (let attempt = 0; attempt < 40; attempt++) {
    const res = await fetch(`${GATEWAY_URL}/admin/tenants/${id}/usage`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    totals = ((await res.json()) as { totals: Record<string, number> }).totals;
    if (until(totals)) return totals;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return totals;
}

describe("usage against radosgw", () => {
  it("counts a multipart upload radosgw completed, with its size, and the CLI prints it", async () => {
    const tenant = await createTenant(`e2e-usage-${RUN}`, S3.bucket);
    const token = await tenant.token();
    const key = `usage/six-${RUN}.bin`;
    const parts = [randomBytes(5 * MiB), randomBytes(MiB)];
    const { uploadId, etags } = await uploadInParts(token, key, parts);
    const done = await api(token, "/v1/uploads/multipart/complete", {
      key,
      uploadId,
      parts: etags,
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json.size).toBe(6 * MiB);

    const totals = await totalsOf(tenant.id, (t) => t["uploads.completed"] === 1);
    expect(totals).toEqual({
      "urls.multipart": 2,
      "bytes.multipart": 6 * MiB,
      "uploads.completed": 1,
    });

    const cli = spawnSync(process.execPath, [CLI, "usage", tenant.id, "--csv"], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH ?? "",
        EDGESIGN_GATEWAY: GATEWAY_URL,
        EDGESIGN_ADMIN_TOKEN: ADMIN_TOKEN,
      },
    });
    expect(cli.status, cli.stderr).toBe(0);
    const [header, row] = cli.stdout.trim().split("\r\n");
    expect(header).toBe("start,urls.multipart,bytes.multipart,uploads.completed");
    expect(row).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:00:00\\.000Z,2,${6 * MiB},1$`));
  });

  it("a byte quota refuses the complete that would go over; radosgw keeps the parts", async () => {
    const tenant = await createTenant(`e2e-quota-${RUN}`, S3.bucket, {
      quota: { uploadBytesPerDay: 6 * MiB },
    });
    const token = await tenant.token();
    const first = `usage/q1-${RUN}.bin`;
    const one = await uploadInParts(token, first, [randomBytes(5 * MiB), randomBytes(MiB)]);
    const ok = await api(token, "/v1/uploads/multipart/complete", {
      key: first,
      uploadId: one.uploadId,
      parts: one.etags,
    });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);

    const second = `usage/q2-${RUN}.bin`;
    const two = await uploadInParts(token, second, [randomBytes(MiB)]);
    const refused = await api(token, "/v1/uploads/multipart/complete", {
      key: second,
      uploadId: two.uploadId,
      parts: two.etags,
    });
    expect(refused.status).toBe(429);
    expect(refused.json.code).toBe("quota_exceeded");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Not completed, not aborted: the parts are still listed.
    const listed = await fetch(
      `${GATEWAY_URL}/v1/uploads/multipart/parts?key=${encodeURIComponent(second)}&uploadId=${encodeURIComponent(two.uploadId)}`,
      { headers: { Authorization: `Bearer ${token}` } },
    );
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { parts: unknown[] }).parts).toHaveLength(1);
    await api(token, "/v1/uploads/multipart/abort", { key: second, uploadId: two.uploadId });
  });
});
