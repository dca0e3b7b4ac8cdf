import { type AlertGatePolicy, type AlertSample, describeAlerts } from "../domain/alert-gate-policy.js";
import type { ClosedGate, GateWait } from "../domain/gate-wait.js";
import type { UpdateEventBody } from "../domain/update-event.js";
import { changedNamespaces, inGateScope } from "../domain/gate-scope.js";
import type { UpdateRecord } from "../domain/update.js";
import { closedWindow, updateWindows } from "../domain/window-policy.js";
import type { AlertQuery } from "../ports/alert-query.js";
import type { Clock } from "../ports/clock.js";
import { DomainError } from "../domain/domain-error.js";
import type { CoreLogger } from "../ports/logger.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";
import { updateLogFields } from "./update-spans.js";

/** What the gates look at: the update's classifier and the namespaces its plan changes (id and trace for logs). */
export type GateInput = Pick<UpdateRecord, "id" | "classifier" | "plan" | "trace">;

/** Answers of one query, shared by every update checked in one pass (one query per expression per pass). */
export type AlertAnswers = Map<string, Promise<readonly AlertSample[]>>;

export interface GateChecker {
  /** Before an update starts: its windows, then its alert gates. Undefined when every gate is open. */
  beforeStart(input: GateInput, answers?: AlertAnswers): Promise<ClosedGate | undefined>;
  /** Between two workloads of a running update: its alert gates only (a window closing does not stop a rollout). */
  betweenWorkloads(input: GateInput): Promise<ClosedGate | undefined>;
  /** True when any gate is configured (else the checks cost nothing and are skipped). */
  readonly configured: boolean;
}

/**
 * The gates an update passes: the time windows (policies file `windows`) and the alert gate (`alertGates`). A
 * query that fails counts as firing (fail closed) unless its policy says `onQueryError: open`; the reason names
 * the failure, so the event says why the update waits.
 */
export function createGateChecker(
  deps: { readonly alerts?: AlertQuery; readonly clock: Clock; readonly logger: CoreLogger },
  options: Pick<ResolvedUpdateEngineOptions, "windowPolicies" | "alertGatePolicies">,
): GateChecker {
  const log = deps.logger.child({ component: "update-gates" });

  async function closedAlertGate(input: GateInput, answers: AlertAnswers): Promise<ClosedGate | undefined> {
    const namespaces = changedNamespaces(input.plan);
    const policies = options.alertGatePolicies.filter((policy) => inGateScope(policy, input.classifier, namespaces));
    let closed: ClosedGate | undefined;
    for (const policy of policies) {
      const verdict = await judge(policy, answers, input);
      if (verdict === undefined) continue;
      // A refusing policy decides; else the first that waits.
      if (closed === undefined || (verdict.action === "refuse" && closed.action !== "refuse")) closed = verdict;
    }
    return closed;
  }

  async function judge(policy: AlertGatePolicy, answers: AlertAnswers, input: GateInput): Promise<ClosedGate | undefined> {
    let pending = answers.get(policy.query);
    if (pending === undefined) {
      pending = deps.alerts === undefined ? Promise.reject(new Error("no Prometheus is configured")) : deps.alerts.query(policy.query);
      // Handled below; the map only shares the promise.
      pending.catch(() => undefined);
      answers.set(policy.query, pending);
    }
    const name = `alert gate ${JSON.stringify(policy.name)}`;
    try {
      const samples = await pending;
      if (samples.length === 0) return undefined;
      return {
        gate: "alerts",
        policy: name,
        reason: `${name}: ${samples.length === 1 ? "1 alert fires" : `${samples.length} alerts fire`}: ${describeAlerts(samples)}`,
        action: policy.whenFiring,
        recheckMs: policy.recheckMs,
      };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (policy.onQueryError === "open") {
        log.warn({ ...updateLogFields(input), policy: policy.name, err: why }, "alert gate query failed; the policy lets the update pass");
        return undefined;
      }
      return {
        gate: "alerts",
        policy: name,
        reason: `${name}: the query failed, which counts as firing: ${why}`,
        action: policy.whenFiring,
        recheckMs: policy.recheckMs,
      };
    }
  }

  return {
    configured: options.windowPolicies.length > 0 || options.alertGatePolicies.length > 0,
    async beforeStart(input, answers = new Map()) {
      const windows = updateWindows(options.windowPolicies, input.classifier, changedNamespaces(input.plan));
      const window = closedWindow(windows, deps.clock.now());
      if (window !== undefined) return window;
      return closedAlertGate(input, answers);
    },
    betweenWorkloads(input) {
      return closedAlertGate(input, new Map());
    },
  };
}

/** FAILED_PRECONDITION OUTSIDE_WINDOW or ALERT_FIRING: a closed gate whose policy refuses the update. */
export function gateRefusal(closed: ClosedGate): DomainError {
  const reason = closed.gate === "window" ? "OUTSIDE_WINDOW" : "ALERT_FIRING";
  return new DomainError("failed-precondition", reason, closed.reason, {
    metadata: { policy: closed.policy, ...(closed.notBefore === undefined ? {} : { not_before: closed.notBefore.toISOString() }) },
  });
}

/** The reason an update that did not start ends FAILED with: `OUTSIDE_WINDOW: ...; nothing was changed`. */
export function gateFailure(closed: ClosedGate): string {
  return `${closed.gate === "window" ? "OUTSIDE_WINDOW" : "ALERT_FIRING"}: ${closed.reason}; nothing was changed`;
}

/** The wait a closed gate starts (since `now`). */
export function gateWaitOf(closed: ClosedGate, now: Date): GateWait {
  return {
    gate: closed.gate,
    policy: closed.policy,
    reason: closed.reason,
    since: now,
    ...(closed.notBefore === undefined ? {} : { notBefore: closed.notBefore }),
  };
}

/** The event of a closed gate. */
export function gateClosedEvent(closed: ClosedGate): UpdateEventBody {
  return {
    type: "gate-closed",
    gate: closed.gate,
    policy: closed.policy,
    reason: closed.reason,
    ...(closed.notBefore === undefined ? {} : { notBefore: closed.notBefore }),
  };
}
