import type { QuarantineRecord } from "../domain/quarantine.js";
import type { QuarantineStore } from "../ports/quarantine-store.js";
import type { Page } from "../ports/update-store.js";
import { resolvePageSize } from "./page-size.js";

export interface ListQuarantinesRequest {
  readonly namespace?: string;
  /** Default 100, at most 500. */
  readonly pageSize?: number;
  readonly pageToken?: string;
}

export const defaultQuarantinePageSize = 100;
export const maxQuarantinePageSize = 500;

export type ListQuarantines = (request: ListQuarantinesRequest) => Promise<Page<QuarantineRecord>>;

/** Lists quarantine records, newest first. */
export function createListQuarantines(deps: { readonly quarantines: QuarantineStore }): ListQuarantines {
  return async (request) =>
    deps.quarantines.list({
      pageSize: resolvePageSize(request.pageSize, defaultQuarantinePageSize, maxQuarantinePageSize),
      ...(request.namespace ? { namespace: request.namespace } : {}),
      ...(request.pageToken ? { pageToken: request.pageToken } : {}),
    });
}
