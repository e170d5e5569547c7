/**
 * A deleted link stays deleted (issue 18, part 3): no visit may put a record back, whether it
 * races the DELETE or reads a KV replica that has not seen it yet. The interleavings are driven
 * with a KV wrapper the test controls; KV itself is then read directly.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { newLinkCode } from "../../src/links/service";
import { call, expectProblem, mintToken, seedTenant } from "../helpers";

const bindings = env as unknown as Record<string, unknown>;
type KvOp = "get" | "put" | "delete" | "list" | "getWithMetadata";

/** The KV keys an operation touches (a bulk `get` touches several). */
function keysOf(op: KvOp, args: unknown[]): string[] {
  if (op === "list") return [];
  const key = args[0];
  return Array.isArray(key) ? (key as string[]) : [String(key)];
}

/**
 * env.KV behind a hand the test holds: every operation is logged, and `around` may replace an
 * operation (to pause it, fake a stale replica or fail it) by wrapping the real call.
 */
function controlledKv(
  around: (op: KvOp, keys: string[], real: () => Promise<unknown>) => Promise<unknown> = (
    _op,
    _keys,
    real,
  ) => real(),
) {
  const kv = env.KV as unknown as Record<KvOp, (...args: unknown[]) => Promise<unknown>>;
  const ops: { op: KvOp; keys: string[] }[] = [];
  const wrapped = Object.fromEntries(
    (["get", "put", "delete", "list", "getWithMetadata"] as const).map((op) => [
      op,
      (...args: unknown[]) => {
        const keys = keysOf(op, args);
        ops.push({ op, keys });
        return around(op, keys, () => kv[op].apply(env.KV, args));
      },
    ]),
  );
  return { bindings: { ...bindings, KV: wrapped }, ops };
}

/** A promise and the function that settles it. */
function signal() {
  let fire = () => {};
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire };
}

async function owner() {
  const { id, key } = await seedTenant();
  return { id, token: await mintToken(key, { iss: id }) };
}

async function createLink(token: string, body: Record<string, unknown>): Promise<string> {
  const res = await call("/v1/links", { token, body: { key: "a.txt", ttl: 3600, ...body } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { code: string }).code;
}

function resolve(code: string, via = bindings, method = "GET") {
  return call(`/l/${code}`, { method }, via);
}

function deleteLink(code: string, token: string, via = bindings) {
  return call(`/v1/links/${code}`, { method: "DELETE", token }, via);
}

async function expectGone(res: Response) {
  if (res.status === 404 && (await res.clone().text()) === "") {
    expect(res.headers.get("content-type")).toBe("application/problem+json"); // HEAD: no body
    return;
  }
  const problem = await expectProblem(res, 404, "not_found");
  expect(problem.detail).toBe("no such link");
}

/** The raw KV value under `key`, read directly (no wrapper). */
function stored(key: string): Promise<string | null> {
  return env.KV.get(key);
}

const touches = (keys: string[], key: string) => keys.includes(key);

describe("a DELETE that races a visit", () => {
  it("wins: the visit that read the record before the delete does not bring it back", async () => {
    const { token } = await owner();
    for (const body of [{ maxUses: 5 }, {}]) {
      const code = await createLink(token, body);
      const recordRead = signal();
      const deleted = signal();
      // The visit reads the record, then waits (as if slow) until the DELETE has completed.
      const paused = controlledKv(async (op, keys, real) => {
        const result = await real();
        if (op === "get" && touches(keys, `link:${code}`)) {
          recordRead.fire();
          await deleted.fired;
        }
        return result;
      });
      const visit = resolve(code, paused.bindings);
      await recordRead.fired;
      expect((await deleteLink(code, token)).status).toBe(204);
      deleted.fire();
      // It read a live link, so it may be served; what it must not do is undo the delete.
      expect((await visit).status).toBe(302);

      expect(await stored(`link:${code}`)).toBeNull();
      expect(paused.ops.filter((o) => o.op === "put" && touches(o.keys, `link:${code}`))).toEqual(
        [],
      );
      await expectGone(await resolve(code));
      await expectGone(await call(`/v1/links/${code}`, { token }));
    }
  });
});

describe("a visit served by a KV replica that has not seen the delete", () => {
  /** Reads of `link:<code>` answer `old` (the record before the delete); with `tombstoneToo`,
   * reads of the tombstone answer "none" as well. Everything else is the real KV. */
  function staleReplica(code: string, old: string, tombstoneToo: boolean) {
    return controlledKv(async (op, keys, real) => {
      const result = await real();
      if (op !== "get") return result;
      const stale = (key: string, value: unknown) => {
        if (key === `link:${code}`) return old;
        if (tombstoneToo && key === `linkdel:${code}`) return null;
        return value;
      };
      if (result instanceof Map) {
        return new Map([...result].map(([key, value]) => [key, stale(key, value)]));
      }
      return stale(keys[0] as string, result);
    });
  }

  it("is refused once the tombstone is visible, though the record still is", async () => {
    const { token } = await owner();
    const code = await createLink(token, { maxUses: 5 });
    const old = (await stored(`link:${code}`)) as string;
    expect((await deleteLink(code, token)).status).toBe(204);
    const replica = staleReplica(code, old, false);
    await expectGone(await resolve(code, replica.bindings));
    await expectGone(await resolve(code, replica.bindings, "HEAD"));
    await expectGone(await call(`/v1/links/${code}`, { token }, replica.bindings));
    await expectGone(await deleteLink(code, token, replica.bindings));
    expect(await stored(`link:${code}`)).toBeNull();
  });

  it("writes nothing that resurrects the record when the tombstone has not arrived either", async () => {
    const { token } = await owner();
    const code = await createLink(token, { maxUses: 5 });
    const old = (await stored(`link:${code}`)) as string;
    expect((await deleteLink(code, token)).status).toBe(204);
    const replica = staleReplica(code, old, true);
    // Within KV's propagation delay such a replica still serves the link (README)...
    expect((await resolve(code, replica.bindings)).status).toBe(302);
    // ...but only its own counter was written, and once the replica catches up it is gone.
    const writes = replica.ops.filter((o) => o.op === "put" || o.op === "delete");
    expect(writes.flatMap((o) => o.keys)).toEqual([`linkuses:${code}`]);
    expect(await stored(`link:${code}`)).toBeNull();
    await expectGone(await resolve(code));
  });
});

describe("link records are write-once", () => {
  it("visits leave the record as created and count uses under linkuses:<code>, expiring with the link", async () => {
    const { token } = await owner();
    const code = await createLink(token, { maxUses: 3 });
    const created = await stored(`link:${code}`);
    const counted = controlledKv();
    expect((await resolve(code, counted.bindings)).status).toBe(302);
    // A counted visit: record and tombstone in one bulk read, then the counter read and written.
    expect(counted.ops.filter((o) => o.keys.some((k) => k.startsWith("link")))).toEqual([
      { op: "get", keys: [`link:${code}`, `linkdel:${code}`] },
      { op: "get", keys: [`linkuses:${code}`] },
      { op: "put", keys: [`linkuses:${code}`] },
    ]);
    expect((await resolve(code)).status).toBe(302);
    expect(await stored(`link:${code}`)).toBe(created);
    expect(await stored(`linkuses:${code}`)).toBe("2");
    const info = await call(`/v1/links/${code}`, { token });
    expect(((await info.json()) as { uses: number }).uses).toBe(2);

    const expirations = async (prefix: string) =>
      (await env.KV.list({ prefix })).keys.map((k) => k.expiration);
    const [linkExpiration] = await expirations(`link:${code}`);
    const [usesExpiration] = await expirations(`linkuses:${code}`);
    expect(linkExpiration).toBeTypeOf("number");
    expect(usesExpiration).toBe(linkExpiration);
  });

  it("a use count that is not a number → 503 and an ERROR line, not a fresh count", async () => {
    const { token } = await owner();
    const code = await createLink(token, { maxUses: 1 });
    await env.KV.put(`linkuses:${code}`, "lots");
    const spy = vi.spyOn(console, "error");
    try {
      await expectProblem(await resolve(code), 503, "unavailable");
      expect(spy.mock.calls.some((args) => String(args[0]).includes("link_uses_corrupt"))).toBe(
        true,
      );
    } finally {
      spy.mockRestore();
    }
  });
});

describe("DELETE when KV fails part-way", () => {
  it("a tombstone that cannot be written → 503, and the link still works as reported", async () => {
    const { token } = await owner();
    const code = await createLink(token, {});
    const failing = controlledKv(async (op, keys, real) => {
      if (op === "put" && touches(keys, `linkdel:${code}`)) throw new Error("KV down (injected)");
      return real();
    });
    const problem = await expectProblem(
      await deleteLink(code, token, failing.bindings),
      503,
      "unavailable",
    );
    expect(problem.detail).toMatch(/still works/);
    expect((await resolve(code)).status).toBe(302);
  });

  it("a record that cannot be deleted after the tombstone → 204, and the link is revoked", async () => {
    const { token } = await owner();
    const code = await createLink(token, {});
    const failing = controlledKv(async (op, keys, real) => {
      if (op === "delete") throw new Error("KV down (injected)");
      return real();
    });
    expect((await deleteLink(code, token, failing.bindings)).status).toBe(204);
    expect(await stored(`link:${code}`)).not.toBeNull();
    expect(await stored(`linkdel:${code}`)).not.toBeNull();
    await expectGone(await resolve(code));
  });
});

describe("malformed codes", () => {
  const malformed = [
    "not-a-code",
    newLinkCode().slice(1), // 21 characters
    `${newLinkCode()}A`, // 23
    "A".repeat(100),
    `${newLinkCode().slice(2)}+.`, // 22, outside base64url
    `${newLinkCode().slice(1)}%2F`, // 22 once decoded, with a "/"
  ];

  it("give the unknown-link 404 without reading KV, on /l/ and the owner routes", async () => {
    const { token } = await owner();
    for (const code of malformed) {
      const counted = controlledKv();
      await expectGone(await resolve(code, counted.bindings));
      await expectGone(await resolve(code, counted.bindings, "HEAD"));
      expect(counted.ops).toEqual([]);
      await expectGone(await call(`/v1/links/${code}`, { token }, counted.bindings));
      await expectGone(await deleteLink(code, token, counted.bindings));
      // Only the token's tenant was read (authentication), never a link key.
      expect(counted.ops.flatMap((o) => o.keys).filter((k) => k.startsWith("link"))).toEqual([]);
    }
  });

  it("while a well-formed unknown code is looked up in KV", async () => {
    const counted = controlledKv();
    const code = newLinkCode();
    await expectGone(await resolve(code, counted.bindings));
    expect(counted.ops).toEqual([{ op: "get", keys: [`link:${code}`, `linkdel:${code}`] }]);
  });
});
