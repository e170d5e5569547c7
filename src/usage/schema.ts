/**
 * Schemas of usage metering and quotas (docs/usage.md): the tenant record's `quota` and `usage`
 * fields, spread into TenantRecord, and the query and answer of `GET /admin/tenants/{id}/usage`.
 */
import * as v from "valibot";
import { component, documented, integer, integerIn } from "../openapi/route";
import { RETENTION_DAYS } from "./metrics";

const Bytes = integerIn(1, Number.MAX_SAFE_INTEGER);

/** Spread into the tenant record; both fields are optional, so older records stay valid. */
export const UsageTenantFields = {
  /** Daily and monthly limits (UTC), exact: checked in the tenant's Durable Object. */
  quota: v.optional(
    v.strictObject({
      urlsPerDay: v.optional(integerIn(1, Number.MAX_SAFE_INTEGER)),
      uploadBytesPerDay: v.optional(Bytes),
      uploadBytesPerMonth: v.optional(Bytes),
      /** When the quota store fails: admit (true, default) or refuse with 503, as rateLimit. */
      failOpen: v.optional(v.boolean(), true),
    }),
  ),
  /** `perSubject`: also count each subject's usage (the tenant's totals are always counted). */
  usage: v.optional(v.strictObject({ perSubject: v.optional(v.boolean(), false) })),
};

/** A UTC date (`2026-11-01`, its midnight) or an ISO 8601 time with its offset. */
const IsoTime = v.pipe(
  v.string(),
  v.regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/,
    "a date (2026-11-01) or an ISO 8601 time with offset (2026-11-01T10:00:00Z)",
  ),
  v.check((time) => Number.isFinite(Date.parse(time)), "not a valid date"),
  documented({ example: "2026-11-01T00:00:00Z" }),
);

export const UsageQuery = v.object({
  from: v.optional(IsoTime),
  to: v.optional(IsoTime),
  granularity: v.optional(v.picklist(["hour", "day"]), "hour"),
  subject: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      documented({ description: "One subject's counts (tenants with usage.perSubject)." }),
    ),
  ),
});
export type UsageQuery = v.InferOutput<typeof UsageQuery>;

export const UsageReport = component(
  "UsageReport",
  v.object({
    tenant: v.string(),
    subject: v.optional(v.string()),
    from: v.string(),
    to: v.string(),
    granularity: v.picklist(["hour", "day"]),
    buckets: v.array(
      v.object({
        start: v.pipe(v.string(), documented({ example: "2026-11-28T10:00:00.000Z" })),
        counts: v.pipe(
          v.record(v.string(), integer()),
          documented({
            description:
              "metric → count: urls.<operation>, bytes.put|post|multipart, uploads.completed, " +
              "links.visits, refusals.<code>, webhooks.delivered|failed|dead|unsent; metrics with no " +
              "count are absent",
          }),
        ),
      }),
    ),
    totals: v.record(v.string(), integer()),
  }),
);
export type UsageReport = v.InferOutput<typeof UsageReport>;

/** The longest range one query may span: the retention (older buckets are gone anyway). */
export const MAX_QUERY_DAYS = RETENTION_DAYS + 1;
