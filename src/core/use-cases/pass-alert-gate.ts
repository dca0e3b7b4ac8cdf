import { createGateChecker, gateClosedEvent } from "./check-gates.js";
import { ExecutionHalted } from "./execution-halted.js";
import { formatDuration } from "./format-duration.js";
import type { RollOutOutcome } from "./roll-out-workloads.js";
import type { UpdateExecution } from "./update-execution.js";

/**
 * Between two workloads of a running update: the alert gate. Open: undefined at once (no write). Firing with a
 * policy that waits: the update pauses (event gate-closed), re-queries every recheck interval, and goes on once it
 * returns nothing (event gate-opened); its update timeout keeps running, so a gate closed past the deadline fails it
 * (then rolled back like any failure). Firing with a policy that refuses: failed at once (ALERT_FIRING).
 */
export async function passAlertGate(execution: UpdateExecution): Promise<RollOutOutcome | undefined> {
  const { record, deps, options } = execution;
  if (options.alertGatePolicies.length === 0) return undefined;
  const gates = createGateChecker(deps, options);
  let closed = await gates.betweenWorkloads(record);
  if (closed === undefined) return undefined;
  if (closed.action === "refuse") return { kind: "failed", reason: `ALERT_FIRING: ${closed.reason}` };
  const since = deps.clock.now().getTime();
  const first = closed;
  await execution.save([gateClosedEvent(first)], { batch: true });
  execution.log.info({ policy: first.policy, reason: first.reason }, "update paused between workloads: the alert gate is closed");
  while (closed !== undefined) {
    if (execution.cancelSignal.aborted) return { kind: "cancelled" };
    const left = execution.deadline() - deps.clock.now().getTime();
    if (left <= 0) {
      return {
        kind: "failed",
        reason: `the update's timeout of ${formatDuration(record.updateTimeoutMs)} passed while it waited between workloads: ${closed.reason}`,
      };
    }
    await pause(execution, Math.min(left, closed.recheckMs ?? 30_000));
    if (execution.haltSignal.aborted) throw new ExecutionHalted();
    if (execution.cancelSignal.aborted) return { kind: "cancelled" };
    closed = await gates.betweenWorkloads(record);
    if (closed?.action === "refuse") return { kind: "failed", reason: `ALERT_FIRING: ${closed.reason}` };
  }
  await execution.save([{ type: "gate-opened", gate: first.gate, policy: first.policy, waitedMs: deps.clock.now().getTime() - since }], { batch: true });
  execution.log.info({ policy: first.policy }, "alert gate open again: the update goes on");
  return undefined;
}

/** Waits on the engine's clock; a cancel or a halt ends the wait at once. */
function pause(execution: UpdateExecution, ms: number): Promise<void> {
  const signals = [execution.cancelSignal, execution.haltSignal];
  if (signals.some((signal) => signal.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      cancelTimer();
      for (const signal of signals) signal.removeEventListener("abort", done);
      resolve();
    };
    const cancelTimer = execution.deps.clock.setTimer(ms, done);
    for (const signal of signals) signal.addEventListener("abort", done, { once: true });
  });
}
