/**
 * Structured JSON log lines (one object per line, Workers Logs indexes the fields).
 * Callers pass plain facts; nothing here ever receives a URL with a signature or a secret.
 */
type Fields = Record<string, string | number | boolean | null | undefined>;

export function logInfo(event: string, fields: Fields): void {
  console.log(JSON.stringify({ level: "info", event, ...fields }));
}

export function logError(event: string, fields: Fields): void {
  console.error(JSON.stringify({ level: "error", event, ...fields }));
}
