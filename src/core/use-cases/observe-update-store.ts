import type { UpdateEventBody } from "../domain/update-event.js";
import type { UpdateRecord } from "../domain/update.js";
import type { UpdateStore } from "../ports/update-store.js";

/** Told what the engine records, after the store accepted it. */
export interface UpdateStoreObserver {
  /** A new update recorded with its first events. */
  readonly created?: (record: UpdateRecord, events: readonly UpdateEventBody[]) => void;
  /**
   * A save: written, or staged for its group commit when batched (SaveOptions: written within 100 ms, or with the
   * update's next save). `events` are the bodies the engine saved, never events of earlier batched saves that a
   * write carried, so each step is observed once.
   */
  readonly saved?: (record: UpdateRecord, events: readonly UpdateEventBody[]) => void;
}

/**
 * Wraps the engine's store for the observers of what it records (metrics, notifications): every call goes through
 * unchanged, its arguments (SaveOptions included) and its answer, and an observer runs after the store answered.
 * The one wrapper of the store, so that no wrapper can drop an argument of the store's again (one did drop
 * SaveOptions, and with it every group commit). An observer that throws never fails the call it observed.
 */
export function observeUpdateStore(store: UpdateStore, observers: readonly UpdateStoreObserver[]): UpdateStore {
  const tell = (each: (observer: UpdateStoreObserver) => void): void => {
    for (const observer of observers) {
      try {
        each(observer);
      } catch {
        // Recorded: observing it must not turn the write into a failure (observers log their own failures).
      }
    }
  };
  return {
    get: (...args) => store.get(...args),
    findByIdempotencyKey: (...args) => store.findByIdempotencyKey(...args),
    list: (...args) => store.list(...args),
    listUnfinished: (...args) => store.listUnfinished(...args),
    readEvents: (...args) => store.readEvents(...args),
    subscribe: (...args) => store.subscribe(...args),
    remove: (...args) => store.remove(...args),
    async create(...args) {
      const created = await store.create(...args);
      const [record, events] = args;
      tell((observer) => observer.created?.(record, events));
      return created;
    },
    async save(...args) {
      const saved = await store.save(...args);
      const [record, events = []] = args;
      tell((observer) => observer.saved?.(record, events));
      return saved;
    },
  };
}
