import type { AlertSample } from "../domain/alert-gate-policy.js";

/**
 * Runs the alert gate's instant queries (Prometheus `/api/v1/query`). Implementation: alerts/prometheus-alert-query.ts.
 */
export interface AlertQuery {
  /**
   * The samples `expression` returns now (empty: no alert fires). Rejects when Prometheus cannot be reached, answers
   * with an error, or takes longer than the adapter's timeout; the message says which.
   */
  query(expression: string): Promise<readonly AlertSample[]>;
}
