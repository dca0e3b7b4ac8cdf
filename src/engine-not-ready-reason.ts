import type { EngineStatus } from "./engine-startup.js";

/**
 * Why the process is not ready while the update engine does not run, for `/readyz`: a failed start-up attempt with
 * its error and the next try, a stopped engine, or, while it starts, the part it still waits for.
 */
export function engineNotReadyReason(
  status: Exclude<EngineStatus, { readonly state: "running" }>,
  synced: {
    /** Whether the cluster's caches synced. */
    readonly cluster: () => boolean;
    /** Whether the UpdateRun store synced. Undefined: updates are kept in memory, nothing to sync. */
    readonly store: (() => boolean) | undefined;
  },
): string {
  if (status.state === "retrying") {
    return (
      `the update engine could not start (${status.failures} failed ${status.failures === 1 ? "attempt" : "attempts"}; ` +
      `next in ${Math.ceil(status.retryInMs / 1000)} s): ${status.reason}`
    );
  }
  if (status.state === "stopped") return "the update engine is stopped";
  // Read only while starting: these are what the start-up attempt waits for.
  if (!synced.cluster()) return "the cluster caches are not synced yet";
  if (synced.store !== undefined && !synced.store()) return "the UpdateRun store is not synced yet";
  return "the update engine is starting";
}
