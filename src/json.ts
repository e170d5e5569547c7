import * as v from "valibot";
import { PARSE_CONFIG } from "./openapi/route";

/** `raw` parsed as JSON and validated by `schema`, or `undefined` when either step fails. */
export function parseJsonAs<S extends v.GenericSchema>(
  schema: S,
  raw: string,
): v.InferOutput<S> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(schema, json, PARSE_CONFIG);
  return parsed.success ? parsed.output : undefined;
}
