/** `/v1/uploads/*`: presigned POST and multipart uploads (docs/api.md, "Uploads that S3 enforces"). */
import { createRoute } from "../openapi/route";
import {
  AbortRequest,
  CompleteRequest,
  CompleteResult,
  ListPartsQuery,
  ListPartsResult,
  MultipartCreateRequest,
  MultipartCreateResult,
  PostUploadRequest,
  PostUploadResult,
  SignPartsRequest,
  SignPartsResult,
} from "../uploads/schema";
import {
  abortForCaller,
  completeForCaller,
  createMultipartForCaller,
  listPartsForCaller,
  postUploadForCaller,
  signPartsForCaller,
} from "../uploads/service";
import { confirmForCaller, ConfirmRequest, ConfirmResult } from "../uploads/confirm";
import { BEARER, callOf, chargeCaller, jsonBodyOf, newRouter, problemResponses } from "./common";

/** Every upload route may meet these; 404/502 come from S3 (unknown upload, S3 failure). */
const UPLOAD_ERRORS = problemResponses(400, 401, 403, 404, 409, 413, 415, 429, 502, 503);

function ok<T>(description: string, schema: T) {
  return { description, content: { "application/json": { schema } } };
}

const postRoute = createRoute({
  method: "post",
  path: "/v1/uploads/post",
  summary: "A presigned POST form (SigV4 POST policy) for a browser upload",
  security: BEARER,
  request: { body: jsonBodyOf(PostUploadRequest) },
  responses: {
    200: ok("The form's action URL and fields; S3 enforces every condition", PostUploadResult),
    ...UPLOAD_ERRORS,
  },
});

const createMultipartRoute = createRoute({
  method: "post",
  path: "/v1/uploads/multipart",
  summary: "Start a multipart upload (the gateway calls CreateMultipartUpload)",
  security: BEARER,
  request: { body: jsonBodyOf(MultipartCreateRequest) },
  responses: {
    200: ok("The upload id and a suggested part size", MultipartCreateResult),
    ...UPLOAD_ERRORS,
  },
});

const signPartsRoute = createRoute({
  method: "post",
  path: "/v1/uploads/multipart/sign-parts",
  summary: "Presigned UploadPart URLs (PUT) for up to 100 parts",
  security: BEARER,
  request: { body: jsonBodyOf(SignPartsRequest) },
  responses: { 200: ok("One URL per part number, in order", SignPartsResult), ...UPLOAD_ERRORS },
});

const completeRoute = createRoute({
  method: "post",
  path: "/v1/uploads/multipart/complete",
  summary: "Complete a multipart upload (checked against the tenant's upload limit)",
  security: BEARER,
  request: { body: jsonBodyOf(CompleteRequest) },
  responses: {
    200: ok("The stored object", CompleteResult),
    ...UPLOAD_ERRORS,
    // S3 refused a conditional complete (ifNoneMatch, ifMatch, upload.overwrite: deny).
    ...problemResponses(412),
  },
});

const abortRoute = createRoute({
  method: "post",
  path: "/v1/uploads/multipart/abort",
  summary: "Abort a multipart upload and delete its parts",
  security: BEARER,
  request: { body: jsonBodyOf(AbortRequest) },
  responses: { 204: { description: "Aborted" }, ...UPLOAD_ERRORS },
});

const listPartsRoute = createRoute({
  method: "get",
  path: "/v1/uploads/multipart/parts",
  summary: "The parts uploaded so far (ListParts, every page)",
  security: BEARER,
  request: { query: ListPartsQuery },
  responses: { 200: ok("Uploaded parts, by part number", ListPartsResult), ...UPLOAD_ERRORS },
});

const confirmRoute = createRoute({
  method: "post",
  path: "/v1/uploads/confirm",
  summary:
    "Confirm a single PUT or POST upload: the gateway reads the object and emits upload.completed",
  description:
    "HeadObject with the tenant's credentials; answers what S3 holds (size, ETag, content type, " +
    "checksum when stored) and sends `upload.completed` to the tenant's webhooks (docs/webhooks.md).",
  security: BEARER,
  request: { body: jsonBodyOf(ConfirmRequest) },
  responses: { 200: ok("The object as S3 has it", ConfirmResult), ...UPLOAD_ERRORS },
});

/**
 * Rate limits: one unit per URL or form issued (a sign-parts call costs one per part, as a batch
 * costs one per item) and one per S3 call the gateway makes for the caller (create, complete,
 * abort, list), charged after validation and before any work, as for `/v1/presign`.
 */
export const uploads = newRouter()
  .openapi(postRoute, async (c) => {
    const body = c.req.valid("json");
    await chargeCaller(c, 1);
    return c.json(await postUploadForCaller(callOf(c), body), 200);
  })
  .openapi(createMultipartRoute, async (c) => {
    const body = c.req.valid("json");
    await chargeCaller(c, 1);
    return c.json(await createMultipartForCaller(callOf(c), body), 200);
  })
  .openapi(signPartsRoute, async (c) => {
    const body = c.req.valid("json");
    await chargeCaller(c, body.partNumbers.length);
    return c.json(await signPartsForCaller(callOf(c), body), 200);
  })
  .openapi(completeRoute, async (c) => {
    const body = c.req.valid("json");
    await chargeCaller(c, 1);
    return c.json(await completeForCaller(callOf(c), body), 200);
  })
  .openapi(abortRoute, async (c) => {
    const body = c.req.valid("json");
    await chargeCaller(c, 1);
    await abortForCaller(callOf(c), body);
    return c.body(null, 204);
  })
  .openapi(confirmRoute, async (c) => {
    const body = c.req.valid("json");
    await chargeCaller(c, 1);
    return c.json(await confirmForCaller(callOf(c), body), 200);
  })
  .openapi(listPartsRoute, async (c) => {
    const query = c.req.valid("query");
    await chargeCaller(c, 1);
    return c.json(await listPartsForCaller(callOf(c), query), 200);
  });
