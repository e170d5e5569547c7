/**
 * The operator page (served at /admin/ui when ADMIN_UI=1; docs/admin-ui.md): tenants, each
 * tenant's usage as a uPlot chart with its totals, quota use, webhook failures, and revoke and
 * disable buttons that ask first. Everything comes from the admin API of this origin.
 *
 * The admin token lives in the `token` variable below and nowhere else: not in storage, not in a
 * URL, not in the DOM once connected. Reloading or closing the tab forgets it.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import type { ProblemView, TenantListPage, TenantView, UsageView } from "./types";
import { chartSeries, formatBytes, monthStartOf, quotaUse, webhookFailures } from "./views";

/** Pages of `GET /admin/tenants` read at most (100 tenants each). */
const MAX_TENANT_PAGES = 50;
/** Counts are whole: the y axis steps by 1, 2, 5, 10, 20, 50… and never by 0.5. */
const WHOLE_STEPS = Array.from({ length: 16 }, (_, power) =>
  [1, 2, 5].map((step) => step * 10 ** power),
).flat();
/** Line colours, one per metric (cycled). */
const COLOURS = ["#0969da", "#1a7f37", "#cf222e", "#8250df", "#bf8700", "#1b7c83", "#e16f24"];

let token: string | null = null;
let selected: TenantView | null = null;
let chart: uPlot | null = null;

const tokenForm = element<HTMLFormElement>("#token-form");
const tokenInput = element<HTMLInputElement>("#token");
const forgetButton = element<HTMLButtonElement>("#forget");
const status = element<HTMLDivElement>("#status");
const main = element<HTMLElement>("#main");
const tenantRows = element<HTMLTableSectionElement>("#tenants tbody");
const tenantSection = element<HTMLElement>("#tenant-section");
const tenantTitle = element<HTMLHeadingElement>("#tenant-title");
const tenantState = element<HTMLParagraphElement>("#tenant-state");
const revokeButton = element<HTMLButtonElement>("#revoke");
const toggleButton = element<HTMLButtonElement>("#toggle-disabled");
const rangeSelect = element<HTMLSelectElement>("#range");
const refreshButton = element<HTMLButtonElement>("#refresh");
const chartBox = element<HTMLDivElement>("#chart");
const totalRows = element<HTMLTableSectionElement>("#totals tbody");
const quotaRows = element<HTMLTableSectionElement>("#quota tbody");
const webhookRows = element<HTMLTableSectionElement>("#webhooks tbody");

/** An admin API answer that is not 2xx: its problem's detail, or its status. */
class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One admin API call with the token as a bearer token; JSON in and out. */
async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  if (token === null) throw new AdminError(401, "connect with the admin token first");
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    // The token must not leave with a redirect to another origin, nor be cached.
    redirect: "error",
    cache: "no-store",
    credentials: "omit",
  });
  const text = await res.text();
  if (!res.ok) {
    let problem: ProblemView = {};
    try {
      problem = JSON.parse(text) as ProblemView;
    } catch {
      // not problem+json: the status says enough
    }
    if (res.status === 401) forget();
    throw new AdminError(
      res.status,
      `${res.status} ${problem.code ?? ""}: ${problem.detail ?? ""}`,
    );
  }
  return (text === "" ? null : JSON.parse(text)) as T;
}

const tenantPath = (id: string) => `/admin/tenants/${encodeURIComponent(id)}`;

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const given = tokenInput.value.trim();
  tokenInput.value = "";
  if (given === "") return;
  token = given;
  forgetButton.disabled = false;
  void run("Loading tenants…", loadTenants);
});
forgetButton.addEventListener("click", () => {
  forget();
  say("Token forgotten.");
});
rangeSelect.addEventListener("change", () => void run("Loading usage…", loadUsage));
refreshButton.addEventListener("click", () => void run("Loading usage…", loadUsage));
revokeButton.addEventListener("click", () => void revoke());
toggleButton.addEventListener("click", () => void toggleDisabled());

/** Drops the token and everything read with it. */
function forget(): void {
  token = null;
  selected = null;
  forgetButton.disabled = true;
  main.hidden = true;
  tenantSection.hidden = true;
  tenantRows.replaceChildren();
  chart?.destroy();
  chart = null;
}

async function loadTenants(): Promise<void> {
  const tenants: TenantListPage["tenants"] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TENANT_PAGES; page++) {
    const query = cursor === undefined ? "" : `?cursor=${encodeURIComponent(cursor)}`;
    const listed = await admin<TenantListPage>("GET", `/admin/tenants${query}`);
    tenants.push(...listed.tenants);
    cursor = listed.cursor;
    if (cursor === undefined) break;
  }
  tenantRows.replaceChildren(
    ...tenants.map((tenant) => {
      const select = document.createElement("button");
      select.type = "button";
      select.className = "select";
      select.textContent = tenant.id;
      select.addEventListener(
        "click",
        () => void run(`Loading ${tenant.id}…`, () => open(tenant.id)),
      );
      const state = document.createElement("span");
      if (tenant.disabled === true) {
        state.textContent = "disabled";
        state.className = "disabled-badge";
      } else {
        state.textContent = tenant.disabled === false ? "active" : "";
      }
      return row({ tenant: tenant.id }, cell(select), cell(state));
    }),
  );
  main.hidden = false;
  const more = cursor === undefined ? "" : ` (the first ${tenants.length}; more not shown)`;
  say(`${tenants.length} tenant${tenants.length === 1 ? "" : "s"}${more}.`);
}

/** Shows one tenant: its record, then its usage. */
async function open(id: string): Promise<void> {
  selected = await admin<TenantView>("GET", tenantPath(id));
  for (const tr of tenantRows.querySelectorAll("tr")) {
    tr.classList.toggle("selected", tr.dataset.tenant === id);
  }
  showTenant();
  tenantSection.hidden = false;
  await loadUsage();
  say(`Tenant ${id}.`);
}

function showTenant(): void {
  if (selected === null) return;
  tenantTitle.textContent = selected.id;
  const revoked =
    selected.auth.revokedBefore > 0
      ? `tokens issued before ${new Date(selected.auth.revokedBefore * 1000).toISOString()} are refused`
      : "no tokens revoked";
  tenantState.textContent = `${selected.disabled ? "Disabled" : "Active"}; ${revoked}.`;
  tenantState.dataset.disabled = String(selected.disabled);
  toggleButton.textContent = selected.disabled ? "Enable…" : "Disable…";
}

async function loadUsage(): Promise<void> {
  if (selected === null) return;
  const id = selected.id;
  const now = Date.now();
  const granularity = rangeSelect.value === "day" ? "day" : "hour";
  // Hourly for the last 24 h (webhook failures, and the chart by hour); daily from the month's
  // first day (quota use); the chart by day asks the default 30 days.
  const [hourly, month, ranged] = await Promise.all([
    admin<UsageView>("GET", `${tenantPath(id)}/usage?granularity=hour`),
    admin<UsageView>(
      "GET",
      `${tenantPath(id)}/usage?granularity=day&from=${monthStartOf(now)}&to=${new Date(now).toISOString()}`,
    ),
    granularity === "day"
      ? admin<UsageView>("GET", `${tenantPath(id)}/usage?granularity=day`)
      : Promise.resolve(null),
  ]);
  if (selected?.id !== id) return; // another tenant was opened meanwhile
  const report = ranged ?? hourly;
  drawChart(report);
  showTotals(report);
  showQuota(selected, month, now);
  showWebhookFailures(hourly);
}

function drawChart(report: UsageView): void {
  const { xs, series } = chartSeries(report);
  chart?.destroy();
  chartBox.replaceChildren();
  const opts: uPlot.Options = {
    width: 640,
    height: 300,
    scales: { x: { time: true }, count: {} },
    axes: [{}, { scale: "count", incrs: WHOLE_STEPS }],
    series: [
      { label: "time (UTC)" },
      ...series.map(([metric], i) => ({
        label: metric,
        scale: "count",
        stroke: COLOURS[i % COLOURS.length] ?? "#0969da",
        width: 2,
      })),
    ],
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
  };
  if (series.length === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "Nothing counted in this range.";
    chartBox.append(empty);
  }
  chart = new uPlot(opts, [xs, ...series.map(([, values]) => values)], chartBox);
}

function showTotals(report: UsageView): void {
  const metrics = Object.keys(report.totals).sort();
  totalRows.replaceChildren(
    ...metrics.map((metric) =>
      row({ metric }, text(metric, "metric"), text(String(report.totals[metric] ?? 0), "count")),
    ),
  );
  if (metrics.length === 0) totalRows.append(emptyRow(2, "No counts."));
}

function showQuota(tenant: TenantView, month: UsageView, now: number): void {
  const uses = quotaUse(tenant, month, now);
  quotaRows.replaceChildren(
    ...uses.map((use) => {
      const meter = document.createElement("meter");
      meter.min = 0;
      meter.max = use.limit;
      meter.value = Math.min(use.used, use.limit);
      meter.high = use.limit * 0.8;
      const shown = (n: number) => (use.unit === "bytes" ? formatBytes(n) : `${n} URLs`);
      return row(
        { quota: use.name },
        text(use.name, "name"),
        text(shown(use.used), "used", String(use.used)),
        text(shown(use.limit), "limit", String(use.limit)),
        cell(meter),
      );
    }),
  );
  if (uses.length === 0) quotaRows.append(emptyRow(4, "No quota set."));
}

function showWebhookFailures(hourly: UsageView): void {
  const failures = webhookFailures(hourly);
  webhookRows.replaceChildren(
    ...failures.map((failure) =>
      row(
        { metric: failure.metric },
        text(failure.start.slice(0, 16).replace("T", " "), "hour"),
        text(failure.metric, "metric"),
        text(String(failure.count), "count"),
      ),
    ),
  );
  if (failures.length === 0) webhookRows.append(emptyRow(3, "No webhook failures."));
}

async function revoke(): Promise<void> {
  if (selected === null) return;
  const id = selected.id;
  const ok = confirm(
    `Revoke every token of tenant '${id}' issued up to now? Its users need new tokens, and ` +
      "short links made before now stop working.",
  );
  if (!ok) return;
  await run(`Revoking ${id}…`, async () => {
    selected = await admin<TenantView>("POST", `${tenantPath(id)}/revoke`);
    showTenant();
    say(`Revoked: tokens of ${id} issued before now are refused.`);
  });
}

async function toggleDisabled(): Promise<void> {
  if (selected === null) return;
  const id = selected.id;
  const disable = !selected.disabled;
  const ok = confirm(
    disable
      ? `Disable tenant '${id}'? Every token and short link of it is refused until it is enabled.`
      : `Enable tenant '${id}' again?`,
  );
  if (!ok) return;
  await run(`${disable ? "Disabling" : "Enabling"} ${id}…`, async () => {
    // The record as stored now (not as shown), with `disabled` changed: nothing else is touched.
    const record = await admin<Record<string, unknown>>("GET", tenantPath(id));
    selected = await admin<TenantView>("PUT", tenantPath(id), { ...record, disabled: disable });
    showTenant();
    await loadTenants();
    for (const tr of tenantRows.querySelectorAll("tr")) {
      tr.classList.toggle("selected", tr.dataset.tenant === id);
    }
    say(`${id} is ${disable ? "disabled" : "enabled"}.`);
  });
}

/** Runs `work` with a status line; a failure is shown, never thrown away. */
async function run(doing: string, work: () => Promise<void>): Promise<void> {
  say(doing);
  try {
    await work();
  } catch (error) {
    say(error instanceof Error ? error.message : String(error), true);
  }
}

function say(message: string, isError = false): void {
  status.textContent = message;
  status.className = isError ? "error" : "";
}

function row(data: Record<string, string>, ...cells: HTMLTableCellElement[]): HTMLTableRowElement {
  const tr = document.createElement("tr");
  Object.assign(tr.dataset, data);
  tr.append(...cells);
  return tr;
}

function cell(...content: Node[]): HTMLTableCellElement {
  const td = document.createElement("td");
  td.append(...content);
  return td;
}

/** A cell holding `value` as text, with a class the tests and styles use. */
function text(value: string, className: string, title?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = value;
  td.className = className;
  if (title !== undefined) td.title = title;
  return td;
}

function emptyRow(columns: number, message: string): HTMLTableRowElement {
  const td = text(message, "empty");
  td.colSpan = columns;
  const tr = document.createElement("tr");
  tr.append(td);
  return tr;
}

function element<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`missing ${selector}`);
  return found;
}

// For the browser test and for curious operators: the chart (never the token).
Object.assign(window, { edgesignAdmin: { chart: () => chart } });
