// Child process of the cold-start bench (scripts/bench-cold.mjs): for each sample and each
// Worker of the plan, a fresh local runtime (wrangler's dev server API, `unstable_startWorker`,
// DevTools inspector off), timed until its first response. Workers alternate within each round,
// and the round's order flips, so a slower moment of the shared machine hits both alike.
//
// Usage: node scripts/bench-cold-sampler.mjs <plan.json> <result.json>
// plan: { samples, workers: [{ id, config, entrypoint, envFile, persist, seed?, request }] }
// (a request is { path, method, headers, body, expect? }; every response must be 200 and hold
// `expect` when given: a signature, so an answer that signed nothing stops the run).
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname } from "node:path";
import { unstable_startWorker } from "wrangler";
import { freePort } from "./free-port.mjs";

const [planFile, resultFile] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, "utf8"));

/** Sends one request; anything but a 200 holding `request.expect` stops the run. */
async function send(url, request) {
  const res = await fetch(`${url.origin}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  const text = await res.text();
  if (res.status !== 200 || (request.expect !== undefined && !text.includes(request.expect))) {
    throw new Error(`${request.path}: ${res.status} ${text.slice(0, 300)}`);
  }
}

/**
 * One sample. Times, all from `performance.now()` in this process:
 * - startToReadyMs: `unstable_startWorker()` called → `worker.ready` resolved (config read,
 *   workerd spawned, the Worker's modules loaded and evaluated, the dev proxy up);
 * - firstResponseMs: the first request sent → its whole body read (one fresh TCP connection);
 * - startToFirstResponseMs: the sum, i.e. from the start call until the first response arrived;
 * - secondResponseMs: the same request again, warm, for comparison.
 */
async function sample(worker, seed = false) {
  const port = await freePort();
  const t0 = performance.now();
  const dev = await unstable_startWorker({
    config: worker.config,
    entrypoint: worker.entrypoint,
    // A prebuilt bundle; no [build] command either (edgesign's builds the Worker and the pages):
    // a dev tooling step before each start, not the Worker's. An empty command runs none. The
    // entry's chunks, if any, are read beside it (wrangler.toml's `base_dir` is dist/worker).
    build: { bundle: false, moduleRoot: dirname(worker.entrypoint), custom: { command: "" } },
    envFiles: [worker.envFile],
    dev: {
      server: { hostname: "127.0.0.1", port },
      inspector: false,
      persist: worker.persist,
      watch: false,
      logLevel: "error",
    },
  });
  try {
    await dev.ready;
    const ready = performance.now();
    const url = await dev.url;
    if (seed && worker.seed !== undefined) await send(url, worker.seed);
    const sent = performance.now();
    await send(url, worker.request);
    const first = performance.now();
    await send(url, worker.request);
    const second = performance.now();
    return {
      startToReadyMs: ready - t0,
      firstResponseMs: first - sent,
      startToFirstResponseMs: seed ? null : first - t0,
      secondResponseMs: second - first,
    };
  } finally {
    await dev.dispose();
  }
}

// Node's fetch (undici) initialises itself on its first use: do that before timing anything.
const warm = createServer((_req, res) => res.end("ok"));
await new Promise((resolve) => warm.listen(0, "127.0.0.1", resolve));
await (await fetch(`http://127.0.0.1:${warm.address().port}/`)).text();
warm.close();

const samples = Object.fromEntries(plan.workers.map((worker) => [worker.id, []]));
// One untimed start per Worker first: it seeds the Worker's persisted state (edgesign's tenant,
// through its admin API) and loads wrangler's own lazily-imported code in this process.
for (const worker of plan.workers) await sample(worker, true);
for (let round = 0; round < plan.samples; round++) {
  const order = round % 2 === 0 ? plan.workers : [...plan.workers].reverse();
  for (const worker of order) samples[worker.id].push(await sample(worker));
}
writeFileSync(resultFile, JSON.stringify(samples));
process.exit(0);
