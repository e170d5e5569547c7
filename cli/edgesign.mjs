#!/usr/bin/env node
// `edgesign`: the operator's and developer's command line (package `bin`). Node ≥ 20, no
// dependency but jose. Errors are one line on stderr, never a stack trace; exit codes are stable:
// 0 done, 1 refused by the gateway (its problem is printed), 2 usage error, 3 gateway unreachable.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { corsConfiguration, corsXml, originProblem } from "./cors.mjs";
import { usageCsv, usageTable } from "./usage.mjs";

const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 };
const DEFAULT_GATEWAY = "http://localhost:8787";
const DEMO_KEY_FILE = ".dev/demo-key.json";

const HELP = {
  main: `edgesign: presigned S3 URLs from the edge

Usage: edgesign <command> [options]

Commands:
  token            mint a JWT for a tenant key (development and tests)
  tenant put|get|delete|revoke <id>
                   manage tenants through the admin API
  keys generate    create an EdDSA/ES256/RS256 key pair and the JWKS to put in a tenant
  cors             print the S3 bucket CORS configuration browser uploads need
  usage <tenant>   a tenant's usage by hour or day, as a table or CSV

Run 'edgesign <command> --help' for a command's options.

Exit codes: 0 done, 1 refused by the gateway (its problem is printed),
            2 usage error, 3 the gateway could not be reached.`,
  token: `Usage: edgesign token --sub <subject> [options]

Mint a short-lived JWT signed with a tenant's private key (for development and tests;
in production your backend mints tokens).

Options:
  --key <file>      private key file from 'edgesign keys generate', or a private JWK
                    (default: ${DEMO_KEY_FILE}, the key of 'npm start')
  --tenant <id>     the token's iss (default: the key file's tenant)
  --sub <subject>   the user (required)
  --scope <ops>     space-separated operations: get head put delete post multipart link
  --prefix <p/>     narrow the user's keys to this prefix (ends with /)
  --ttl <seconds>   lifetime (default 300; tenants allow 900 unless configured)
  --aud <audience>  (default edgesign)`,
  tenant: `Usage: edgesign tenant <put|get|delete|revoke> <id> [options]

Manage tenants through the admin API. The admin token is read from the
EDGESIGN_ADMIN_TOKEN environment variable (never from the command line).

  put <id> --file <tenant.json|->   validate and store a tenant record ('-' = stdin)
  get <id>                          print a tenant record
  delete <id>                       delete a tenant (idempotent)
  revoke <id>                       refuse every token issued up to now

Options:
  --gateway <url>   the gateway (default: $EDGESIGN_GATEWAY or ${DEFAULT_GATEWAY})`,
  keys: `Usage: edgesign keys generate [options]

Create a key pair for a tenant. The private key is written to a file (mode 600) that
'edgesign token --key' reads; the JWKS to paste into the tenant's auth.jwks is printed.

Options:
  --alg <EdDSA|ES256|RS256>  algorithm (default EdDSA)
  --kid <id>                 key id (default: <tenant>-<date>)
  --tenant <id>              tenant the key is for (stored in the file; default 'tenant')
  --out <file>               private key file (default: ./<kid>.private.json)
  --force                    overwrite an existing file`,
  cors: `Usage: edgesign cors --origin <origin> [--origin <origin>…] [options]

Print the bucket CORS configuration a browser needs to upload and download with
edgesign URLs (including Uppy): methods PUT POST GET HEAD DELETE, the headers
edgesign signs as AllowedHeaders, and ETag exposed (multipart needs it).

Options:
  --origin <origin>     a web app origin such as https://app.example, or * (repeatable)
  --format <json|xml>   json: for 'aws s3api put-bucket-cors --cors-configuration';
                        xml: the PutBucketCors body (default json)
  --max-age <seconds>   how long browsers cache the preflight (default 3600)`,
  usage: `Usage: edgesign usage <tenant> [options]

Print a tenant's usage (GET /admin/tenants/<id>/usage): one row per hour or UTC day,
one column per metric (urls.get, bytes.put, refusals.forbidden…), then the totals.
The admin token is read from EDGESIGN_ADMIN_TOKEN.

Options:
  --from <time>          a date (2026-11-01) or ISO time (default: 24 hours ago, or 30 days by day)
  --to <time>            end, exclusive (default: now)
  --granularity <g>      hour or day (default hour)
  --subject <sub>        one subject's usage (tenants with usage.perSubject)
  --csv                  CSV instead of a table
  --gateway <url>        the gateway (default: $EDGESIGN_GATEWAY or ${DEFAULT_GATEWAY})`,
};

class UsageError extends Error {}
class Refused extends Error {}
class Unreachable extends Error {}

function parse(args, options) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error.message.replace(/\. To specify.*$/s, ""));
  }
}

function readJson(file, what) {
  let text;
  try {
    text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${what} '${file}': ${error.code ?? error.message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what} '${file}' is not JSON`);
  }
}

async function token(args) {
  const { values } = parse(args, {
    key: { type: "string" },
    tenant: { type: "string" },
    sub: { type: "string" },
    scope: { type: "string" },
    prefix: { type: "string" },
    ttl: { type: "string", default: "300" },
    aud: { type: "string", default: "edgesign" },
  });
  if (values.help) return print(HELP.token);
  if (values.sub === undefined || values.sub === "") throw new UsageError("--sub is required");
  const keyFile = values.key ?? DEMO_KEY_FILE;
  if (values.key === undefined && !existsSync(keyFile)) {
    throw new UsageError(`no --key given and no ${DEMO_KEY_FILE} (run 'npm start' once)`);
  }
  const stored = readJson(keyFile, "key file");
  const jwk = stored.privateJwk ?? stored;
  if (typeof jwk !== "object" || jwk === null || (jwk.d === undefined && jwk.k === undefined)) {
    throw new UsageError(`'${keyFile}' holds no private key`);
  }
  const tenant = values.tenant ?? stored.tenant;
  if (typeof tenant !== "string" || tenant === "") {
    throw new UsageError("--tenant is required (the key file names none)");
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1)
    throw new UsageError("--ttl must be a whole number of seconds");
  if (values.prefix !== undefined && !values.prefix.endsWith("/")) {
    throw new UsageError("--prefix must end with '/'");
  }
  const alg = jwk.alg ?? "EdDSA";
  let key;
  try {
    key = await importJWK(jwk, alg);
  } catch (error) {
    throw new UsageError(`cannot use the key in '${keyFile}': ${error.message}`);
  }
  const claims = { sub: values.sub };
  if (values.scope !== undefined) claims.scope = values.scope;
  if (values.prefix !== undefined) claims.prefix = values.prefix;
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT(claims)
    .setProtectedHeader({ alg, typ: "JWT", ...(jwk.kid === undefined ? {} : { kid: jwk.kid }) })
    .setIssuer(tenant)
    .setAudience(values.aud)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .sign(key);
  print(jwt);
}

async function tenantCommand(args) {
  const { values, positionals } = parse(args, {
    gateway: { type: "string" },
    file: { type: "string", short: "f" },
  });
  if (values.help || positionals.length === 0) return print(HELP.tenant);
  const [action, id, ...extra] = positionals;
  if (!["put", "get", "delete", "revoke"].includes(action)) {
    throw new UsageError(`unknown tenant action '${action}' (put, get, delete or revoke)`);
  }
  if (id === undefined || !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id)) {
    throw new UsageError("a tenant id is required: 1-63 characters of a-z 0-9 - _");
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const init = { method: { put: "PUT", get: "GET", delete: "DELETE", revoke: "POST" }[action] };
  init.headers = {};
  if (action === "put") {
    if (values.file === undefined) throw new UsageError("tenant put needs --file <tenant.json|->");
    const record = readJson(values.file, "tenant file");
    if (record.id !== undefined && record.id !== id) {
      throw new UsageError(`the file's id '${record.id}' is not '${id}'`);
    }
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify({ ...record, id });
  }
  const path = `/admin/tenants/${id}${action === "revoke" ? "/revoke" : ""}`;
  const text = await adminRequest(values.gateway, path, init);
  if (text !== "") print(JSON.stringify(JSON.parse(text), null, 2));
  else print(`${action === "delete" ? "deleted" : "done"}: tenant ${id}`);
}

async function usage(args) {
  const { values, positionals } = parse(args, {
    gateway: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    granularity: { type: "string", default: "hour" },
    subject: { type: "string" },
    csv: { type: "boolean", default: false },
  });
  if (values.help || positionals.length === 0) return print(HELP.usage);
  const [id, ...extra] = positionals;
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id)) {
    throw new UsageError("a tenant id is required: 1-63 characters of a-z 0-9 - _");
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!["hour", "day"].includes(values.granularity)) {
    throw new UsageError(`--granularity must be hour or day, not '${values.granularity}'`);
  }
  const query = new URLSearchParams({ granularity: values.granularity });
  for (const name of ["from", "to", "subject"]) {
    if (values[name] !== undefined) query.set(name, values[name]);
  }
  const text = await adminRequest(values.gateway, `/admin/tenants/${id}/usage?${query}`, {
    method: "GET",
    headers: {},
  });
  const report = JSON.parse(text);
  process.stdout.write(values.csv ? usageCsv(report) : usageTable(report));
}

/** One admin API call: the token from the environment; a problem answer becomes `Refused`. */
async function adminRequest(gatewayOption, path, init) {
  const adminToken = process.env.EDGESIGN_ADMIN_TOKEN;
  if (adminToken === undefined || adminToken === "") {
    throw new UsageError("set EDGESIGN_ADMIN_TOKEN to the gateway's ADMIN_TOKEN");
  }
  const gateway = (gatewayOption ?? process.env.EDGESIGN_GATEWAY ?? DEFAULT_GATEWAY).replace(
    /\/+$/,
    "",
  );
  let url;
  try {
    url = new URL(path, gateway);
  } catch {
    throw new UsageError(`'${gateway}' is not a URL`);
  }
  init.headers.Authorization = `Bearer ${adminToken}`;
  let res;
  try {
    res = await fetch(url, init);
  } catch (error) {
    const cause =
      error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.cause?.message ?? error.message;
    throw new Unreachable(`cannot reach ${gateway}: ${cause}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      const problem = JSON.parse(text);
      message = `${res.status} ${problem.code}: ${problem.detail}`;
      if (problem.field !== undefined) message += ` (field ${problem.field})`;
    } catch {
      // not a problem body
    }
    throw new Refused(message);
  }
  return text;
}

async function keys(args) {
  const { values, positionals } = parse(args, {
    alg: { type: "string", default: "EdDSA" },
    kid: { type: "string" },
    tenant: { type: "string", default: "tenant" },
    out: { type: "string" },
    force: { type: "boolean", default: false },
  });
  if (values.help || positionals.length === 0) return print(HELP.keys);
  if (positionals[0] !== "generate" || positionals.length > 1) {
    throw new UsageError(`unknown keys action '${positionals.join(" ")}' (generate)`);
  }
  if (!["EdDSA", "ES256", "RS256"].includes(values.alg)) {
    throw new UsageError(`--alg must be EdDSA, ES256 or RS256, not '${values.alg}'`);
  }
  const kid = values.kid ?? `${values.tenant}-${new Date().toISOString().slice(0, 10)}`;
  const out = values.out ?? `${kid}.private.json`;
  if (existsSync(out) && !values.force) {
    throw new UsageError(`'${out}' exists: choose another --out or add --force`);
  }
  const { privateKey, publicKey } = await generateKeyPair(values.alg, { extractable: true });
  const meta = { kid, alg: values.alg, use: "sig" };
  const privateJwk = { ...(await exportJWK(privateKey)), ...meta };
  const publicJwk = { ...(await exportJWK(publicKey)), ...meta };
  writeFileSync(
    out,
    `${JSON.stringify({ tenant: values.tenant, privateJwk, publicJwk }, null, 2)}\n`,
    {
      mode: 0o600,
    },
  );
  process.stderr.write(
    `Private key written to ${out} (keep it secret; 'edgesign token --key ${out}').\n`,
  );
  process.stderr.write("Put this JWKS in the tenant's auth.jwks:\n");
  print(JSON.stringify({ keys: [publicJwk] }, null, 2));
}

function cors(args) {
  const { values } = parse(args, {
    origin: { type: "string", multiple: true },
    format: { type: "string", default: "json" },
    "max-age": { type: "string", default: "3600" },
  });
  if (values.help) return print(HELP.cors);
  const origins = values.origin ?? [];
  if (origins.length === 0) throw new UsageError("at least one --origin is required");
  for (const origin of origins) {
    const problem = originProblem(origin);
    if (problem !== undefined) throw new UsageError(problem);
  }
  const maxAge = Number(values["max-age"]);
  if (!Number.isInteger(maxAge) || maxAge < 0)
    throw new UsageError("--max-age must be whole seconds");
  const configuration = corsConfiguration({ origins, maxAgeSeconds: maxAge });
  if (values.format === "json") return print(JSON.stringify(configuration, null, 2));
  if (values.format === "xml") return process.stdout.write(corsXml(configuration));
  throw new UsageError(`--format must be json or xml, not '${values.format}'`);
}

function print(text) {
  process.stdout.write(`${text}\n`);
}

const COMMANDS = { token, tenant: tenantCommand, keys, cors, usage };

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    print(HELP.main);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === "--version") {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    print(pkg.version);
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  if (run === undefined)
    throw new UsageError(`unknown command '${command}'; see 'edgesign --help'`);
  await run(rest);
  return EXIT.ok;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`edgesign: ${error.message}\n`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof Refused) {
    process.stderr.write(`edgesign: refused: ${error.message}\n`);
    process.exitCode = EXIT.refused;
  } else if (error instanceof Unreachable) {
    process.stderr.write(`edgesign: ${error.message}\n`);
    process.exitCode = EXIT.unreachable;
  } else {
    // Unexpected: still one line, no stack (EDGESIGN_DEBUG=1 shows it).
    process.stderr.write(`edgesign: ${error?.message ?? String(error)}\n`);
    if (process.env.EDGESIGN_DEBUG === "1") console.error(error);
    process.exitCode = EXIT.refused;
  }
}
