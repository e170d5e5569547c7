/** `POST /v1/presign` and `POST /v1/presign/batch` (docs/api.md, "Presigned URLs"). */
import * as v from "valibot";
import { GatewayError } from "../errors";
import { validationError } from "../middleware";
import { createRoute, parseBody } from "../openapi/route";
import {
  BatchRequest,
  PresignRequest,
  PresignResult,
  PresignResultEntries,
} from "../signing/schema";
import { presignForCaller } from "../signing/service";
import { reserveBatch } from "../usage/counts";
import {
  BEARER,
  callOf,
  chargeCaller,
  jsonBodyOf,
  newRouter,
  problemResponses,
  ProblemSchema,
} from "./common";

const CLIENT_ERRORS = problemResponses(400, 401, 403, 409, 413, 415, 429, 503);

const presignRoute = createRoute({
  method: "post",
  path: "/v1/presign",
  summary: "Presign one S3 request",
  security: BEARER,
  request: { body: jsonBodyOf(PresignRequest) },
  responses: {
    200: {
      description: "A presigned URL and the headers to send with it",
      content: { "application/json": { schema: PresignResult } },
    },
    ...CLIENT_ERRORS,
  },
});

const BatchItem = v.union([
  v.object({ ...PresignResultEntries, ok: v.literal(true) }),
  v.object({ ok: v.literal(false), error: ProblemSchema }),
]);

const batchRoute = createRoute({
  method: "post",
  path: "/v1/presign/batch",
  summary: "Presign up to 100 S3 requests with one token",
  security: BEARER,
  request: { body: jsonBodyOf(BatchRequest) },
  responses: {
    200: {
      description: "One result per request, in order; failed items carry a problem",
      content: { "application/json": { schema: v.object({ results: v.array(BatchItem) }) } },
    },
    ...CLIENT_ERRORS,
  },
});

export const presign = newRouter()
  .openapi(presignRoute, async (c) => {
    const body = c.req.valid("json");
    await chargeCaller(c, 1);
    const result = await presignForCaller(callOf(c), body);
    return c.json(result, 200);
  })
  .openapi(batchRoute, async (c) => {
    const call = callOf(c);
    const { requests } = c.req.valid("json");
    // One charge per item, valid or not (docs/api.md): the whole batch fits or is refused.
    await chargeCaller(c, requests.length);
    const itemCall = await reserveBatch(call, requests);
    const results = await Promise.all(
      requests.map(async (item, index) => {
        try {
          const parsed = parseBody(PresignRequest, item);
          if (!parsed.success) throw validationError(parsed.issues, `requests.${index}.`);
          return { ok: true as const, ...(await presignForCaller(itemCall, parsed.output)) };
        } catch (error) {
          if (!(error instanceof GatewayError)) throw error;
          return { ok: false as const, error: error.toProblem(call.requestId) };
        }
      }),
    );
    return c.json({ results }, 200);
  });
