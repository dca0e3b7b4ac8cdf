/**
 * The `rel="next"` target of a `Link` header (RFC 8288), resolved against the request URL, e.g.
 * `</v2/team/web/tags/list?n=100&last=1.2.3>; rel="next"`. Undefined when there is none.
 */
export function nextLink(header: string | null, requestUrl: string): URL | undefined {
  if (header === null) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*((?:;[^;]*)*)$/.exec(part);
    if (match === null) continue;
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(match[2] ?? "");
    const rel = rels?.[1] ?? rels?.[2];
    if (rel === undefined || !rel.toLowerCase().split(/\s+/).includes("next")) continue;
    try {
      return new URL(match[1]!, requestUrl);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
