/**
 * The OpenAPI 3.1 document of a set of routes, from their configs and schemas. Run ahead of time
 * (src/openapi/api.ts, scripts/build.mjs): the Worker never carries the JSON Schema converter.
 *
 * Schemas registered with `component(id, …)` become `components.schemas` (JSON Schema 2020-12,
 * as OpenAPI 3.1 uses) and are referenced with `$ref`; request bodies and responses that have no
 * id get one named after their route, so that every reference between schemas stays a `$ref`.
 * Bodies and parameters are described as the client sends them (`typeMode: "input"`: members
 * with a default are optional). Checks that JSON Schema cannot say (cross-member rules) are left
 * out of the document, as before.
 */
import { toJsonSchema, toJsonSchemaDefs, type ConversionConfig } from "@valibot/to-json-schema";
import {
  components,
  type ObjectSchema,
  type ResponseConfig,
  type RouteConfig,
  type Schema,
} from "./route";

type Json = Record<string, unknown>;

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

const COMPONENTS = "#/components/schemas/";

const CONVERSION: ConversionConfig = {
  target: "draft-2020-12",
  typeMode: "input",
  errorMode: "ignore",
  // `documented({...})` (a metadata action) adds its keys to the schema's JSON.
  overrideAction: ({ valibotAction, jsonSchema }) =>
    valibotAction.type === "metadata"
      ? { ...jsonSchema, ...(valibotAction as unknown as { metadata: Json }).metadata }
      : undefined,
};

export function openapiDocument(
  routes: readonly RouteConfig[],
  info: DocumentInfo,
  securitySchemes: Json,
): Json {
  const ids = new Map<Schema, string>([...components].map(([id, schema]) => [schema, id]));
  const named = (schema: Schema, id: string): string => {
    const existing = ids.get(schema);
    if (existing !== undefined) return existing;
    ids.set(schema, id);
    return id;
  };
  const operations = routes.map((route) => {
    const base = operationId(route);
    const body = route.request?.body?.content["application/json"].schema;
    const bodyId = body === undefined ? undefined : named(body, `${base}Body`);
    const responses = Object.entries(route.responses).map(([status, response]) => {
      const contents = Object.entries(response.content ?? {}).map(
        ([type, media]) =>
          [
            type,
            media.schema === undefined ? undefined : named(media.schema, `${base}${status}`),
          ] as const,
      );
      return [status, response, contents] as const;
    });
    return { route, bodyId, responses };
  });

  const definitions = Object.fromEntries([...ids].map(([schema, id]) => [id, schema]));
  const schemas = refsToComponents(
    toJsonSchemaDefs(definitions, CONVERSION) as unknown as Record<string, Json>,
  );

  const paths: Record<string, Json> = {};
  for (const { route, bodyId, responses } of operations) {
    const operation: Json = { summary: route.summary };
    if (route.description !== undefined) operation.description = route.description;
    if (route.security !== undefined) operation.security = route.security;
    const parameters = [
      ...parametersOf(route.request?.params, "path", definitions),
      ...parametersOf(route.request?.query, "query", definitions),
    ];
    if (parameters.length > 0) operation.parameters = parameters;
    if (bodyId !== undefined) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: ref(bodyId) } },
      };
    }
    operation.responses = Object.fromEntries(
      responses.map(([status, response, contents]) => [
        status,
        responseOf(response, contents, definitions),
      ]),
    );
    const path = (paths[route.path] ??= {});
    path[route.method] = operation;
  }
  return { openapi: "3.1.0", info, components: { securitySchemes, schemas }, paths };
}

/** `post /v1/uploads/multipart/sign-parts` → `PostV1UploadsMultipartSignParts`. */
function operationId(route: RouteConfig): string {
  return `${route.method}/${route.path}`
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "")
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join("");
}

function ref(id: string): Json {
  return { $ref: `${COMPONENTS}${id}` };
}

function responseOf(
  response: ResponseConfig,
  contents: readonly (readonly [string, string | undefined])[],
  definitions: Record<string, Schema>,
): Json {
  const answer: Json = { description: response.description };
  if (response.headers !== undefined) {
    answer.headers = Object.fromEntries(
      Object.entries(response.headers.entries).map(([name, schema]) => [
        name,
        { schema: inline(schema, definitions), required: !isOptional(schema) },
      ]),
    );
  }
  if (contents.length > 0) {
    answer.content = Object.fromEntries(
      contents.map(([type, id]) => [type, id === undefined ? {} : { schema: ref(id) }]),
    );
  }
  return answer;
}

function parametersOf(
  schema: ObjectSchema | undefined,
  where: "path" | "query",
  definitions: Record<string, Schema>,
): Json[] {
  if (schema === undefined) return [];
  return Object.entries(schema.entries).map(([name, member]) => {
    const json = inline(member, definitions);
    const parameter: Json = {
      schema: json,
      required: where === "path" || !isOptional(member),
      name,
      in: where,
    };
    if (typeof json.description === "string") parameter.description = json.description;
    return parameter;
  });
}

/** A schema written out in place (parameters and headers); named ones stay references. */
function inline(schema: Schema, definitions: Record<string, Schema>): Json {
  const {
    $schema: _schema,
    $defs: _defs,
    ...json
  } = toJsonSchema(schema, {
    ...CONVERSION,
    definitions,
  }) as unknown as Json;
  return refsToComponents({ json }).json as Json;
}

function isOptional(schema: Schema): boolean {
  return schema.type === "optional" || schema.type === "exact_optional";
}

/** The converter refers to `#/$defs/<id>`; the document keeps them in `components.schemas`. */
function refsToComponents<T extends Record<string, Json>>(schemas: T): T {
  return JSON.parse(
    JSON.stringify(schemas).replaceAll('"#/$defs/', `"${COMPONENTS}`),
    (key, value: unknown) => (key === "$schema" ? undefined : value),
  ) as T;
}
