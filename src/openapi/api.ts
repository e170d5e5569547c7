/**
 * The gateway's OpenAPI 3.1 document, from its routers' configs and schemas. Built ahead of time
 * (scripts/build.mjs writes it to dist/assets/openapi.json, which the Worker serves at
 * /openapi.json), so the Worker carries neither the JSON Schema converter nor the work of running
 * it; test/routes/plumbing.test.ts checks the served document against a fresh one.
 */
// The webhook payload (component `WebhookEvent`) is documented though no route refers to it; the
// routes' modules no longer import its module, so the document does.
import "../events/schema";
import { routers } from "../routes";
import { VERSION } from "../version";
import { openapiDocument } from "./document";

export function apiDocument(): Record<string, unknown> {
  return openapiDocument(
    routers.flatMap((router) => router.documented),
    { title: "edgesign", version: VERSION, description: "Edge presigning gateway for S3" },
    { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
  );
}
