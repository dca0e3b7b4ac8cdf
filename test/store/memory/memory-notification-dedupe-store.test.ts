import { describeNotificationDedupeStoreContract } from "../../contract/notification-dedupe-store-contract.js";
import { createMemoryNotificationDedupeStore } from "../../../src/store/memory/memory-notification-dedupe-store.js";
import type { NotificationDedupeStore } from "../../../src/core/ports/notification-dedupe-store.js";

describeNotificationDedupeStoreContract("memory", async () => {
  let store: NotificationDedupeStore | undefined;
  return (settings) => {
    store ??= createMemoryNotificationDedupeStore(settings);
    return store;
  };
});
