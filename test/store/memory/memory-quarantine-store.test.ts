import { createMemoryQuarantineStore, type MemoryQuarantineStoreOptions } from "../../../src/store/memory/memory-quarantine-store.js";
import { describeQuarantineStoreContract } from "../../contract/quarantine-store-contract.js";

describeQuarantineStoreContract("in memory", async () => {
  // One store per test; a second `open` is the same process's store (what two callers share in embedded mode).
  let store: ReturnType<typeof createMemoryQuarantineStore> | undefined;
  return async (settings: MemoryQuarantineStoreOptions) => {
    store ??= createMemoryQuarantineStore(settings);
    return store;
  };
});
