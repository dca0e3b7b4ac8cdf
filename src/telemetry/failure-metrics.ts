import { Counter, type Registry } from "prom-client";
import type { CountFailure, HandledFailure } from "../core/ports/failure-counter.js";

const failures: readonly HandledFailure[] = [
  "outcome-not-recorded",
  "quarantine-full",
  "jwks-refresh",
  "run-cleanup",
  "event-not-recorded",
  "first-status-not-recorded",
];

/**
 * Registers `update_manager_handled_failures_total{failure}` in `registry` (call once per registry) and returns the
 * function that counts one. Every label value starts at 0, so an alert on an increase works from the first failure.
 */
export function createFailureMetrics(registry: Registry): CountFailure {
  const counter = new Counter({
    name: "update_manager_handled_failures_total",
    help:
      "Failures the manager handled itself instead of returning them, by kind: outcome-not-recorded (an update's final " +
      "write kept failing), quarantine-full (a quarantine record refused), jwks-refresh, run-cleanup, event-not-recorded (a " +
      "step's Kubernetes Event failed or was dropped), first-status-not-recorded (an accepted update's run kept refusing its " +
      "first status; it reads as accepted until its executor writes one).",
    labelNames: ["failure"] as const,
    registers: [registry],
  });
  for (const failure of failures) counter.inc({ failure }, 0);
  return (failure) => counter.inc({ failure });
}
