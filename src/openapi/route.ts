/**
 * Routes described once, for Hono and for the OpenAPI 3.1 document: a route's config names its
 * method, path, request schemas and responses; `Router.openapi()` registers the handler behind
 * validators built from those schemas, and `openapiDocument()` (./document.ts) turns the same
 * configs into the OpenAPI document. The schemas are valibot schemas: one source for the
 * validation, the TypeScript types and the document.
 *
 * This replaces `@hono/zod-openapi` and zod, whose schemas were most of the Worker's bundle and
 * of its startup time (docs/performance.md, "Cold start"): valibot's are plain objects.
 */
import type { Context, Env, Hono, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import * as v from "valibot";

/** Any valibot schema. */
export type Schema = v.GenericSchema;

/** What the document says of a schema beyond its rules (`description` has its own action). */
export type SchemaDoc = {
  description?: string;
  example?: unknown;
  format?: string;
  /** Overrides the schema's JSON type in the document (e.g. an item validated later). */
  type?: string;
};

/**
 * A pipe action carrying `doc` for the OpenAPI document (./document.ts). At run time it is a
 * plain object that validation skips: `v.pipe(v.string(), v.maxLength(64), documented({...}))`.
 */
export function documented<TInput>(doc: SchemaDoc) {
  return v.metadata<TInput, SchemaDoc>(doc);
}

/** A whole number (JSON Schema `integer`). */
export function integer() {
  return v.pipe(v.number(), v.integer());
}

/** A whole number within `[min, max]`. */
export function integerIn(min: number, max: number) {
  return v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
}

/** Named components of the OpenAPI document, by id. */
export const components = new Map<string, Schema>();

/** `schema`, which the document shows as `components.schemas[id]` and refers to by `$ref`. */
export function component<S extends Schema>(id: string, schema: S): S {
  components.set(id, schema);
  return schema;
}

export type ObjectSchema =
  v.ObjectSchema<v.ObjectEntries, undefined> | v.StrictObjectSchema<v.ObjectEntries, undefined>;

export interface MediaType {
  schema?: Schema;
}

export interface ResponseConfig {
  description: string;
  content?: Record<string, MediaType>;
  /** Response headers, as an object schema (every member required unless optional). */
  headers?: ObjectSchema;
}

export interface RouteConfig {
  method: "get" | "post" | "put" | "delete" | "head";
  /** OpenAPI style: `/admin/tenants/{id}`. */
  path: string;
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  request?: {
    params?: ObjectSchema;
    query?: ObjectSchema;
    body?: { required: true; content: { "application/json": { schema: Schema } } };
  };
  responses: Record<number, ResponseConfig>;
}

/** Keeps a route config's literal types, so handlers see its schemas' output types. */
export function createRoute<const R extends RouteConfig>(route: R): R {
  return route;
}

type Out<S> = S extends Schema ? v.InferOutput<S> : never;
type RequestOf<R extends RouteConfig> = NonNullable<R["request"]>;

/** What `c.req.valid(...)` returns in the handler of route `R`. */
export type ValidatedOf<R extends RouteConfig> = {
  json: Out<NonNullable<RequestOf<R>["body"]>["content"]["application/json"]["schema"]>;
  param: Out<RequestOf<R>["params"]>;
  query: Out<RequestOf<R>["query"]>;
};

export type RouteHandler<E extends Env, R extends RouteConfig> = (
  c: Context<E, string, { in: object; out: ValidatedOf<R> }>,
) => Response | Promise<Response>;

/** A failed validation turned into the error the app maps to a problem (400 naming the field). */
export type ValidationFailure = (issues: readonly v.BaseIssue<unknown>[]) => Error;

/**
 * A group of routes, documented and validated from their configs, that registers itself on the
 * app (`mountOn`). It is not a Hono app of its own: each handler is registered once, on the app's
 * router, which keeps startup short (no router per group, no copy into the app).
 */
export class Router<E extends Env> {
  /** The configs of the routes registered here, in order, for the OpenAPI document. */
  readonly documented: RouteConfig[] = [];
  readonly #routes: { method: string; path: string; handlers: MiddlewareHandler<E>[] }[] = [];
  readonly #failure: ValidationFailure;

  constructor(failure: ValidationFailure) {
    this.#failure = failure;
  }

  /**
   * Adds `handler` for `route`, behind a validator for each request schema it has. A failed
   * validation throws `failure(error)`: the router's (a 400 naming the field) unless the route
   * gives its own.
   */
  openapi<const R extends RouteConfig>(
    route: R,
    handler: RouteHandler<E, R>,
    failure: ValidationFailure = this.#failure,
  ): this {
    this.documented.push(route);
    const { params, query, body } = route.request ?? {};
    const handlers: MiddlewareHandler<E>[] = [];
    if (params !== undefined) handlers.push(validate("param", params, failure));
    if (query !== undefined) handlers.push(validate("query", query, failure));
    if (body !== undefined) {
      handlers.push(validate("json", body.content["application/json"].schema, failure));
    }
    handlers.push(handler as unknown as MiddlewareHandler<E>);
    const path = route.path.replace(/\{(\w+)\}/g, ":$1");
    this.#routes.push({ method: route.method.toUpperCase(), path, handlers });
    return this;
  }

  /** Registers every route of the group on `app`. */
  mountOn(app: Hono<E>): void {
    for (const { method, path, handlers } of this.#routes) app.on(method, [path], ...handlers);
  }
}

/**
 * Validation stops at the first issue (one problem names one field), and so no check of an
 * object's pipe ever sees members that failed their own rules.
 */
export const PARSE_CONFIG = { abortEarly: true } as const;

/** A JSON object: valibot's object schemas would also take an array (it is an `object`). */
const JSON_OBJECT = v.custom<Record<string, unknown>>(
  (input) => typeof input === "object" && input !== null && !Array.isArray(input),
  "Invalid type: expected a JSON object",
);

/** A request body (or a batch item) validated by `schema`; an array or a primitive never is. */
export function parseBody<S extends Schema>(schema: S, value: unknown) {
  const shape = v.safeParse(JSON_OBJECT, value);
  if (!shape.success) return { success: false as const, issues: shape.issues };
  return v.safeParse(schema, value, PARSE_CONFIG);
}

function validate(
  target: "param" | "query" | "json",
  schema: Schema,
  failure: ValidationFailure,
): MiddlewareHandler {
  return validator(target, (value) => {
    const result = parseBody(schema, value);
    if (!result.success) throw failure(result.issues);
    return result.output;
  });
}
