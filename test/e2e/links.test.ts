/** Short links against the real gateway and radosgw: the redirect target really downloads. */
import { beforeAll, describe, expect, it } from "vitest";
import { createTenant, GATEWAY_URL, presign, RUN, S3, s3Request, type TestTenant } from "./support";

let tenant: TestTenant;
let token: string;

beforeAll(async () => {
  tenant = await createTenant(`e2e-links-${RUN}`, S3.bucket);
  token = await tenant.token();
});

async function upload(key: string, body: Buffer) {
  const signed = await presign(token, { method: "PUT", key, contentLength: body.length });
  const res = await s3Request(signed.url, { method: "PUT", headers: signed.headers, body });
  expect(res.status).toBe(200);
}

async function createLink(body: Record<string, unknown>) {
  const res = await fetch(`${GATEWAY_URL}/v1/links`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ ttl: 3600, ...body }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { code: string; url: string };
}

const follow = (url: string) => fetch(url, { redirect: "manual" });

describe("short links end to end", () => {
  it("create → resolve → the Location URL downloads the object from radosgw", async () => {
    const body = Buffer.from(`linked bytes ${RUN}`);
    await upload("shared/report.txt", body);
    const link = await createLink({ key: "shared/report.txt" });
    expect(link.url).toBe(`${GATEWAY_URL}/l/${link.code}`);
    const res = await follow(link.url);
    expect(res.status).toBe(302);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const download = await s3Request(res.headers.get("location") as string);
    expect(download.status).toBe(200);
    expect(download.body.equals(body)).toBe(true);
  });

  it("a filename with quotes and unicode comes back in the download's Content-Disposition", async () => {
    await upload("shared/q.bin", Buffer.from("q"));
    const filename = 'Rapport "final" — résumé 😀.txt';
    const link = await createLink({ key: "shared/q.bin", filename });
    const download = await s3Request((await follow(link.url)).headers.get("location") as string);
    expect(download.status).toBe(200);
    const disposition = String(download.headers["content-disposition"]);
    const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1] ?? "";
    expect(decodeURIComponent(encoded)).toBe(filename);
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+"/);
  });

  it("`filename` on a presigned GET downloads with the same Content-Disposition as a link's", async () => {
    await upload("shared/named.bin", Buffer.from("n"));
    const filename = "Rapport — résumé (v2).txt";
    const link = await createLink({ key: "shared/named.bin", filename });
    const viaLink = await s3Request((await follow(link.url)).headers.get("location") as string);
    const signed = await presign(token, { method: "GET", key: "shared/named.bin", filename });
    const viaPresign = await s3Request(signed.url);
    expect(viaPresign.status).toBe(200);
    expect(viaPresign.headers["content-disposition"]).toBe(viaLink.headers["content-disposition"]);
    expect(String(viaPresign.headers["content-disposition"])).toMatch(/^attachment; filename=/);
  });

  it("a deleted link stops at once with the same 404 as an unknown one", async () => {
    await upload("shared/gone.txt", Buffer.from("x"));
    const link = await createLink({ key: "shared/gone.txt" });
    const del = await fetch(`${GATEWAY_URL}/v1/links/${link.code}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(del.status).toBe(204);
    const gone = await follow(link.url);
    const unknown = await follow(`${GATEWAY_URL}/l/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(gone.status).toBe(404);
    expect(unknown.status).toBe(404);
    const strip = async (res: Response) => {
      const { requestId: _r, ...rest } = (await res.json()) as Record<string, unknown>;
      return rest;
    };
    expect(await strip(gone)).toEqual(await strip(unknown));
  });
});
