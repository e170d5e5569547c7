/**
 * Test-only secret values bound into the test worker. Fake by construction; the security
 * suite scans responses and logs for them.
 */
export const TEST_SECRETS = {
  ADMIN_TOKEN: "test-admin-token-5f1c0a7e9b2d4c68",
  S3_TEST: JSON.stringify({
    accessKeyId: "AKIATESTACCESSKEY001",
    secretAccessKey: "test/secret+key/0123456789abcdefGHIJKLMN",
  }),
  S3_TEMP: JSON.stringify({
    accessKeyId: "ASIATESTTEMPKEY00002",
    secretAccessKey: "temp/secret+key/0123456789abcdefGHIJKLMN",
    sessionToken: "FwoGZXIvYXdzEXAMPLE//session+token=",
  }),
  S3_BROKEN: "{not json",
  S3_EMPTY_KEYS: JSON.stringify({ accessKeyId: "", secretAccessKey: "" }),
  HMAC_TEST: "hmac-shared-secret-for-tests-0123456789abcdef",
  /** 31 bytes: one short of HS256's minimum key size. */
  HMAC_SHORT: "hmac-secret-31-bytes-long-abcde",
  /** 16 characters but 32 UTF-8 bytes: long enough, as bytes are what is counted. */
  HMAC_MULTIBYTE: "é".repeat(16),
  /** A Standard Webhooks secret: whsec_ + base64 of 36 bytes. */
  WEBHOOK_TEST: "whsec_ZWRnZXNpZ24td2ViaG9vay10ZXN0LWtleS0wMTIzNDU2Nzg5",
  /** 16 bytes: under the spec's 24. */
  WEBHOOK_SHORT: "whsec_c2hvcnQta2V5LTE2Ynl0ZQ==",
} as const;
