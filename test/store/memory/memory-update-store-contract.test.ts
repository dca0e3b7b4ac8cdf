import { createMemoryUpdateStore } from "../../../src/store/memory/memory-update-store.js";
import { describeUpdateStoreContract } from "../../contract/update-store-contract.js";

describeUpdateStoreContract("in memory", async () => ({ store: createMemoryUpdateStore(), close: async () => {} }));
