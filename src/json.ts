import type { z } from "zod";

/** `raw` parsed as JSON and validated by `schema`, or `undefined` when either step fails. */
export function parseJsonAs<S extends z.ZodType>(schema: S, raw: string): z.output<S> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
