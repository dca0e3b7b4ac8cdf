import type { WorkloadRef } from "../../../src/core/domain/workload.js";
import type { TargetLocks } from "../../../src/core/ports/target-locks.js";
import { createMemoryTargetLocks } from "../../../src/store/memory/memory-target-locks.js";
import { describeTargetLocksContract, type HolderState } from "../../contract/target-locks-contract.js";

describeTargetLocksContract("in memory", async () => {
  // One process holds the locks: every "replica" is the same map, asking the test's latest states.
  let states: Record<string, HolderState> = {};
  let locks: TargetLocks | undefined;
  return {
    workload: async (name): Promise<WorkloadRef> => ({ kind: "Deployment", namespace: "shop", name }),
    open(given) {
      states = given;
      locks ??= createMemoryTargetLocks({ missingUpdateGraceMs: 60_000, updateState: async (id) => states[id] ?? "missing" });
      return locks;
    },
    storedHolder: async (target) => locks?.holder(target),
  };
});
