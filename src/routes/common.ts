/** OpenAPI pieces shared by the route files. */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { validationError, type AppEnv } from "../middleware";
import { PROBLEMS } from "../errors";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(PROBLEMS) as [keyof typeof PROBLEMS, ...(keyof typeof PROBLEMS)[]]),
    requestId: z.string(),
    field: z.string().optional(),
  })
  .openapi("Problem");

/** The problem+json responses a route may give, for the OpenAPI document. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: Object.values(PROBLEMS).find((p) => p.status === status)?.title ?? "Error",
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
    ]),
  );
}

export function jsonBodyOf<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

export const BEARER = [{ bearerAuth: [] }];

/** A route group whose request validation failures become 400 problems naming the field. */
export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });
}
