import type { UpdateEvent, UpdateEventBody } from "../domain/update-event.js";
import type { UpdateRecord, UpdateState } from "../domain/update.js";
import type { WorkloadRef } from "../domain/workload.js";
import type { Unsubscribe } from "./cluster.js";

export interface ListUpdatesQuery {
  readonly pageSize: number;
  readonly pageToken?: string;
  readonly classifier?: string;
  readonly states?: readonly UpdateState[];
  readonly requester?: string;
  /**
   * Only updates that change or migrate one of these workloads (the targets they lock while they run): what the queue
   * asks on every accept, so that the store clones only those, however many updates are unfinished. Default: any.
   */
  readonly targets?: readonly WorkloadRef[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string;
}

/**
 * Durable updates and their events. Implementations: in memory (embedded mode and tests) and
 * UpdateRun custom resources (a later issue).
 */
export interface UpdateStore {
  /**
   * Records a new update with its first events. When an update with the same
   * (requester, idempotency key) exists, throws DomainError("already-exists") and records nothing.
   */
  create(record: UpdateRecord, events: readonly UpdateEventBody[]): Promise<readonly UpdateEvent[]>;
  get(id: string): Promise<UpdateRecord | undefined>;
  findByIdempotencyKey(requester: string, key: string): Promise<UpdateRecord | undefined>;
  /** Newest first. */
  list(query: ListUpdatesQuery): Promise<Page<UpdateRecord>>;
  /** Updates not in a terminal state (to resume them after a restart or failover). */
  listUnfinished(): Promise<readonly UpdateRecord[]>;
  /**
   * Saves the record and appends events atomically; assigns gapless sequence numbers and times,
   * sets `record.lastSequence`, and notifies subscribers after the write. A store shared by several
   * replicas throws ExecutionHalted (use-cases/execution-halted.ts) when this process may no longer
   * write the update's execution state (another replica executes it); a process that is not the
   * executor may only record a cancel request (`cancelRequested` with `cancel-requested` events).
   */
  save(record: UpdateRecord, events?: readonly UpdateEventBody[], options?: SaveOptions): Promise<readonly UpdateEvent[]>;
  /** Recorded events with sequence > afterSequence, in order. */
  readEvents(id: string, afterSequence: number): Promise<readonly UpdateEvent[]>;
  /** Live events of one update, delivered in order after they are saved. */
  subscribe(id: string, listener: (event: UpdateEvent) => void): Unsubscribe;
  /**
   * Forgets a finished update: its record, its events and its idempotency key (the original's
   * `DELETE /updates/{uuid}`). An unfinished update is kept (`"unfinished"`): it may still execute,
   * resume or be cancelled, so forgetting it would lose it.
   */
  remove(id: string): Promise<RemoveUpdateResult>;
}

/** What `UpdateStore.remove` did. */
export type RemoveUpdateResult = "removed" | "not-found" | "unfinished";

export interface SaveOptions {
  /**
   * The save need not be durable when save() resolves: the store may write it together with the saves that
   * follow within its group-commit window (at most 100 ms), or with the next save without `batch`, whichever
   * comes first (issue 13: several progress events, one write). Its events are still delivered to subscribers
   * only once written, in order. For steps a restart can redo from the previous recorded one; never for a
   * terminal state. Resolves with no events when batched. Default: false (written before save() resolves).
   */
  readonly batch?: boolean;
}
