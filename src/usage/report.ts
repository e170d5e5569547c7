/** `GET /admin/tenants/{id}/usage`: the query's range, checked, and the object's buckets. */
import { withDeadline } from "../deadline";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import type { Tenant } from "../tenants/store";
import { addCounts, DAY_MS, HOUR_MS } from "./metrics";
import { objectOf } from "./meter";
import { MAX_QUERY_DAYS, type UsageQuery, type UsageReport } from "./schema";

export async function usageReport(
  env: Env,
  tenant: Tenant,
  query: UsageQuery,
  nowMs: number,
): Promise<UsageReport> {
  const hours = query.granularity === "day" ? 24 : 1;
  const toMs = query.to === undefined ? nowMs : Date.parse(query.to);
  const fromMs =
    query.from === undefined
      ? toMs - (hours === 24 ? 30 * DAY_MS : DAY_MS)
      : Date.parse(query.from);
  if (fromMs >= toMs) {
    throw new GatewayError("invalid_request", "from: must be before to", { field: "from" });
  }
  if (toMs - fromMs > MAX_QUERY_DAYS * DAY_MS) {
    throw new GatewayError(
      "invalid_request",
      `from: the range may span at most ${MAX_QUERY_DAYS} days (usage is kept 90 days)`,
      { field: "from" },
    );
  }
  // Buckets are whole hours (or UTC days): the range is widened to the buckets it touches.
  const bucketMs = hours * HOUR_MS;
  const from = Math.floor(fromMs / bucketMs) * bucketMs;
  const to = Math.ceil(toMs / bucketMs) * bucketMs;
  let buckets;
  try {
    buckets = await withDeadline(
      objectOf(env, tenant).usage({ fromMs: from, toMs: to, hours, subject: query.subject ?? "" }),
      "the usage store",
    );
  } catch (error) {
    throw new GatewayError("unavailable", "usage is unavailable; retry shortly", {
      headers: { "Retry-After": "1" },
      cause: error,
    });
  }
  const totals: Record<string, number> = {};
  for (const bucket of buckets) addCounts(totals, bucket.counts);
  return {
    tenant: tenant.id,
    ...(query.subject === undefined ? {} : { subject: query.subject }),
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    granularity: query.granularity,
    buckets: buckets.map((bucket) => ({
      start: new Date(bucket.start).toISOString(),
      counts: bucket.counts,
    })),
    totals,
  };
}
