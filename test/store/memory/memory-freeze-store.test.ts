import { createMemoryFreezeStore } from "../../../src/store/memory/memory-freeze-store.js";
import { describeFreezeStoreContract } from "../../contract/freeze-store-contract.js";

// One process: a second store is another process's (not shared).
describeFreezeStoreContract("in memory", async () => () => createMemoryFreezeStore(), false);
