import type { WatchStateStore } from "../../../src/core/ports/watch-state-store.js";
import { createMemoryWatchStateStore } from "../../../src/store/memory/memory-watch-state-store.js";
import { describeWatchStateStoreContract } from "../../contract/watch-state-store-contract.js";

describeWatchStateStoreContract("in memory", async () => {
  // One process: every "store" on the same data is the same store (its first options win).
  let store: WatchStateStore | undefined;
  return (options) => {
    store ??= createMemoryWatchStateStore(options);
    return store;
  };
});
