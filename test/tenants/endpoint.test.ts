import { describe, expect, it } from "vitest";
import * as v from "valibot";
import { BucketConfig } from "../../src/tenants/schema";

function endpointIssues(endpoint: string): string[] {
  const parsed = v.safeParse(BucketConfig, {
    endpoint,
    bucket: "abc",
    style: "path",
    credentials: "S",
  });
  return parsed.success
    ? []
    : parsed.issues.map(
        (issue) =>
          `${(issue.path ?? []).map((item) => String(item.key)).join(".")}: ${issue.message}`,
      );
}

describe("a bucket endpoint is https, or http on a loopback host only", () => {
  for (const endpoint of [
    "https://s3.us-east-1.amazonaws.com",
    "HTTPS://S3.EXAMPLE.COM",
    "https://10.0.0.1:9000",
    "http://127.0.0.1:7480",
    "http://127.8.9.10",
    "http://0x7f.1:7480",
    "http://2130706433",
    "http://localhost:9000",
    "HTTP://LOCALHOST:7480",
    "http://s3.localhost:7480",
    "http://[::1]:9000",
    "http://[0:0:0:0:0:0:0:1]",
  ]) {
    it(`accepts ${endpoint}`, () => {
      expect(endpointIssues(endpoint)).toEqual([]);
    });
  }

  const refused: [endpoint: string, why: string][] = [
    ["http://s3.example.com", "a remote host"],
    ["HTTP://S3.EXAMPLE.COM", "a remote host in capitals"],
    ["http://10.0.0.1:9000", "a private, not loopback, address"],
    ["http://0.0.0.0:7480", "the unspecified address"],
    ["http://128.0.0.1", "an address next to 127.0.0.0/8"],
    ["http://127.0.0.1.evil.com", "a name under evil.com that starts like a loopback address"],
    ["http://localhost.evil.com", "a name under evil.com that starts with localhost"],
    ["http://evillocalhost", "a name that only ends like localhost"],
    ["http://localhost.", "localhost with a trailing dot"],
    ["http://.localhost", "an empty label before localhost"],
    ["http://[::ffff:127.0.0.1]", "an IPv4-mapped IPv6 address"],
    ["http://[::]", "the IPv6 unspecified address"],
    ["http://localhost@evil.com", "user info that looks like the host"],
    ["https://user:pass@s3.example.com", "user info, even over https"],
    ["https://s3.example.com/#x", "a fragment"],
    ["ftp://127.0.0.1", "another scheme"],
  ];
  for (const [endpoint, why] of refused) {
    it(`refuses ${endpoint}: ${why}`, () => {
      const issues = endpointIssues(endpoint);
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.every((issue) => issue.startsWith("endpoint: "))).toBe(true);
    });
  }

  it("says why plain http to a remote host is refused", () => {
    expect(endpointIssues("http://s3.example.com")).toEqual([
      "endpoint: https, or http only for a loopback host (127.0.0.0/8, [::1], localhost, *.localhost)",
    ]);
  });
});
