/** One page of a List* RPC. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string;
}

/** Every item of a paged list, or the first `maxPages` pages' worth. */
export interface AllPages<T> {
  readonly items: T[];
  /** True when more pages were left unread. */
  readonly truncated: boolean;
}

/**
 * Reads pages until the token is empty. Pages filtered to a key's scope can be short or even empty and still
 * have a next token (docs/access-control.md), so an empty page does not end the list; `maxPages` bounds it.
 */
export async function listAllPages<T>(
  fetchPage: (pageToken: string) => Promise<Page<T>>,
  maxPages: number,
): Promise<AllPages<T>> {
  const items: T[] = [];
  let token = "";
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(token);
    items.push(...result.items);
    token = result.nextPageToken;
    if (token === "") return { items, truncated: false };
  }
  return { items, truncated: true };
}
