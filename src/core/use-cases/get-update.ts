import { DomainError } from "../domain/domain-error.js";
import type { UpdateRecord } from "../domain/update.js";
import type { UpdateStore } from "../ports/update-store.js";

export type GetUpdate = (id: string) => Promise<UpdateRecord>;

export function createGetUpdate(deps: { readonly store: UpdateStore }): GetUpdate {
  return async (id) => {
    const record = id === "" ? undefined : await deps.store.get(id);
    if (record === undefined) throw updateNotFound(id);
    return record;
  };
}

export function updateNotFound(id: string): DomainError {
  return new DomainError("not-found", "UPDATE_NOT_FOUND", id === "" ? "update_id is required" : `update ${id} not found`, {
    metadata: { update_id: id },
  });
}
