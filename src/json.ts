import * as z from "zod/mini";

/** `raw` parsed as JSON and validated by `schema`, or `undefined` when either step fails. */
export function parseJsonAs<S extends z.core.$ZodType>(
  schema: S,
  raw: string,
): z.output<S> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = z.safeParse(schema, json);
  return parsed.success ? parsed.data : undefined;
}
