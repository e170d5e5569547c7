// What src/ imports from "cloudflare:workers", for code that builds ahead of time under Node
// (scripts/build.mjs, the OpenAPI document): module-level class definitions only, never run.
export class DurableObject {}
export const env = {};
