/**
 * jose's remote key set, in a module of its own so that src/auth/verify.ts loads it with
 * `import()` on a `jwksUrl` tenant's first token: the isolates of tenants with keys in their
 * record never compile it at startup, and the first use is waiting on the key set's fetch anyway
 * (docs/performance.md, "Cold start").
 */
export { createRemoteJWKSet } from "jose/jwks/remote";
