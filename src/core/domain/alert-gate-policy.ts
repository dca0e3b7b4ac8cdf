import type { GateAction } from "./gate-wait.js";
import type { GateScope } from "./gate-scope.js";

/**
 * The alert gate (UPDATE_MANAGER_POLICIES_FILE `alertGates`): before an update starts and between its workloads,
 * a Prometheus instant query must return nothing (e.g. `ALERTS{alertstate="firing",severity="page"}`).
 */
export interface AlertGatePolicy extends GateScope {
  /** Names the policy in messages and events. */
  readonly name: string;
  /** The PromQL expression; any sample it returns counts as a firing alert. */
  readonly query: string;
  /** While it returns something: the update waits (re-checked every `recheckMs`), or fails ("refuse"). */
  readonly whenFiring: GateAction;
  /**
   * An unreachable Prometheus or a query error: "closed" counts as firing (fail closed), "open" lets the update
   * pass (logged and in the event-less log only).
   */
  readonly onQueryError: "closed" | "open";
  /** How often a waiting update's query is run again. */
  readonly recheckMs: number;
}

/** One sample the query returned: its labels (`alertname`, `severity`, ...). */
export type AlertSample = Readonly<Record<string, string>>;

/** "HighErrorRate{severity=page}, DiskFull": at most `max` named, then how many more. */
export function describeAlerts(samples: readonly AlertSample[], max = 5): string {
  const names = samples.slice(0, max).map((labels) => {
    const { alertname, __name__: metric, alertstate: _state, ...rest } = labels;
    const name = alertname ?? metric ?? "";
    const shown = Object.entries(rest)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, 3)
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
    return shown === "" ? name || "{}" : `${name}{${shown}}`;
  });
  const more = samples.length > max ? ` and ${samples.length - max} more` : "";
  return `${names.join(", ")}${more}`;
}
