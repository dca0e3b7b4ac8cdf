/** What the page shows: the overview, or additionally the live view of one update. */
export type Route = { readonly view: "overview" } | { readonly view: "update"; readonly updateId: string };

const updatePrefix = "#/updates/";

/**
 * Reads `location.hash`. `#/updates/<id>` opens an update's live view, so a pipeline can print a link to the
 * update it started; anything else is the overview.
 */
export function parseRoute(hash: string): Route {
  if (!hash.startsWith(updatePrefix)) return { view: "overview" };
  let updateId: string;
  try {
    updateId = decodeURIComponent(hash.slice(updatePrefix.length));
  } catch {
    return { view: "overview" };
  }
  // Ids are UUIDs; anything long or with a path in it is not an id.
  if (updateId === "" || updateId.length > 128 || updateId.includes("/")) return { view: "overview" };
  return { view: "update", updateId };
}

/** The link that opens an update's live view. */
export function updateHref(updateId: string): string {
  return `${updatePrefix}${encodeURIComponent(updateId)}`;
}
