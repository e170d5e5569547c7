/**
 * Duplicate member names in a JWT's header or claims set. RFC 7515 §5.2 and RFC 7519 §4 let a
 * parser reject them or keep the last; two parsers that disagree (say, a tenant backend's and
 * ours) are a classic confusion bug (RFC 8725 §2.8), so the gateway rejects them.
 */

/**
 * The first member name that appears twice in the top-level object of `json`, or `undefined`.
 * Assumes `json` is valid JSON (JSON.parse succeeded on it); nested objects are skipped.
 */
export function duplicateMember(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectName = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      if (depth === 1 && expectName) {
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        if (seen.has(name)) return name;
        seen.add(name);
        expectName = false;
      }
      i = end;
    } else if (c === "{" || c === "[") {
      depth += 1;
      expectName = depth === 1 && c === "{";
    } else if (c === "}" || c === "]") {
      depth -= 1;
    } else if (c === "," && depth === 1) {
      expectName = true;
    }
  }
  return undefined;
}

/** Index of the closing quote of the string starting at `start`. */
function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    if (json[i] === "\\") i += 1;
    else if (json[i] === '"') return i;
  }
  return json.length - 1;
}
