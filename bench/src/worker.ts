/**
 * The bench Worker (bench/wrangler.toml). scripts/bench.mjs starts it under `wrangler dev` on a
 * free loopback port, calls each benchmark once and stops it:
 * - `POST /signers`: the signer micro-benchmark (validation, then timing);
 * - `POST /requests`: the whole-request benchmark through the real app, with cost counters.
 * Every benchmark runs inside one request, so its loops time CPU work in one isolate.
 */
import { runRequests, type BenchBindings } from "./requests";
import { runSigners } from "./signers";

/** The gateway's Durable Object class, bound here as in the gateway (bench/wrangler.toml). */
export { RateLimitCounter } from "../../src/ratelimit/exact";

async function answer(run: () => Promise<unknown>): Promise<Response> {
  try {
    return Response.json({ runtime: navigator.userAgent, report: await run() });
  } catch (error) {
    const message =
      error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
    return Response.json({ error: message }, { status: 500 });
  }
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const { pathname, searchParams } = new URL(request.url);
    // `?only=id,id` runs a subset (for investigating one row; the bench script runs them all).
    const only = searchParams.get("only");
    const subset = only === null ? undefined : new Set(only.split(","));
    if (pathname === "/ready") return new Response("ok");
    if (request.method === "POST" && pathname === "/signers") return answer(() => runSigners());
    if (request.method === "POST" && pathname === "/requests") {
      return answer(() => runRequests(env, ctx, subset));
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<BenchBindings>;
