/** Values vitest.config.ts provides to the tests (`inject` from vitest). */
declare module "vitest" {
  export interface ProvidedContext {
    /** The names in a local `.dev.vars`, which wrangler loads into the test env too. */
    devVarNames: string[];
  }
}
export {};
