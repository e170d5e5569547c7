// `npm run token -- --sub alice [--scope "get put"] [--prefix inbox/] [--ttl 300]
//   [--aud edgesign] [--tenant demo] [--key file.json]`: prints a signed JWT for a tenant.
// Without --key it uses the demo key that `npm start` created in .dev/demo-key.json.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { importJWK, SignJWT } from "jose";
import { DEMO_KEY_FILE, demoKey } from "./demo.mjs";

const { values } = parseArgs({
  options: {
    sub: { type: "string", default: "alice" },
    tenant: { type: "string" },
    scope: { type: "string" },
    prefix: { type: "string" },
    ttl: { type: "string", default: "300" },
    aud: { type: "string", default: "edgesign" },
    key: { type: "string", default: DEMO_KEY_FILE },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "usage: npm run token -- --sub alice [--scope 'get put'] [--prefix p/] [--ttl 300] [--aud edgesign] [--tenant id] [--key file.json]",
  );
  process.exit(0);
}

const key =
  values.key === DEMO_KEY_FILE ? await demoKey() : JSON.parse(readFileSync(values.key, "utf8"));
const jwk = key.privateJwk ?? key;
const now = Math.floor(Date.now() / 1000);
const claims = { sub: values.sub };
if (values.scope !== undefined) claims.scope = values.scope;
if (values.prefix !== undefined) claims.prefix = values.prefix;

const token = await new SignJWT(claims)
  .setProtectedHeader({ alg: jwk.alg ?? "EdDSA", kid: jwk.kid, typ: "JWT" })
  .setIssuer(values.tenant ?? key.tenant ?? "demo")
  .setAudience(values.aud)
  .setIssuedAt(now)
  .setExpirationTime(now + Number(values.ttl))
  .sign(await importJWK(jwk, jwk.alg ?? "EdDSA"));
console.log(token);
