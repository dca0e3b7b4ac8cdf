/**
 * The global freeze: while on, no update starts (queued and approved updates hold, the registry watcher holds,
 * new updates are refused or queued by policy) and node plans claim no new node; what is running goes on. One document, shared by replicas.
 */
export interface FreezeState {
  readonly frozen: boolean;
  /** Why it was frozen (empty when not given, and after an unfreeze). */
  readonly reason: string;
  /** Who froze or unfroze it last; empty when never changed. */
  readonly principal: string;
  /** When it was frozen or unfrozen last; undefined when never changed. */
  readonly time?: Date;
}

export const notFrozen: FreezeState = { frozen: false, reason: "", principal: "" };

/** What happens to a new update while frozen: refused (FAILED_PRECONDITION, FROZEN) or queued until unfrozen. */
export type FrozenNewUpdates = "refuse" | "queue";
