import { describe, expect, it } from "vitest";
import {
  CompleteMultipartUploadXml,
  escapeXml,
  InitiateMultipartUploadXml,
  ListPartsXml,
  parseXml,
  parseXmlAs,
  s3ErrorCode,
} from "../../src/s3/xml";

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

describe("S3 XML answers", () => {
  it("reads an upload id as a string, namespace and declaration notwithstanding", () => {
    const text = `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult ${NS}><Bucket>b</Bucket><Key>k</Key><UploadId>0012e5</UploadId></InitiateMultipartUploadResult>`;
    expect(
      parseXmlAs(InitiateMultipartUploadXml, text)?.InitiateMultipartUploadResult.UploadId,
    ).toBe("0012e5");
  });

  it("decodes &quot; in ETags and reads one <Part> as a list of one", () => {
    const text = `<ListPartsResult ${NS}><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag><Size>5242880</Size></Part></ListPartsResult>`;
    expect(parseXmlAs(ListPartsXml, text)?.ListPartsResult).toEqual({
      IsTruncated: "false",
      Part: [{ PartNumber: 1, ETag: '"abc"', Size: 5242880 }],
    });
  });

  it("reads a truncated page's marker, an empty list and an empty marker", () => {
    const page = parseXmlAs(
      ListPartsXml,
      `<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>1000</NextPartNumberMarker></ListPartsResult>`,
    );
    expect(page?.ListPartsResult).toEqual({ IsTruncated: "true", NextPartNumberMarker: 1000 });
    const empty = parseXmlAs(
      ListPartsXml,
      `<ListPartsResult><NextPartNumberMarker></NextPartNumberMarker><IsTruncated>false</IsTruncated></ListPartsResult>`,
    );
    expect(empty?.ListPartsResult.Part).toBeUndefined();
    expect(empty?.ListPartsResult.NextPartNumberMarker).toBeUndefined();
  });

  it("refuses what is not the expected document: wrong root, bad numbers, broken XML", () => {
    expect(parseXmlAs(ListPartsXml, "<Other/>")).toBeUndefined();
    expect(
      parseXmlAs(
        ListPartsXml,
        "<ListPartsResult><Part><PartNumber>x</PartNumber><ETag>e</ETag><Size>1</Size></Part></ListPartsResult>",
      ),
    ).toBeUndefined();
    expect(parseXml("<a><b></a>")).toBeUndefined();
    expect(parseXml("")).toBeUndefined();
    expect(parseXml("not xml at all")).toBeUndefined();
  });

  it("finds S3's error code, and nothing in a body that is not an S3 error", () => {
    expect(
      s3ErrorCode(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message></Message><RequestId>tx1</RequestId></Error>`,
      ),
    ).toBe("NoSuchUpload");
    expect(s3ErrorCode("<html><body>502 Bad Gateway</body></html>")).toBeUndefined();
    expect(s3ErrorCode("<Error><Code>not a code!</Code></Error>")).toBeUndefined();
  });

  it("reads the object's ETag from CompleteMultipartUploadResult", () => {
    const text = `<CompleteMultipartUploadResult ${NS}><Location>l</Location><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag></CompleteMultipartUploadResult>`;
    expect(parseXmlAs(CompleteMultipartUploadXml, text)?.CompleteMultipartUploadResult.ETag).toBe(
      '"3858f62230ac3c915f300c664312c11f-9"',
    );
  });

  it("decodes XML character references, but never expands entities a DOCTYPE declares", () => {
    expect(parseXml("<ETag>&#34;a&#x22;&#128512;&amp;lt;</ETag>")).toEqual({ ETag: '"a"😀&lt;' });
    const declared = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "EXPANDED">]><ETag>&e;</ETag>`;
    // The whole document is refused (a DOCTYPE is never read), so nothing can be expanded.
    expect(parseXml(declared)).toBeUndefined();
  });

  it("reads a pretty-printed page with comments the same as a compact one", () => {
    const compact = `<ListPartsResult ${NS}><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag><Size>5</Size></Part><Part><PartNumber>2</PartNumber><ETag>"def"</ETag><Size>6</Size></Part></ListPartsResult>`;
    const pretty = `<?xml version="1.0" encoding="UTF-8"?>
<!-- radosgw -->
<ListPartsResult ${NS}>
  <IsTruncated>false</IsTruncated>
  <Part>
    <PartNumber>1</PartNumber>
    <ETag>
      &quot;abc&quot;
    </ETag>
    <Size>5</Size>
  </Part>
  <Part><PartNumber>2</PartNumber><ETag><![CDATA["def"]]></ETag><Size> 6 </Size></Part>
</ListPartsResult>
`;
    const expected = {
      IsTruncated: "false",
      Part: [
        { PartNumber: 1, ETag: '"abc"', Size: 5 },
        { PartNumber: 2, ETag: '"def"', Size: 6 },
      ],
    };
    expect(parseXmlAs(ListPartsXml, compact)?.ListPartsResult).toEqual(expected);
    expect(parseXmlAs(ListPartsXml, pretty)?.ListPartsResult).toEqual(expected);
  });

  it("matches elements on local names, whatever their namespace prefix", () => {
    const text = `<s3:Error xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Code>SlowDown</s3:Code></s3:Error>`;
    expect(s3ErrorCode(text)).toBe("SlowDown");
  });

  it("finds no error code in a body that is not well-formed, has a DOCTYPE or repeats <Code>", () => {
    expect(s3ErrorCode("<Error><Code>SlowDown</Code>")).toBeUndefined();
    expect(s3ErrorCode("<!DOCTYPE Error><Error><Code>SlowDown</Code></Error>")).toBeUndefined();
    expect(s3ErrorCode("<Error><Code>A</Code><Code>B</Code></Error>")).toBeUndefined();
    expect(s3ErrorCode("<Error><Code>SlowDown</Code></Error><Error/>")).toBeUndefined();
  });

  it("escapes text so a value cannot open an element", () => {
    const escaped = escapeXml(`"a"<b>&'`);
    expect(escaped).not.toMatch(/[<>"']|&(?!#\d+;)/);
    expect(parseXml(`<ETag>${escaped}</ETag>`)).toEqual({ ETag: `"a"<b>&'` });
  });
});
