/** Short links (docs/api.md, "Short links"): create, read, delete (JWT) and resolve (no auth). */
import * as v from "valibot";
import { createRoute } from "../openapi/route";
import { createLink, deleteLink, linkInfo, linkNotFound, resolveLink } from "../links/service";
import { CreateLinkRequest, CreateLinkResult, LinkCode, LinkInfo } from "../links/schema";
import { waitUntilOf } from "../middleware";
import { BEARER, callOf, chargeCaller, jsonBodyOf, newRouter, problemResponses } from "./common";

/** The code's shape is checked first: a malformed code is an unknown link, with no KV read. */
const params = v.object({ code: LinkCode });

/** Replaces the router's 400 for a bad `code`: the same 404 as an unknown code gets. */
const malformedIsUnknown = () => linkNotFound();

const createRouteDef = createRoute({
  method: "post",
  path: "/v1/links",
  summary: "Create a short link that presigns a fresh GET on every visit",
  security: BEARER,
  request: { body: jsonBodyOf(CreateLinkRequest) },
  responses: {
    201: { description: "The link", content: { "application/json": { schema: CreateLinkResult } } },
    ...problemResponses(400, 401, 403, 413, 415, 429, 503),
  },
});

const infoRoute = createRoute({
  method: "get",
  path: "/v1/links/{code}",
  summary: "A link's metadata and use count (owner tenant only)",
  security: BEARER,
  request: { params },
  responses: {
    200: { description: "The link", content: { "application/json": { schema: LinkInfo } } },
    ...problemResponses(401, 403, 404, 503),
  },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/v1/links/{code}",
  summary: "Revoke a link (owner tenant only)",
  security: BEARER,
  request: { params },
  responses: { 204: { description: "Revoked" }, ...problemResponses(401, 403, 404, 503) },
});

const resolveRoute = createRoute({
  method: "get",
  path: "/l/{code}",
  summary: "Follow a short link (no auth; HEAD works too)",
  request: { params },
  responses: {
    302: {
      description: "Redirect to a fresh presigned URL",
      headers: v.object({ Location: v.string(), "Cache-Control": v.literal("no-store") }),
    },
    ...problemResponses(404, 429, 503),
  },
});

export const links = newRouter()
  .openapi(createRouteDef, async (c) => {
    const body = c.req.valid("json");
    await chargeCaller(c, 1);
    const link = await createLink(callOf(c), body, new URL(c.req.url).origin);
    return c.json(link, 201);
  })
  .openapi(
    infoRoute,
    async (c) => c.json(await linkInfo(callOf(c), c.req.valid("param").code), 200),
    malformedIsUnknown,
  )
  .openapi(
    deleteRouteDef,
    async (c) => {
      await deleteLink(callOf(c), c.req.valid("param").code);
      return c.body(null, 204);
    },
    malformedIsUnknown,
  )
  .openapi(
    resolveRoute,
    async (c) => {
      const { url, headers } = await resolveLink({
        env: c.env,
        code: c.req.valid("param").code,
        method: c.req.method === "HEAD" ? "HEAD" : "GET",
        now: new Date(),
        requestId: c.get("requestId"),
        waitUntil: waitUntilOf(c),
      });
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
      c.header("Cache-Control", "no-store");
      c.header("Referrer-Policy", "no-referrer");
      return c.redirect(url, 302);
    },
    malformedIsUnknown,
  );
