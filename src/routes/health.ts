/** `GET /healthz` (no auth). */
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./common";
import { VERSION } from "../version";

const route = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness and version",
  responses: {
    200: {
      description: "The gateway is up",
      content: {
        "application/json": { schema: z.object({ ok: z.literal(true), version: z.string() }) },
      },
    },
  },
});

export const health = newRouter().openapi(route, (c) =>
  c.json({ ok: true as const, version: VERSION }, 200),
);
