import { NodePlanService } from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";

/** Every RPC of the UpdateService, by its proto method name (`Update`, `ListTargets`, ...). */
export const updateServiceMethods: readonly string[] = UpdateService.methods.map((method) => method.name);

/**
 * The `plans` scope: reading and watching node upgrade plans (ListNodePlans, GetNodePlan, WatchNodePlan,
 * PreviewNodePlan). All reads, also in `read`; plans are cluster-wide, so only a grant restricted to no classifier,
 * namespace or repository may call them.
 */
export const planMethods: ReadonlySet<string> = new Set(NodePlanService.methods.map((method) => method.name));

/** Every RPC a grant can name, of both services (method names are unique across them). */
export const allMethods: readonly string[] = [...updateServiceMethods, ...planMethods];

/** RPCs that change the cluster or the manager's state. */
export const writeMethods: ReadonlySet<string> = new Set(["Update", "CancelUpdate", "ClearQuarantine"]);

/** The `approve` scope: deciding on updates that wait for approval. Never part of "write": a pipeline must not approve. */
export const approveMethods: ReadonlySet<string> = new Set(["ApproveUpdate", "RejectUpdate"]);

/** The `freeze` scope: the global freeze. */
export const freezeMethods: ReadonlySet<string> = new Set(["Freeze", "Unfreeze"]);

/** RPCs that only read: what a dashboard key needs. */
export const readMethods: ReadonlySet<string> = new Set([
  ...updateServiceMethods.filter((method) => !writeMethods.has(method) && !approveMethods.has(method) && !freezeMethods.has(method)),
  ...planMethods,
]);

/** Methods that take from the write rate limit (everything that is not a read). */
export function isWriteMethod(method: string): boolean {
  return !readMethods.has(method);
}

/**
 * Names a configuration may use in `rpcs` besides method names: `"*"` (every RPC), `"read"` (the
 * read-only RPCs: ListTargets, ListUpdates, GetUpdate, WatchUpdate, ListQuarantines, ListAvailableUpdates, GetFreeze
 * and the node plan RPCs), `"write"` (Update, CancelUpdate, ClearQuarantine), `"approve"` (ApproveUpdate,
 * RejectUpdate), `"freeze"` (Freeze, Unfreeze) and `"plans"` (ListNodePlans, GetNodePlan, WatchNodePlan,
 * PreviewNodePlan).
 */
export const rpcGroups: Readonly<Record<string, ReadonlySet<string>>> = {
  "*": new Set(allMethods),
  read: readMethods,
  write: writeMethods,
  approve: approveMethods,
  freeze: freezeMethods,
  plans: planMethods,
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
    } else if (allMethods.includes(entry)) {
      rpcs.add(entry);
    } else {
      return {
        problem: `unknown RPC ${JSON.stringify(entry)}: use "*", "read", "write", "approve", "freeze", "plans" or one of ${allMethods.join(", ")}`,
      };
    }
  }
  return { rpcs };
}
