import { invalidArgument } from "../../core/domain/domain-error.js";

/**
 * Opaque page tokens of the in-memory stores: base64url of `v1:<position>`, where position is the
 * insertion number of the last item returned. Keyset rather than offset paging, so items added
 * while a client pages through do not shift later pages.
 */
export function encodePageToken(position: number): string {
  return Buffer.from(`v1:${position}`, "utf8").toString("base64url");
}

/** The position a token continues after; throws invalid-argument (field `page_token`) when malformed. */
export function decodePageToken(token: string): number {
  const malformed = () => invalidArgument("page_token", "page_token is malformed; pass a next_page_token unchanged");
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw malformed();
  const match = /^v1:(0|[1-9][0-9]{0,15})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) throw malformed();
  return Number(match[1]);
}

/** Rejects a page size the store cannot honour; the API applies defaults and caps before this. */
export function checkPageSize(pageSize: number): void {
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw invalidArgument("page_size", `page_size must be a positive integer, got ${pageSize}`);
  }
}

/**
 * One page of `items` (already newest first, each with its insertion position, positions descending),
 * continuing after `pageToken`.
 */
export function pageOf<T>(
  items: readonly { readonly position: number; readonly item: T }[],
  pageSize: number,
  pageToken: string | undefined,
): { items: T[]; nextPageToken: string } {
  checkPageSize(pageSize);
  const after = pageToken ? decodePageToken(pageToken) : undefined;
  const rest = after === undefined ? items : items.filter((entry) => entry.position < after);
  const page = rest.slice(0, pageSize);
  const last = page[page.length - 1];
  return {
    items: page.map((entry) => entry.item),
    nextPageToken: rest.length > pageSize && last !== undefined ? encodePageToken(last.position) : "",
  };
}
