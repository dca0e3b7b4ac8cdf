import { invalidArgument } from "../../core/domain/domain-error.js";
import { decodePageToken, encodePageToken, isPagePosition, malformedPageToken } from "../../core/domain/page-token.js";

/**
 * Page tokens of the in-memory stores (and the quarantine ConfigMap): the insertion number of the last item
 * returned, as a "v1" page token. Keyset rather than offset paging, so items added while a client pages through
 * do not shift later pages.
 */
export function encodePositionPageToken(position: number): string {
  return encodePageToken("v1", [position]);
}

/** The position a token continues after; throws invalid-argument (field `page_token`) when malformed. */
export function decodePositionPageToken(token: string): number {
  const [position, ...rest] = decodePageToken(token, "v1");
  if (!isPagePosition(position) || rest.length > 0) throw malformedPageToken();
  return position;
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
  const after = pageToken ? decodePositionPageToken(pageToken) : undefined;
  const rest = after === undefined ? items : items.filter((entry) => entry.position < after);
  const page = rest.slice(0, pageSize);
  const last = page[page.length - 1];
  return {
    items: page.map((entry) => entry.item),
    nextPageToken: rest.length > pageSize && last !== undefined ? encodePositionPageToken(last.position) : "",
  };
}
