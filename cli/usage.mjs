// `edgesign usage`: a usage report (GET /admin/tenants/<id>/usage) as a table or as CSV.
// One row per bucket (hour or UTC day), one column per metric seen, then a total row.

/** The metrics of a report, in a stable order: URLs, bytes, uploads, links, refusals. */
function metricsOf(report) {
  const order = ["urls.", "bytes.", "uploads.", "links.", "refusals."];
  const rank = (metric) => {
    const index = order.findIndex((prefix) => metric.startsWith(prefix));
    return index === -1 ? order.length : index;
  };
  return Object.keys(report.totals).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function rowsOf(report) {
  const metrics = metricsOf(report);
  const rows = report.buckets.map((bucket) => [
    bucket.start,
    ...metrics.map((metric) => String(bucket.counts[metric] ?? 0)),
  ]);
  return {
    header: ["start", ...metrics],
    rows,
    total: ["total", ...metrics.map((m) => String(report.totals[m]))],
  };
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value) {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function usageCsv(report) {
  const { header, rows } = rowsOf(report);
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

export function usageTable(report) {
  const title =
    `tenant ${report.tenant}${report.subject === undefined ? "" : `, subject ${report.subject}`}` +
    `, ${report.from} to ${report.to}, by ${report.granularity}\n`;
  if (report.buckets.length === 0) return `${title}no usage in this range\n`;
  const { header, rows, total } = rowsOf(report);
  const table = [header, ...rows, total];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  const line = (row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column]),
      )
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return `${title}${[line(header), rule, ...rows.map(line), rule, line(total)].join("\n")}\n`;
}
