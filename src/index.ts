/**
 * edgesign: wiring only. A request on the hot path (src/hot.ts) is answered by the hot app,
 * evaluated at startup; any other request, and the events queue, by the full app (src/cold.ts),
 * loaded once per isolate on first use (src/split.ts). Both apps are built by src/app.ts.
 */
import { splitWorker } from "./split";

export { RateLimitCounter } from "./ratelimit/exact";
export default splitWorker(() => import("./cold"));
