// Cold start (issue 19), the part of `npm run bench` that measures edgesign against a bare Worker
// (bench/bare: hono + aws4fetch + jose, one route that verifies a token and signs a URL), each
// the same way, in the same run:
// - bundle: `wrangler deploy --dry-run --outdir` (as .ci/run does), raw and gzip size of the JS
//   modules, all of them and the startup set (the entry and what it imports statically);
// - startup: `wrangler check startup` on the prebuilt upload bundle, `runs` times each,
//   alternating the two; active, sampled and GC time are read from the CPU profile it writes;
// - first request: a fresh local runtime per sample (scripts/bench-cold-sampler.mjs), timed from
//   the start call until the first `POST /v1/presign` answered, and that response alone; and
//   edgesign's with `POST /v1/uploads/post` as the first request instead (a route other than
//   the presign the target is judged on).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { exportJWK, generateKeyPair } from "jose";
import { mintToken, TENANT_ID, tenantRecord } from "../bench/src/tenant.ts";

/** Targets of issue 19 judged from this section (the request-path ones are in bench.mjs). */
export const COLD_TARGETS = {
  startupActiveOverBareMax: 1.5,
  bundleGzipKiBMax: 80,
  firstRequestOverBareMax: 2,
};

/** The first-request sample of a route off the hot path (edgesign only; the bare Worker has none). */
const COLD_ROUTE = {
  id: "edgesign-upload",
  label: "edgesign, POST /v1/uploads/post first",
  request: {
    path: "/v1/uploads/post",
    body: JSON.stringify({ key: "photos/2026/11/img-0001.jpg" }),
    expect: '"x-amz-signature"',
  },
};

/** The two Workers, each with its own wrangler.toml (paths from the repository root). */
const WORKERS = [
  { id: "edgesign", label: "edgesign (wrangler.toml)", config: "wrangler.toml" },
  { id: "bare", label: "bare (bench/bare)", config: join("bench", "bare", "wrangler.toml") },
];

const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Median, min, max and trimmed mean (without the lowest and the highest value) of one field over
 * samples (ms, 1 decimal). The targets are judged on the median; the trimmed mean is context for
 * the startup profile, whose coarse samples make a ~10 ms startup read as 0, ~10 or ~20 ms.
 */
function stats(samples, field) {
  const values = samples.map((s) => s[field]);
  const trimmed = [...values].sort((a, b) => a - b).slice(1, -1);
  return {
    median: round(median(values), 1),
    min: round(Math.min(...values), 1),
    max: round(Math.max(...values), 1),
    trimmedMean:
      trimmed.length === 0
        ? null
        : round(trimmed.reduce((sum, v) => sum + v, 0) / trimmed.length, 1),
  };
}

/** The entry module `wrangler deploy --dry-run` writes for a config: its `main`, as .js. */
export function entryFileOf(config) {
  const main = /^main\s*=\s*"([^"]+)"/m.exec(readFileSync(config, "utf8"))?.[1];
  if (main === undefined) throw new Error(`no main in ${config}`);
  return `${basename(main, extname(main))}.js`;
}

/**
 * The JavaScript modules `wrangler deploy --dry-run --outdir` wrote, each with its size and
 * whether it is in the startup set: the entry and the modules it imports statically (directly
 * or not), which the runtime compiles and evaluates before the Worker answers; a module reached
 * only by a dynamic `import()` is compiled on first use. The import graph is esbuild's reading of
 * the written files.
 */
async function modulesOf(outdir, entry) {
  const files = readdirSync(outdir).filter((file) => file.endsWith(".js"));
  if (!files.includes(entry)) throw new Error(`no ${entry} in ${outdir}`);
  const { metafile } = await build({
    absWorkingDir: outdir,
    entryPoints: [entry],
    bundle: true,
    splitting: true,
    format: "esm",
    outdir: "graph",
    write: false,
    metafile: true,
    external: ["cloudflare:*"],
    logLevel: "silent",
  });
  const startup = new Set([entry]);
  for (const file of startup) {
    for (const { path, kind } of metafile.inputs[file]?.imports ?? []) {
      if (kind === "import-statement" && files.includes(path)) startup.add(path);
    }
  }
  return files.map((file) => {
    const source = readFileSync(join(outdir, file));
    return {
      file,
      rawBytes: source.byteLength,
      gzipBytes: gzipSync(source).byteLength,
      startup: startup.has(file),
    };
  });
}

/** Total raw and gzip size (each module compressed on its own, as it is stored) of modules. */
function sizes(modules) {
  const rawBytes = modules.reduce((sum, module) => sum + module.rawBytes, 0);
  const gzipBytes = modules.reduce((sum, module) => sum + module.gzipBytes, 0);
  return {
    files: modules.map((module) => module.file),
    rawBytes,
    gzipBytes,
    rawKiB: round(rawBytes / 1024, 1),
    gzipKiB: round(gzipBytes / 1024, 1),
  };
}

/** The module names of a multipart upload form (`deploy --dry-run --outfile`). */
function uploadedModules(form) {
  return [
    ...form.matchAll(/Content-Disposition: form-data; name="[^"]*"; filename="([^"]+)"/g),
  ].map((match) => match[1]);
}

/**
 * A V8 CPU profile summed as wrangler's `check startup` sums it (summarizeStartupProfile in
 * wrangler 4.155.0): each sample is charged its time delta; active = sampled − (idle). Also
 * `(garbage collector)` and `(program)` (V8 work outside JS: parsing, compiling). All in ms.
 * workerd samples coarsely (deltas of up to ~10 ms), hence medians over several runs.
 */
export function summarizeProfile(profile) {
  const names = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
  const totals = { "(idle)": 0, "(garbage collector)": 0, "(program)": 0 };
  let sampled = 0;
  for (const [index, delta] of (profile.timeDeltas ?? []).entries()) {
    sampled += delta;
    const name = names.get(profile.samples[index]);
    if (name in totals) totals[name] += delta;
  }
  const ms = (us) => round(us / 1000, 1);
  return {
    profileWindowMs: ms(profile.endTime - profile.startTime),
    sampledMs: ms(sampled),
    activeMs: ms(sampled - totals["(idle)"]),
    idleMs: ms(totals["(idle)"]),
    garbageCollectorMs: ms(totals["(garbage collector)"]),
    programMs: ms(totals["(program)"]),
    samples: profile.samples.length,
  };
}

/**
 * Runs the cold-start measurements. `context`: { root, bin, work, childEnv, log, runs, track }
 * where `track(child)` registers a detached child process with the bench (stopped on failure,
 * signal or timeout) and returns the function that unregisters it.
 */
export async function runColdStart({ root, bin, work, childEnv, log, runs, track }) {
  const dir = join(work, "cold");
  mkdirSync(dir, { recursive: true });
  const wrangler = (args, what) => {
    const run = spawnSync(join(bin, "wrangler"), args, {
      cwd: root,
      encoding: "utf8",
      env: childEnv,
    });
    if (run.status !== 0) throw new Error(`${what} failed\n${run.stdout}\n${run.stderr}`);
    return run.stdout;
  };

  const workers = {};
  for (const worker of WORKERS) {
    log(`cold start: bundling ${worker.label} (wrangler deploy --dry-run)`);
    const outdir = join(dir, `${worker.id}-dist`);
    wrangler(["deploy", "--dry-run", "-c", worker.config, "--outdir", outdir], "bundling");
    const entryFile = entryFileOf(join(root, worker.config));
    const modules = await modulesOf(outdir, entryFile);
    // The upload form (modules + metadata) `wrangler check startup --worker` reads.
    const uploadBundle = join(dir, `${worker.id}.bundle`);
    wrangler(["deploy", "--dry-run", "-c", worker.config, "--outfile", uploadBundle], "bundling");
    const uploaded = uploadedModules(readFileSync(uploadBundle, "latin1"));
    const missing = modules.filter((module) => !uploaded.includes(module.file));
    if (missing.length > 0) {
      throw new Error(`${uploadBundle} lacks ${missing.map((module) => module.file).join(", ")}`);
    }
    const startup = modules.filter((module) => module.startup);
    workers[worker.id] = {
      label: worker.label,
      config: worker.config,
      entrypoint: join(outdir, entryFile),
      uploadBundle,
      bundle: { ...sizes(modules), startup: sizes(startup), modules },
      startupRuns: [],
    };
  }

  log(`cold start: wrangler check startup, ${runs} runs of each Worker, alternating`);
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? WORKERS : [...WORKERS].reverse();
    for (const worker of order) {
      const entry = workers[worker.id];
      const outfile = join(dir, `${worker.id}-${run}.cpuprofile`);
      wrangler(
        [
          "check",
          "startup",
          "-c",
          worker.config,
          "--worker",
          entry.uploadBundle,
          "--outfile",
          outfile,
        ],
        "wrangler check startup",
      );
      entry.startupRuns.push(summarizeProfile(JSON.parse(readFileSync(outfile, "utf8"))));
    }
  }

  log(`cold start: module evaluation in fresh Node processes, ${runs} of each Worker`);
  const evaluations = evaluateModules(dir, workers, runs);

  log(`cold start: first request to a fresh runtime, ${runs} samples of each Worker, alternating`);
  const firstRequests = await sampleFirstRequests(dir, workers, runs, { root, childEnv, track });

  const firstRequestStats = (samples) => {
    const firstRequest = {};
    for (const field of [
      "startToFirstResponseMs",
      "startToReadyMs",
      "firstResponseMs",
      "secondResponseMs",
    ])
      firstRequest[field] = stats(samples, field);
    return firstRequest;
  };
  const coldRoute = {
    label: COLD_ROUTE.label,
    path: COLD_ROUTE.request.path,
    firstRequest: firstRequestStats(firstRequests[COLD_ROUTE.id]),
    raw: { firstRequestSamples: firstRequests[COLD_ROUTE.id] },
  };
  for (const [id, entry] of Object.entries(workers)) {
    const startup = {};
    for (const field of [
      "activeMs",
      "sampledMs",
      "garbageCollectorMs",
      "programMs",
      "profileWindowMs",
    ])
      startup[field] = stats(entry.startupRuns, field);
    const samples = firstRequests[id];
    const firstRequest = firstRequestStats(samples);
    workers[id] = {
      label: entry.label,
      config: entry.config,
      bundle: entry.bundle,
      startup,
      moduleEvaluation: stats(evaluations[id], "ms"),
      firstRequest,
      raw: {
        startupRuns: entry.startupRuns,
        moduleEvaluations: evaluations[id],
        firstRequestSamples: samples,
      },
    };
  }
  const { edgesign, bare } = workers;
  // null when the bare Worker's figure is 0 (a startup that fell between two profile samples).
  const over = (pick) => (pick(bare) > 0 ? round(pick(edgesign) / pick(bare)) : null);
  return {
    runs,
    moduleEvaluationFloor: stats(evaluations.floor, "ms"),
    method: {
      bundle:
        "wrangler deploy --dry-run --outdir <tmp>; raw and gzip (zlib default level, each module on its own) size of the .js modules it writes, all of them and the startup set (the entry and the modules it imports statically, by esbuild's reading of the files); every module must be in the upload form of --outfile",
      startup:
        "wrangler check startup --worker <upload bundle from deploy --dry-run --outfile>; the CPU profile's samples summed as wrangler does: sampled = Σ time deltas, active = sampled − (idle), GC = (garbage collector), program = (program)",
      moduleEvaluation:
        "the entry module's import() (with the chunks it imports) timed with performance.now() in a fresh Node 24 process (V8, as workerd; cloudflare:* imports stubbed), beside an empty module: a diagnostic with a precise clock, not the target",
      firstRequest:
        "a child process (scripts/bench-cold-sampler.mjs) starts a fresh local runtime per sample with unstable_startWorker (prebuilt bundle, inspector off, persisted local KV holding edgesign's tenant, seeded once through the admin API in an untimed start) and sends one POST /v1/presign with a valid EdDSA token; startToFirstResponse = start call → first response body read; firstResponse = that request alone, after ready; secondResponse = the same request again, warm; coldRoute: the same for edgesign with POST /v1/uploads/post as the first request",
    },
    workers,
    coldRoute,
    ratios: {
      startupActive: over((w) => w.startup.activeMs.median),
      startupSampled: over((w) => w.startup.sampledMs.median),
      moduleEvaluation: over((w) => w.moduleEvaluation.median),
      bundleGzip: over((w) => w.bundle.gzipBytes),
      firstRequestStartToResponse: over((w) => w.firstRequest.startToFirstResponseMs.median),
      firstResponseAfterReady: over((w) => w.firstRequest.firstResponseMs.median),
    },
  };
}

/**
 * A finer look at startup than the profile's samples (workerd samples every ~10 ms, so a small
 * Worker reads 0 or ~10 ms a run): the same bundle's module evaluation (parse, compile, top-level
 * code) timed with a precise clock in a fresh Node 24 process, V8 like workerd, `runs` times
 * each, alternating. `cloudflare:*` imports become an empty stub. Not workerd, so a diagnostic
 * beside the target, not the target; an empty module gives the floor.
 */
function evaluateModules(dir, workers, runs) {
  const stub = "data:text/javascript,export class DurableObject{};export const env={};";
  const files = { floor: join(dir, "empty.mjs") };
  writeFileSync(files.floor, "export default {};\n");
  for (const [id, entry] of Object.entries(workers)) {
    // Every module beside the entry (its chunks are imported by relative path), as ES modules.
    const evalDir = join(dir, `${id}-eval`);
    mkdirSync(evalDir, { recursive: true });
    writeFileSync(join(evalDir, "package.json"), '{ "type": "module" }\n');
    for (const { file } of entry.bundle.modules) {
      const source = readFileSync(join(dirname(entry.entrypoint), file), "utf8");
      const stubbed = source.replace(/(from\s*)"cloudflare:[a-z-]+"/g, `$1"${stub}"`);
      writeFileSync(join(evalDir, file), stubbed);
    }
    files[id] = join(evalDir, basename(entry.entrypoint));
  }
  const timer =
    "const t = performance.now(); await import(process.argv[1]); " +
    "console.log(performance.now() - t);";
  const results = Object.fromEntries(Object.keys(files).map((id) => [id, []]));
  for (let run = 0; run < runs; run++) {
    const ids = Object.keys(files);
    for (const id of run % 2 === 0 ? ids : ids.reverse()) {
      const { stdout, status, stderr } = spawnSync(
        process.execPath,
        ["--input-type=module", "-e", timer, pathToFileURL(files[id]).href],
        { encoding: "utf8" },
      );
      if (status !== 0) throw new Error(`evaluating ${id}'s bundle under Node failed: ${stderr}`);
      results[id].push({ ms: round(Number(stdout.trim()), 2) });
    }
  }
  return results;
}

/** Writes the env files and the plan, runs the sampler child, returns its samples per Worker. */
async function sampleFirstRequests(dir, workers, samples, { root, childEnv, track }) {
  // One key pair for both: edgesign's tenant `bench` and the bare Worker's issuer `bench` trust
  // it, so both verify the very same token.
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: "bench-cold", alg: "EdDSA" };
  const token = await mintToken(privateKey, {
    kid: publicJwk.kid,
    audience: "edgesign",
    jti: "cold-start",
  });
  const credentials = JSON.stringify({
    accessKeyId: "AKIABENCHACCESSKEY01",
    secretAccessKey: "bench/secret+key/0123456789abcdefGHIJKLMN",
  });
  const adminToken = `cold-${Date.now().toString(36)}-admin-token`;
  const envFiles = {
    edgesign: `ADMIN_TOKEN=${adminToken}\nS3_BENCH=${credentials}\nLOG_LEVEL=info\n`,
    bare: `JWKS=${JSON.stringify({ keys: [publicJwk] })}\nS3_CREDENTIALS=${credentials}\n`,
  };
  const presign = {
    path: "/v1/presign",
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ method: "GET", key: "photos/2026/11/img-0001.jpg" }),
    expect: "X-Amz-Signature=",
  };
  const plan = {
    samples,
    workers: Object.entries(workers).map(([id, entry]) => {
      const envFile = join(dir, `${id}.env`);
      writeFileSync(envFile, envFiles[id]);
      return {
        id,
        config: join(root, entry.config),
        entrypoint: entry.entrypoint,
        envFile,
        persist: join(dir, `${id}-state`),
        request: presign,
        ...(id === "edgesign"
          ? {
              seed: {
                path: `/admin/tenants/${TENANT_ID}`,
                method: "PUT",
                headers: {
                  authorization: `Bearer ${adminToken}`,
                  "content-type": "application/json",
                },
                body: JSON.stringify(tenantRecord(publicJwk)),
              },
            }
          : {}),
      };
    }),
  };
  // edgesign again, with another route as the first request (a browser upload's POST form, same
  // token, same persisted tenant): what a first request to a route other than /v1/presign pays.
  const edgesign = plan.workers.find((worker) => worker.id === "edgesign");
  plan.workers.push({
    ...edgesign,
    id: COLD_ROUTE.id,
    seed: undefined,
    request: { ...presign, ...COLD_ROUTE.request },
  });
  const planFile = join(dir, "plan.json");
  const resultFile = join(dir, "first-requests.json");
  writeFileSync(planFile, JSON.stringify(plan));
  const child = spawn(
    process.execPath,
    [join(root, "scripts", "bench-cold-sampler.mjs"), planFile, resultFile],
    { cwd: root, stdio: ["ignore", "ignore", "pipe"], detached: true, env: childEnv },
  );
  const untrack = track(child);
  const errors = [];
  child.stderr.on("data", (chunk) => errors.length < 200 && errors.push(chunk));
  const code = await new Promise((resolve) => child.on("exit", resolve));
  untrack();
  if (code !== 0) {
    throw new Error(`cold-start sampler exited with ${code}\n${Buffer.concat(errors)}`);
  }
  if (statSync(resultFile).size === 0) throw new Error("cold-start sampler wrote no result");
  return JSON.parse(readFileSync(resultFile, "utf8"));
}

/** Target rows ([name, value, ok]) for the cold-start section. */
export function coldChecks(cold) {
  const { edgesign } = cold.workers;
  return [
    [
      `startup: edgesign / bare active time ≤ ${COLD_TARGETS.startupActiveOverBareMax}× (wrangler check startup, median of ${cold.runs})`,
      cold.ratios.startupActive,
      (v) => v !== null && v <= COLD_TARGETS.startupActiveOverBareMax,
    ],
    [
      `bundle: edgesign ≤ ${COLD_TARGETS.bundleGzipKiBMax} KiB gzip (all modules)`,
      edgesign.bundle.gzipKiB,
      (v) => v <= COLD_TARGETS.bundleGzipKiBMax,
    ],
    [
      `first request, start call → first /v1/presign response: edgesign / bare ≤ ${COLD_TARGETS.firstRequestOverBareMax}× (median of ${cold.runs})`,
      cold.ratios.firstRequestStartToResponse,
      (v) => v !== null && v <= COLD_TARGETS.firstRequestOverBareMax,
    ],
  ];
}

/** The printed tables, via the bench's `table(title, headers, rows)`. */
export function coldTables(cold, table) {
  const rows = Object.values(cold.workers);
  const range = (s) => `${s.median} (${s.min}–${s.max})`;
  return [
    table(
      "Cold start: bundle (wrangler deploy --dry-run): all modules, and the startup set (the entry " +
        "and the modules it imports statically; the others are compiled on first use), KiB",
      ["Worker", "modules", "raw", "gzip", "startup set", "startup raw", "startup gzip"],
      rows.map((w) => [
        w.label,
        w.bundle.files.length,
        w.bundle.rawKiB,
        w.bundle.gzipKiB,
        w.bundle.startup.files.join(" + "),
        w.bundle.startup.rawKiB,
        w.bundle.startup.gzipKiB,
      ]),
    ),
    table(
      `Cold start: startup (wrangler check startup), median (min–max) of ${cold.runs} runs, ms`,
      ["Worker", "active", "active trimmed mean", "sampled", "GC", "(program)", "samples"],
      rows.map((w) => [
        w.label,
        range(w.startup.activeMs),
        w.startup.activeMs.trimmedMean ?? "n/a",
        range(w.startup.sampledMs),
        range(w.startup.garbageCollectorMs),
        range(w.startup.programMs),
        median(w.raw.startupRuns.map((r) => r.samples)),
      ]),
    ),
    table(
      `Cold start: module evaluation (parse, compile, top level) in a fresh Node 24 process, precise clock, not workerd; median (min–max) of ${cold.runs}, ms`,
      ["Worker", "import()", "empty module"],
      rows.map((w) => [w.label, range(w.moduleEvaluation), range(cold.moduleEvaluationFloor)]),
    ),
    table(
      `Cold start: first POST /v1/presign (last row: POST /v1/uploads/post) to a fresh runtime (unstable_startWorker, inspector off), median (min–max) of ${cold.runs} samples, ms`,
      ["Worker", "start → 1st response", "start → ready", "1st response", "2nd response"],
      [...rows, cold.coldRoute].map((w) => [
        w.label,
        range(w.firstRequest.startToFirstResponseMs),
        range(w.firstRequest.startToReadyMs),
        range(w.firstRequest.firstResponseMs),
        range(w.firstRequest.secondResponseMs),
      ]),
    ),
    `ratios edgesign / bare: startup active ${cold.ratios.startupActive}×, sampled ${cold.ratios.startupSampled}×, ` +
      `module evaluation under Node ${cold.ratios.moduleEvaluation}×, ` +
      `bundle gzip ${cold.ratios.bundleGzip}×, start → first response ${cold.ratios.firstRequestStartToResponse}×, ` +
      `first response after ready ${cold.ratios.firstResponseAfterReady}×`,
  ];
}
