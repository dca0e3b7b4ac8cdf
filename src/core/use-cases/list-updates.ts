import type { UpdateRecord, UpdateState } from "../domain/update.js";
import type { Page, UpdateStore } from "../ports/update-store.js";
import { resolvePageSize } from "./page-size.js";

export interface ListUpdatesRequest {
  /** Default 50, at most 500. */
  readonly pageSize?: number;
  readonly pageToken?: string;
  readonly classifier?: string;
  readonly states?: readonly UpdateState[];
  readonly requester?: string;
}

export const defaultUpdatePageSize = 50;
export const maxUpdatePageSize = 500;

export type ListUpdates = (request: ListUpdatesRequest) => Promise<Page<UpdateRecord>>;

/** Lists recorded updates, newest first. */
export function createListUpdates(deps: { readonly store: UpdateStore }): ListUpdates {
  return async (request) =>
    deps.store.list({
      pageSize: resolvePageSize(request.pageSize, defaultUpdatePageSize, maxUpdatePageSize),
      ...(request.pageToken ? { pageToken: request.pageToken } : {}),
      ...(request.classifier ? { classifier: request.classifier } : {}),
      ...(request.states && request.states.length > 0 ? { states: request.states } : {}),
      ...(request.requester ? { requester: request.requester } : {}),
    });
}
