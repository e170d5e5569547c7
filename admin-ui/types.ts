/**
 * What the operator page reads of the admin API's answers. Written out here, not imported, so the
 * page's typecheck does not pull in the Worker's sources; test/routes/admin-ui.test.ts checks
 * that the gateway's schemas' types satisfy them.
 */

/** `GET /admin/tenants`. */
export interface TenantListPage {
  tenants: { id: string; disabled?: boolean | undefined }[];
  cursor?: string | undefined;
}

/** `GET /admin/tenants/{id}` (the fields the page shows or writes back). */
export interface TenantView {
  id: string;
  disabled: boolean;
  auth: { revokedBefore: number };
  quota?:
    | {
        urlsPerDay?: number | undefined;
        uploadBytesPerDay?: number | undefined;
        uploadBytesPerMonth?: number | undefined;
      }
    | undefined;
}

/** `GET /admin/tenants/{id}/usage`. */
export interface UsageView {
  from: string;
  to: string;
  granularity: "hour" | "day";
  buckets: { start: string; counts: Record<string, number> }[];
  totals: Record<string, number>;
}

/** A problem+json answer (RFC 9457), as far as the page shows it. */
export interface ProblemView {
  code?: string;
  detail?: string;
}
