/**
 * Routes described once, for Hono and for the OpenAPI 3.1 document: a route's config names its
 * method, path, request schemas and responses; `Router.openapi()` registers the handler behind
 * validators built from those schemas, and `openapiDocument()` (./document.ts) turns the same
 * configs into `/openapi.json`. The schemas are zod (zod/mini) schemas: one source for the
 * validation, the TypeScript types and the document.
 *
 * This replaces `@hono/zod-openapi`, whose classic-zod dependency was most of the Worker's bundle
 * and of its startup time (docs/performance.md, "Cold start").
 */
import { Hono, type Context, type Env, type MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// zod/mini loads no locale: without this every issue's message would be "Invalid input". The
// problem details name the rule that failed, as classic zod's English messages did.
z.config(en());

/** What the document says about a schema: `id` makes it a named component. */
export interface SchemaDoc {
  id?: string;
  description?: string;
  example?: unknown;
  format?: string;
  /** Overrides the schema's JSON type in the document (e.g. an item validated later). */
  type?: string;
}

/** Every schema the OpenAPI document names or annotates (`schema.register(docs, {...})`). */
export const docs = z.registry<SchemaDoc>();

type AnySchema = z.core.$ZodType;
type ObjectSchema = z.core.$ZodObject;

export interface MediaType {
  schema?: AnySchema;
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
    body?: { required: true; content: { "application/json": { schema: AnySchema } } };
  };
  responses: Record<number, ResponseConfig>;
}

/** Keeps a route config's literal types, so handlers see its schemas' output types. */
export function createRoute<const R extends RouteConfig>(route: R): R {
  return route;
}

type Out<S> = S extends AnySchema ? z.output<S> : never;
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

/** A zod failure turned into the error the app maps to a problem (400 naming the field). */
export type ValidationFailure = (error: z.core.$ZodError) => Error;

/** A Hono router whose routes are documented and validated from their configs. */
export class Router<E extends Env> extends Hono<E> {
  /** The configs of the routes registered here, in order, for the OpenAPI document. */
  readonly documented: RouteConfig[] = [];
  readonly #failure: ValidationFailure;

  constructor(failure: ValidationFailure) {
    super();
    this.#failure = failure;
  }

  /**
   * Registers `handler` for `route`, behind a validator for each request schema it has. A failed
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
    const checks: MiddlewareHandler[] = [];
    if (params !== undefined) checks.push(validate("param", params, failure));
    if (query !== undefined) checks.push(validate("query", query, failure));
    if (body !== undefined) {
      checks.push(validate("json", body.content["application/json"].schema, failure));
    }
    const path = route.path.replace(/\{(\w+)\}/g, ":$1");
    this.on(
      route.method.toUpperCase(),
      [path],
      ...checks,
      handler as unknown as MiddlewareHandler<E>,
    );
    return this;
  }
}

function validate(
  target: "param" | "query" | "json",
  schema: AnySchema,
  failure: ValidationFailure,
): MiddlewareHandler {
  return validator(target, (value) => {
    const result = z.safeParse(schema, value);
    if (!result.success) throw failure(result.error);
    return result.data;
  });
}
