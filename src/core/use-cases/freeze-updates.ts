import { DomainError } from "../domain/domain-error.js";
import type { FreezeState } from "../domain/freeze.js";
import type { Clock } from "../ports/clock.js";
import type { FreezeStore } from "../ports/freeze-store.js";
import type { CoreLogger } from "../ports/logger.js";

/** Freeze, Unfreeze and GetFreeze. */
export interface FreezeControl {
  /** Freezes updates (already frozen: answers the freeze in force, unchanged). */
  freeze(reason: string, principal: string): Promise<FreezeState>;
  /** Lifts the freeze (not frozen: answers the state, unchanged); queued and approved updates then move. */
  unfreeze(principal: string): Promise<FreezeState>;
  getFreeze(): Promise<FreezeState>;
}

/** The global freeze as the API sees it. Without a freeze store every call answers UNIMPLEMENTED. */
export function createFreezeControl(deps: {
  readonly freeze?: FreezeStore;
  readonly clock: Clock;
  readonly logger: CoreLogger;
}): FreezeControl {
  const store = (): FreezeStore => {
    if (deps.freeze === undefined) throw new DomainError("unimplemented", "UNIMPLEMENTED", "this server has no freeze store");
    return deps.freeze;
  };
  return {
    async freeze(reason, principal) {
      const current = await store().get();
      if (current.frozen) return current;
      const next: FreezeState = { frozen: true, reason: reason.trim(), principal, time: deps.clock.now() };
      await store().set(next);
      deps.logger.warn({ principal, reason: next.reason }, "updates frozen: no update starts until they are unfrozen");
      return next;
    },
    async unfreeze(principal) {
      const current = await store().get();
      if (!current.frozen) return current;
      const next: FreezeState = { frozen: false, reason: "", principal, time: deps.clock.now() };
      await store().set(next);
      deps.logger.warn({ principal }, "updates unfrozen");
      return next;
    },
    getFreeze: () => store().get(),
  };
}
