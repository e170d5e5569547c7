import { describe, expect, it } from "vitest";
import providersDoc from "../../docs/providers.md?raw";
import { GatewayError } from "../../src/errors";
import {
  CAPABILITIES,
  capabilitiesOf,
  CHECKSUM_ALGORITHMS,
  expiryProblem,
  PROVIDERS,
  requireCapability,
  styleProblem,
  type Capabilities,
} from "../../src/s3/providers";

const WEEK = 604_800;

describe("capabilitiesOf", () => {
  it("gives the provider's column, and supportsPost overrides its POST cell both ways", () => {
    expect(capabilitiesOf({ provider: "r2" })).toBe(CAPABILITIES.r2);
    expect(capabilitiesOf({ provider: "r2", supportsPost: true }).postPolicy).toBe(true);
    expect(capabilitiesOf({ provider: "aws", supportsPost: false }).postPolicy).toBe(false);
    // The override changes nothing else.
    expect({
      ...capabilitiesOf({ provider: "r2", supportsPost: true }),
      postPolicy: false,
    }).toEqual(CAPABILITIES.r2);
  });
});

describe("requireCapability", () => {
  it("refuses a missing feature with 409 unsupported_by_provider naming feature, provider and field", () => {
    let thrown: unknown;
    try {
      requireCapability({ provider: "r2" }, CAPABILITIES.r2.tagging, "tagging", "tagging");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    const error = thrown as GatewayError;
    expect(error.code).toBe("unsupported_by_provider");
    expect(error.message).toMatch(/^tagging is not supported by provider 'r2'/);
    expect(error.field).toBe("tagging");
  });

  it("lets a supported feature through", () => {
    expect(() =>
      requireCapability({ provider: "aws" }, CAPABILITIES.aws.tagging, "x"),
    ).not.toThrow();
  });
});

describe("the table", () => {
  it("lists checksum types S3 defines for each algorithm: CRC64NVME full object only, SHA composite only", () => {
    for (const provider of PROVIDERS) {
      const { checksums } = CAPABILITIES[provider];
      expect(checksums.CRC64NVME ?? [], provider).not.toContain("COMPOSITE");
      expect(checksums.SHA1 ?? [], provider).not.toContain("FULL_OBJECT");
      expect(checksums.SHA256 ?? [], provider).not.toContain("FULL_OBJECT");
    }
  });

  it("gives generic at least every cell any other provider claims (it makes no claim)", () => {
    const generic = CAPABILITIES.generic;
    for (const provider of PROVIDERS) {
      const c = CAPABILITIES[provider];
      for (const cell of [
        "postPolicy",
        "conditionalPut",
        "conditionalComplete",
        "tagging",
        "virtualHost",
      ] as const) {
        if (c[cell]) expect(generic[cell], `${provider}.${cell}`).toBe(true);
      }
      for (const algorithm of CHECKSUM_ALGORITHMS) {
        for (const type of c.checksums[algorithm] ?? []) {
          expect(generic.checksums[algorithm], `${provider} ${algorithm}`).toContain(type);
        }
      }
      for (const mode of c.sse) expect(generic.sse).toContain(mode);
      expect(generic.storageClasses).toBeUndefined();
      expect(generic.maxExpiresIn).toBeGreaterThanOrEqual(c.maxExpiresIn);
    }
  });

  it("keeps the ceph cells radosgw 16.2 proved: no checksums, no conditional complete, no tagging", () => {
    // test/e2e/providers.test.ts shows the server ignoring each of these silently.
    expect(CAPABILITIES.ceph.checksums).toEqual({});
    expect(CAPABILITIES.ceph.conditionalComplete).toBe(false);
    expect(CAPABILITIES.ceph.tagging).toBe(false);
    expect(CAPABILITIES.ceph.conditionalPut).toBe(true);
  });

  it("never allows a presigned URL longer than SigV4's 7 days", () => {
    for (const provider of PROVIDERS) {
      expect(CAPABILITIES[provider].maxExpiresIn).toBeLessThanOrEqual(WEEK);
    }
  });
});

describe("provider-wide checks at admin PUT", () => {
  const pathOnly: Capabilities = { ...CAPABILITIES.aws, virtualHost: false };
  const oneHour: Capabilities = { ...CAPABILITIES.aws, maxExpiresIn: 3600 };

  it("styleProblem refuses virtual-host style only where the provider lacks it", () => {
    expect(styleProblem({ provider: "aws", style: "virtual" }, pathOnly)).toBe(
      `virtual-host style is not supported by provider 'aws': use style "path"`,
    );
    expect(styleProblem({ provider: "aws", style: "path" }, pathOnly)).toBeUndefined();
    for (const provider of PROVIDERS) {
      expect(styleProblem({ provider, style: "virtual" })).toBeUndefined();
    }
  });

  it("expiryProblem refuses a maxExpiresIn above the provider's longest URL, not at it", () => {
    expect(expiryProblem(3601, { provider: "aws" }, oneHour)).toBe(
      "must not exceed 3600 s, the longest presigned URL lifetime provider 'aws' accepts",
    );
    expect(expiryProblem(3600, { provider: "aws" }, oneHour)).toBeUndefined();
    for (const provider of PROVIDERS) {
      expect(expiryProblem(WEEK, { provider })).toBeUndefined();
      expect(expiryProblem(WEEK + 1, { provider })).toMatch(/must not exceed 604800 s/);
    }
  });
});

/** The rows of the first table under "## The table" in docs/providers.md, by capability label. */
function docTable(): Map<string, string[]> {
  const section = providersDoc.split("\n## The table")[1]?.split("\n## ")[0] ?? "";
  const rows = section
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  const [header, , ...body] = rows;
  expect(header?.slice(1)).toEqual([...PROVIDERS]);
  return new Map(body.map(([label = "", ...cells]) => [label.replace(/ \(`.*`\)$/, ""), cells]));
}

const yesNo = (value: boolean) => (value ? "yes" : "no");
const list = (values: readonly string[] | undefined, none: string) =>
  values === undefined || values.length === 0 ? none : values.join(", ");

/** What docs/providers.md should say in each row for a provider's capabilities. */
const ROWS: Record<string, (c: Capabilities) => string> = {
  "POST policy": (c) => yesNo(c.postPolicy),
  ...Object.fromEntries(
    CHECKSUM_ALGORITHMS.map((algorithm) => [
      `${algorithm} checksum`,
      (c: Capabilities) => list(c.checksums[algorithm], "no"),
    ]),
  ),
  "conditional PUT": (c) => yesNo(c.conditionalPut),
  "conditional complete": (c) => yesNo(c.conditionalComplete),
  "tagging on upload": (c) => yesNo(c.tagging),
  "server-side encryption": (c) => list(c.sse, "no"),
  "storage classes": (c) => list(c.storageClasses, "server's list"),
  "longest presigned URL, s": (c) => String(c.maxExpiresIn),
  "virtual-host style": (c) => yesNo(c.virtualHost),
  "If-Match ETag form": (c) => c.ifMatchEtag,
};

describe("docs/providers.md", () => {
  it("shows every cell of CAPABILITIES as it is, each non-generic one with a source", () => {
    const table = docTable();
    expect([...table.keys()].sort()).toEqual(Object.keys(ROWS).sort());
    for (const [label, expected] of Object.entries(ROWS)) {
      PROVIDERS.forEach((provider, column) => {
        const cell = table.get(label)?.[column] ?? "";
        const source = /\s\[([ARCM]\d)\]$/.exec(cell);
        if (provider !== "generic") expect(source, `${label} / ${provider}`).not.toBeNull();
        const value = source === null ? cell : cell.slice(0, source.index);
        expect(value, `${label} / ${provider}`).toBe(expected(CAPABILITIES[provider]));
        if (source !== null) expect(providersDoc).toContain(`- [${source[1]}]: `);
      });
    }
  });
});
