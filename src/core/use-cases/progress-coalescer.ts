import type { RolloutVerdict } from "../domain/rollout-verdict.js";
import type { Clock } from "../ports/clock.js";

export interface ProgressCoalescer {
  /** A new verdict; repeats of the last one offered are ignored. */
  offer(verdict: RolloutVerdict): void;
  /** Emits a verdict still waiting for its interval (before the workload's healthy or failed event). */
  flush(): void;
  /** Drops anything pending and cancels the timer. */
  stop(): void;
}

/**
 * Rate-limits one workload's progress events: the first change is emitted at once, later ones at
 * most once per `intervalMs`, the latest winning. A rollout of many replicas would otherwise
 * flood the event log and every watcher with status ticks.
 */
export function createProgressCoalescer(
  clock: Clock,
  intervalMs: number,
  emit: (verdict: RolloutVerdict) => void,
): ProgressCoalescer {
  let lastOffered: RolloutVerdict | undefined;
  let pending: RolloutVerdict | undefined;
  let cancelTimer: (() => void) | undefined;

  const tick = () => {
    cancelTimer = undefined;
    if (pending === undefined) return;
    const verdict = pending;
    pending = undefined;
    emit(verdict);
    cancelTimer = clock.setTimer(intervalMs, tick);
  };

  return {
    offer(verdict) {
      if (lastOffered !== undefined && sameVerdict(lastOffered, verdict)) return;
      lastOffered = verdict;
      if (cancelTimer !== undefined) {
        pending = verdict;
        return;
      }
      emit(verdict);
      cancelTimer = clock.setTimer(intervalMs, tick);
    },
    flush() {
      cancelTimer?.();
      cancelTimer = undefined;
      if (pending === undefined) return;
      const verdict = pending;
      pending = undefined;
      emit(verdict);
    },
    stop() {
      cancelTimer?.();
      cancelTimer = undefined;
      pending = undefined;
    },
  };
}

function sameVerdict(a: RolloutVerdict, b: RolloutVerdict): boolean {
  return (
    a.state === b.state &&
    a.desired === b.desired &&
    a.updated === b.updated &&
    a.ready === b.ready &&
    a.available === b.available &&
    a.message === b.message
  );
}
