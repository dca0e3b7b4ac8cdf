import type { AvailableUpdate } from "../domain/available-update.js";
import { decodePageToken, encodePageToken, isPagePosition, malformedPageToken } from "../domain/page-token.js";
import type { Page } from "../ports/update-store.js";
import type { WatchStateStore } from "../ports/watch-state-store.js";
import { resolvePageSize } from "./page-size.js";

export interface ListAvailableUpdatesRequest {
  /** Only workloads opted in with this classifier. */
  readonly classifier?: string;
  /** Only workloads in this namespace. */
  readonly namespace?: string;
  /** Default 100, at most 500. */
  readonly pageSize?: number;
  readonly pageToken?: string;
}

export type ListAvailableUpdates = (request: ListAvailableUpdatesRequest) => Promise<Page<AvailableUpdate>>;

export const defaultAvailablePageSize = 100;
export const maxAvailablePageSize = 500;

/**
 * Newer versions the registry watcher found and did not (or not yet) apply, ordered by namespace, kind, name and
 * container. Read from the durable watch state, so every replica answers alike (only the leader checks).
 */
export function createListAvailableUpdates(deps: { readonly state: WatchStateStore }): ListAvailableUpdates {
  return async (request) => {
    const pageSize = resolvePageSize(request.pageSize, defaultAvailablePageSize, maxAvailablePageSize);
    const offset = request.pageToken ? decodeOffset(request.pageToken) : 0;
    const { available } = await deps.state.load();
    const matching = available.filter(
      (entry) =>
        (!request.classifier || entry.classifier === request.classifier) &&
        (!request.namespace || entry.workload.namespace === request.namespace),
    );
    const items = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize < matching.length ? encodeOffset(offset + pageSize) : "";
    return { items, nextPageToken: next };
  };
}

/** Offsets suffice: the list changes only once per watch cycle, and a page token is for walking it now. */
function encodeOffset(offset: number): string {
  return encodePageToken("a1", [offset]);
}

function decodeOffset(token: string): number {
  const [offset] = decodePageToken(token, "a1");
  if (!isPagePosition(offset)) throw malformedPageToken();
  return offset;
}
