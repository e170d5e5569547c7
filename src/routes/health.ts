/** `GET /healthz` (no auth). */
import * as v from "valibot";
import { createRoute } from "../openapi/route";
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
        "application/json": { schema: v.object({ ok: v.literal(true), version: v.string() }) },
      },
    },
  },
});

export const health = newRouter().openapi(route, (c) =>
  c.json({ ok: true as const, version: VERSION }, 200),
);
