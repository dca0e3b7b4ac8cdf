import { isTerminal, type UpdateRecord } from "../../core/domain/update.js";

/** What the leader does about a run its informer shows added or changed. */
export type LeaderRunReaction =
  | { readonly kind: "nothing" }
  | { readonly kind: "resume" }
  /** Left to the replica that accepted it for `afterMs` more: looked at again then. */
  | { readonly kind: "look-again"; readonly afterMs: number };

/** A run as the store's onRunChanged reports it. */
export interface RunChange {
  readonly record: UpdateRecord;
  /** The replica its status names as executing it; undefined before anyone executed it. */
  readonly executor: string | undefined;
  /** Whether this replica created it (and so launched it). */
  readonly createdHere: boolean;
}

/**
 * A run another replica recorded, or one a replica that is gone was executing: the leader resumes it. Runs this
 * replica executes change with every step, and those it created it launched: they need nothing (were it not leading
 * then, taking the lead resumes every unfinished run). A run without its first status is its acceptor's for a moment
 * (`leftToAcceptorMs`, the store's: undefined for this replica's own, 0 once it may be resumed). Whether it has a
 * status is the store's to say: its first events ride on its spec, so `lastSequence` does not tell.
 */
export function leaderRunReaction(
  change: RunChange,
  identity: string,
  leftToAcceptorMs: (id: string) => number | undefined,
): LeaderRunReaction {
  const { record, executor, createdHere } = change;
  if (isTerminal(record.state)) return { kind: "nothing" };
  // A decision (approval, rejection, cancel) recorded on a waiting or queued run, perhaps by another replica (which
  // keeps the executor the run names): the leader's queue acts on it.
  const decided = record.cancelRequested || (record.approval?.approvals.length ?? 0) > 0 || record.approval?.rejection !== undefined;
  if ((record.state === "waiting-for-approval" || record.state === "queued" || record.state === "waiting-for-gate") && decided) {
    return { kind: "resume" };
  }
  if (executor === identity || (createdHere && executor === undefined)) return { kind: "nothing" };
  if (executor === undefined) {
    // Its acceptor writes the first status in a moment (and that change comes here). Only an acceptor that died in
    // between leaves it without: resumed at once when it is known gone, else once the grace has passed.
    const leftMs = leftToAcceptorMs(record.id);
    if (leftMs === undefined) return { kind: "nothing" };
    if (leftMs > 0) return { kind: "look-again", afterMs: leftMs };
  }
  return { kind: "resume" };
}
