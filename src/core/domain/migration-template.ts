import type { Workload } from "./workload.js";

/**
 * Migration templates are Jobs carrying the classifier, and suspended CronJobs carrying it (the
 * way to keep a template that never runs by itself on clusters without Job suspend, before 1.21).
 * An active CronJob is a workload: its job template gets the new image.
 */
export function isMigrationTemplate(workload: Workload): boolean {
  return workload.ref.kind === "Job" || (workload.ref.kind === "CronJob" && workload.suspended === true);
}

/**
 * A Job template that is not suspended already ran once by itself when it was created (the
 * original update manager's templates look like this). It still serves as a template: each update
 * runs a copy; the warning says how to stop the template itself from running.
 */
export function templateWarnings(workload: Workload): string[] {
  const { kind, namespace, name } = workload.ref;
  if (kind === "Job" && workload.suspended !== true) {
    return [
      `Job ${namespace}/${name} is not suspended: it ran by itself when it was created; set spec.suspend: true so the template never runs on its own`,
    ];
  }
  return [];
}
