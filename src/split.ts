/**
 * The Worker's handlers, split in two: a request on the hot path (`isHot`, src/hot.ts) goes to
 * the hot app; every other request, and every queue batch, to the full gateway (src/cold.ts),
 * loaded on first use and kept for the isolate's life. The choice is made before any middleware
 * runs, so each request runs the middleware once, in one app.
 */
import { hotApp, isHot } from "./hot";
import type { Env } from "./env";

/** What src/cold.ts exports: the full app and the queue consumer. */
export type FullGateway = typeof import("./cold");

export interface SplitWorker {
  fetch: typeof hotApp.fetch;
  queue: ExportedHandlerQueueHandler<Env>;
}

/**
 * The Worker's `fetch` and `queue`, given how to load the full gateway (src/index.ts passes
 * `() => import("./cold")`; tests pass a loader that counts its calls).
 * @example export default splitWorker(() => import("./cold"))
 */
export function splitWorker(loadFull: () => Promise<FullGateway>): SplitWorker {
  let full: Promise<FullGateway> | undefined;
  const fullGateway = () => (full ??= loadFull());
  return {
    fetch: (request, env, ctx) =>
      isHot(request)
        ? hotApp.fetch(request, env, ctx)
        : fullGateway().then((gateway) => gateway.app.fetch(request, env, ctx)),
    queue: async (batch, env, ctx) => (await fullGateway()).queue(batch, env, ctx),
  };
}
