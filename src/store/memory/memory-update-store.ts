import { DomainError } from "../../core/domain/domain-error.js";
import type { UpdateRecord } from "../../core/domain/update.js";
import { isTerminal } from "../../core/domain/update.js";
import type { UpdateEvent, UpdateEventBody } from "../../core/domain/update-event.js";
import { type Clock, systemClock } from "../../core/ports/clock.js";
import type { Unsubscribe } from "../../core/ports/cluster.js";
import type { ListUpdatesQuery, Page, RemoveUpdateResult, UpdateStore } from "../../core/ports/update-store.js";
import { locksAnyOf } from "../../core/use-cases/lock-targets.js";
import { frozenCopy } from "./frozen-copy.js";
import { createListenerQueue } from "./listener-queue.js";
import { pageOf } from "./page-token.js";

export interface MemoryUpdateStoreOptions {
  /** Stamps event times. Default: systemClock. */
  clock?: Clock;
  /**
   * Finished updates kept (with their events); beyond this the oldest finished ones are forgotten,
   * so a long-running embedded server does not grow without bound. Unfinished updates are never
   * pruned. Default: 1000.
   */
  maxFinishedUpdates?: number;
  /** Called with what a subscriber threw. Default: rethrown from a microtask (a bug should be loud). */
  onListenerError?: (error: unknown) => void;
}

interface Entry {
  /** Insertion number: orders "newest first" and keys page tokens. */
  readonly position: number;
  record: UpdateRecord;
  readonly events: UpdateEvent[];
}

/** The memory store has every optional UpdateStore method. */
export interface MemoryUpdateStore extends UpdateStore {
  remove(id: string): Promise<RemoveUpdateResult>;
}

/**
 * The UpdateStore of embedded mode and tests: everything in this process, lost on restart.
 * Records and events are deep-copied in and out, so no caller shares mutable state with the store.
 */
export function createMemoryUpdateStore(options: MemoryUpdateStoreOptions = {}): MemoryUpdateStore {
  const clock = options.clock ?? systemClock;
  const maxFinished = options.maxFinishedUpdates ?? 1000;
  if (!Number.isInteger(maxFinished) || maxFinished < 0) {
    throw new RangeError(`maxFinishedUpdates must be an integer >= 0, got ${maxFinished}`);
  }
  const entries = new Map<string, Entry>();
  const byIdempotencyKey = new Map<string, string>();
  const listeners = new Map<string, Set<(event: UpdateEvent) => void>>();
  const queue = createListenerQueue(options.onListenerError);
  let nextPosition = 1;

  const idempotencyIndexKey = (requester: string, key: string) => JSON.stringify([requester, key]);

  function mustGet(id: string): Entry {
    const entry = entries.get(id);
    if (!entry) {
      throw new DomainError("not-found", "UPDATE_NOT_FOUND", `update ${id} not found`, { metadata: { update_id: id } });
    }
    return entry;
  }

  /** Appends events with the next sequence numbers; all share one time: they were recorded together. */
  function append(entry: Entry, bodies: readonly UpdateEventBody[]): UpdateEvent[] {
    const time = clock.now();
    const added: UpdateEvent[] = [];
    for (const body of bodies) {
      const event = { ...structuredClone(body), sequence: entry.events.length + 1, time, updateId: entry.record.id };
      entry.events.push(event as UpdateEvent);
      added.push(event as UpdateEvent);
    }
    entry.record.lastSequence = entry.events.length;
    return added;
  }

  function publish(id: string, events: readonly UpdateEvent[]): void {
    const subscribers = listeners.get(id);
    if (!subscribers) return;
    const isSubscribed = (listener: (event: UpdateEvent) => void) => listeners.get(id)?.has(listener) === true;
    // One frozen copy per event, shared by its subscribers (the watchers of an update: up to thousands).
    for (const event of events) queue.notify(subscribers, event, isSubscribed, frozenCopy);
  }

  function prune(): void {
    let finished = 0;
    for (const entry of entries.values()) if (isTerminal(entry.record.state)) finished++;
    // Map iteration is insertion order: oldest first.
    for (const [id, entry] of entries) {
      if (finished <= maxFinished) break;
      if (!isTerminal(entry.record.state)) continue;
      forget(id, entry);
      finished--;
    }
  }

  /** Drops a finished update with its events, subscribers and idempotency key. */
  function forget(id: string, entry: Entry): void {
    entries.delete(id);
    listeners.delete(id);
    const { requester, idempotencyKey } = entry.record;
    if (idempotencyKey !== undefined) byIdempotencyKey.delete(idempotencyIndexKey(requester, idempotencyKey));
  }

  return {
    async create(record, events) {
      if (entries.has(record.id)) {
        throw new DomainError("already-exists", "UPDATE_EXISTS", `update ${record.id} already exists`, {
          metadata: { update_id: record.id },
        });
      }
      const indexKey =
        record.idempotencyKey === undefined ? undefined : idempotencyIndexKey(record.requester, record.idempotencyKey);
      const existing = indexKey === undefined ? undefined : byIdempotencyKey.get(indexKey);
      if (existing !== undefined) {
        throw new DomainError(
          "already-exists",
          "UPDATE_EXISTS",
          `${record.requester} already started update ${existing} with idempotency key "${record.idempotencyKey}"`,
          { metadata: { update_id: existing } },
        );
      }
      const entry: Entry = { position: nextPosition++, record: structuredClone(record), events: [] };
      const added = append(entry, events);
      entries.set(record.id, entry);
      if (indexKey !== undefined) byIdempotencyKey.set(indexKey, record.id);
      record.lastSequence = entry.record.lastSequence;
      publish(record.id, added);
      prune();
      return structuredClone(added);
    },

    async get(id) {
      const entry = entries.get(id);
      return entry ? structuredClone(entry.record) : undefined;
    },

    async findByIdempotencyKey(requester, key) {
      const id = byIdempotencyKey.get(idempotencyIndexKey(requester, key));
      const entry = id === undefined ? undefined : entries.get(id);
      return entry ? structuredClone(entry.record) : undefined;
    },

    async list(query: ListUpdatesQuery): Promise<Page<UpdateRecord>> {
      const states = query.states && query.states.length > 0 ? new Set(query.states) : undefined;
      const locksTarget = locksAnyOf(query.targets);
      const matching = [...entries.values()]
        .filter(
          ({ record }) =>
            (!query.classifier || record.classifier === query.classifier) &&
            (!query.requester || record.requester === query.requester) &&
            (!states || states.has(record.state)) &&
            locksTarget(record.plan),
        )
        .sort((a, b) => b.position - a.position)
        .map((entry) => ({ position: entry.position, item: entry.record }));
      const page = pageOf(matching, query.pageSize, query.pageToken);
      return { items: structuredClone(page.items), nextPageToken: page.nextPageToken };
    },

    async listUnfinished() {
      return [...entries.values()]
        .filter((entry) => !isTerminal(entry.record.state))
        .map((entry) => structuredClone(entry.record));
    },

    async save(record, events = []) {
      const entry = mustGet(record.id);
      // The stored sequence is authoritative: a caller holding a stale copy still gets gapless numbers.
      entry.record = { ...structuredClone(record), lastSequence: entry.record.lastSequence };
      const added = append(entry, events);
      record.lastSequence = entry.record.lastSequence;
      publish(record.id, added);
      if (isTerminal(record.state)) prune();
      return structuredClone(added);
    },

    async readEvents(id, afterSequence) {
      const entry = mustGet(id);
      return structuredClone(entry.events.slice(Math.max(0, afterSequence)));
    },

    async remove(id): Promise<RemoveUpdateResult> {
      const entry = entries.get(id);
      if (entry === undefined) return "not-found";
      if (!isTerminal(entry.record.state)) return "unfinished";
      forget(id, entry);
      return "removed";
    },

    subscribe(id, listener): Unsubscribe {
      let set = listeners.get(id);
      if (!set) {
        set = new Set();
        listeners.set(id, set);
      }
      set.add(listener);
      return () => {
        const current = listeners.get(id);
        current?.delete(listener);
        if (current?.size === 0) listeners.delete(id);
      };
    },
  };
}
