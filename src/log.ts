/**
 * Structured JSON log lines (one object per line, Workers Logs indexes the fields).
 * Callers pass plain facts; nothing here ever receives a URL with a signature or a secret.
 */
type Fields = Record<string, string | number | boolean | null | undefined>;

/** `LOG_LEVEL`: "info" (default) logs every issued URL; "error" logs only failures. */
let infoEnabled = true;

/** Applies the `LOG_LEVEL` var; the app calls it once per request (vars are per deployment). */
export function setLogLevel(level: string | undefined): void {
  infoEnabled = level !== "error";
}

export function logInfo(event: string, fields: Fields): void {
  if (infoEnabled) console.log(JSON.stringify({ level: "info", event, ...fields }));
}

export function logError(event: string, fields: Fields): void {
  console.error(JSON.stringify({ level: "error", event, ...fields }));
}
