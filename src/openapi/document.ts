/**
 * The OpenAPI 3.1 document of a set of routers, built from their route configs and the schemas'
 * `docs` entries the first time it is asked for (never at startup), then kept.
 *
 * Schemas registered with an `id` become `components.schemas` (JSON Schema 2020-12, as OpenAPI 3.1
 * uses) and are referenced with `$ref`; request bodies, parameters and responses that have no id
 * get one named after their route, so that every reference between schemas stays a `$ref`.
 * Bodies and parameters are described as the client sends them (`io: "input"`: defaulted members
 * are optional).
 */
import * as z from "zod/mini";
import { docs, type ResponseConfig, type RouteConfig } from "./route";

type Json = Record<string, unknown>;

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

const COMPONENTS = "#/components/schemas/";

export function openapiDocument(
  routes: readonly RouteConfig[],
  info: DocumentInfo,
  securitySchemes: Json,
): Json {
  // Give each unnamed schema a route's body, parameter or response uses a stable id of its own.
  const named = (schema: z.core.$ZodType, id: string): string => {
    const existing = docs.get(schema)?.id;
    if (existing !== undefined) return existing;
    docs.add(schema, { ...docs.get(schema), id });
    return id;
  };
  const paths: Record<string, Json> = {};
  const operations: [RouteConfig, () => Json][] = routes.map((route) => {
    const base = operationId(route);
    const body = route.request?.body?.content["application/json"].schema;
    const bodyId = body === undefined ? undefined : named(body, `${base}Body`);
    const responseIds = Object.entries(route.responses).map(([status, response]) => {
      const contents = Object.entries(response.content ?? {}).map(
        ([type, media]) =>
          [
            type,
            media.schema === undefined ? undefined : named(media.schema, `${base}${status}`),
          ] as const,
      );
      return [status, response, contents] as const;
    });
    return [
      route,
      () => {
        const operation: Json = { summary: route.summary };
        if (route.description !== undefined) operation.description = route.description;
        if (route.security !== undefined) operation.security = route.security;
        const parameters = [
          ...parametersOf(route.request?.params, "path"),
          ...parametersOf(route.request?.query, "query"),
        ];
        if (parameters.length > 0) operation.parameters = parameters;
        if (bodyId !== undefined) {
          operation.requestBody = {
            required: true,
            content: { "application/json": { schema: ref(bodyId) } },
          };
        }
        operation.responses = Object.fromEntries(
          responseIds.map(([status, response, contents]) => [
            status,
            responseOf(response, contents),
          ]),
        );
        return operation;
      },
    ];
  });

  const generated = z.toJSONSchema(docs, {
    metadata: docs,
    io: "input",
    uri: (id) => `${COMPONENTS}${id}`,
    unrepresentable: "any",
  }).schemas;
  const schemas = Object.fromEntries(
    Object.entries(generated).map(([id, schema]) => [id, withoutSchemaKeywords(schema)]),
  );
  for (const [route, operation] of operations) {
    const path = (paths[route.path] ??= {});
    path[route.method] = operation();
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
): Json {
  const answer: Json = { description: response.description };
  if (response.headers !== undefined) {
    answer.headers = Object.fromEntries(
      Object.entries(response.headers._zod.def.shape).map(([name, schema]) => [
        name,
        { schema: inline(schema), required: !isOptional(schema) },
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

function parametersOf(schema: z.core.$ZodObject | undefined, where: "path" | "query"): Json[] {
  if (schema === undefined) return [];
  return Object.entries(schema._zod.def.shape).map(([name, member]) => {
    const parameter: Json = {
      schema: inline(member),
      required: where === "path" || !isOptional(member),
      name,
      in: where,
    };
    const description = docs.get(member)?.description;
    if (description !== undefined) parameter.description = description;
    return parameter;
  });
}

/** A schema written out in place (parameters and headers), with its `docs` annotations. */
function inline(schema: z.core.$ZodType): Json {
  return withoutSchemaKeywords(
    z.toJSONSchema(schema, { io: "input", metadata: docs, unrepresentable: "any" }) as Json,
  );
}

function isOptional(schema: z.core.$ZodType): boolean {
  return schema._zod.optin === "optional";
}

/** OpenAPI schema objects carry no `$schema` or `$id`. */
function withoutSchemaKeywords(schema: Json): Json {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}
