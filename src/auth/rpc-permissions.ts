import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";

/** Every RPC of the UpdateService, by its proto method name (`Update`, `ListTargets`, ...). */
export const updateServiceMethods: readonly string[] = UpdateService.methods.map((method) => method.name);

/** RPCs that change the cluster or the manager's state. */
export const writeMethods: ReadonlySet<string> = new Set(["Update", "CancelUpdate", "ClearQuarantine"]);

/** The `approve` scope: deciding on updates that wait for approval. Never part of "write": a pipeline must not approve. */
export const approveMethods: ReadonlySet<string> = new Set(["ApproveUpdate", "RejectUpdate"]);

/** The `freeze` scope: the global freeze. */
export const freezeMethods: ReadonlySet<string> = new Set(["Freeze", "Unfreeze"]);

/** RPCs that only read: what a dashboard key needs. */
export const readMethods: ReadonlySet<string> = new Set(
  updateServiceMethods.filter((method) => !writeMethods.has(method) && !approveMethods.has(method) && !freezeMethods.has(method)),
);

/** Methods that take from the write rate limit (everything that is not a read). */
export function isWriteMethod(method: string): boolean {
  return !readMethods.has(method);
}

/**
 * Names a configuration may use in `rpcs` besides method names: `"*"` (every RPC), `"read"` (the
 * read-only RPCs: ListTargets, ListUpdates, GetUpdate, WatchUpdate, ListQuarantines, ListAvailableUpdates, GetFreeze),
 * `"write"` (Update, CancelUpdate, ClearQuarantine), `"approve"` (ApproveUpdate, RejectUpdate) and `"freeze"`
 * (Freeze, Unfreeze).
 */
export const rpcGroups: Readonly<Record<string, ReadonlySet<string>>> = {
  "*": new Set(updateServiceMethods),
  read: readMethods,
  write: writeMethods,
  approve: approveMethods,
  freeze: freezeMethods,
};

/**
 * Resolves an `rpcs` list into method names. Returns the problem (naming the entry and the names
 * allowed) instead of throwing, so a loader can report every problem at once.
 */
export function resolveRpcs(entries: readonly string[]): { rpcs: ReadonlySet<string> } | { problem: string } {
  const rpcs = new Set<string>();
  for (const entry of entries) {
    const group = rpcGroups[entry];
    if (group !== undefined) {
      for (const method of group) rpcs.add(method);
    } else if (updateServiceMethods.includes(entry)) {
      rpcs.add(entry);
    } else {
      return {
        problem: `unknown RPC ${JSON.stringify(entry)}: use "*", "read", "write", "approve", "freeze" or one of ${updateServiceMethods.join(", ")}`,
      };
    }
  }
  return { rpcs };
}
