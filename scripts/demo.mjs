// The demo tenant of `npm start` and its signing key (kept in .dev/, git-ignored).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { exportJWK, generateKeyPair } from "jose";

export const DEMO_DIR = ".dev";
export const DEMO_KEY_FILE = `${DEMO_DIR}/demo-key.json`;
export const DEMO_TENANT_ID = "demo";

/** The demo Ed25519 key pair as JWKs, created on first use. */
export async function demoKey() {
  if (existsSync(DEMO_KEY_FILE)) return JSON.parse(readFileSync(DEMO_KEY_FILE, "utf8"));
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const kid = `demo-${new Date().toISOString().slice(0, 10)}`;
  const key = {
    tenant: DEMO_TENANT_ID,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "EdDSA" },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA" },
  };
  mkdirSync(DEMO_DIR, { recursive: true });
  writeFileSync(DEMO_KEY_FILE, JSON.stringify(key, null, 2), { mode: 0o600 });
  return key;
}

/** The demo tenant record: users under demo/users/<sub>/, one bucket on the local radosgw. */
export function demoTenant(publicJwk) {
  return {
    id: DEMO_TENANT_ID,
    auth: { jwks: { keys: [publicJwk] } },
    prefix: "demo/",
    subjectPrefix: "users/{sub}/",
    buckets: {
      main: {
        endpoint: "http://127.0.0.1:7480",
        bucket: "edgesign-demo",
        region: "us-east-1",
        style: "path",
        credentials: "S3_DEMO",
        provider: "ceph",
      },
    },
    defaultBucket: "main",
    defaultExpiresIn: 900,
    maxExpiresIn: 3600,
  };
}
