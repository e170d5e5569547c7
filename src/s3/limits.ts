/**
 * S3's size limits, apart from the modules that use them on uploads (src/signing/post-policy.ts,
 * src/uploads/): usage counting (src/usage/counts.ts) reads them on the presign path too, which
 * must not pull the POST policy signer into the modules a new isolate compiles before it answers
 * (src/hot.ts).
 */

/**
 * S3's largest object in one POST (or PUT): 5 GiB. It is also the top of the size range when
 * neither the request nor the tenant sets a smaller one.
 */
export const MAX_POST_BYTES = 5 * 1024 ** 3;
